// 事件列表: a report is dispatched from the list and its status changes (checked through
// the API too); new reports appear without a reload (polling with ETags); a conflict
// shows a Chinese message, not raw JSON.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, psql } from './harness.mjs';

let app;
let command;
let point;
let seq = 0;
before(async () => {
  app = await startApp('reports');
  command = app.token('command', { name: 'web-reports-command' });
  point = psql(`SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids
    WHERE town = 'chengdong' AND valid_to IS NULL ORDER BY id LIMIT 1`, app.db).split('|').map(Number);
});
after(async () => { await app?.stop(); });

async function newReport(accept) {
  const r = await app.api('/api/v1/reports', {
    token: command, method: 'POST',
    body: { lon: point[0], lat: point[1], client_id: `web-test-${process.pid}-${++seq}`, category: 'huanjing_weisheng', description: '路边垃圾堆放' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  if (accept) {
    const a = await app.api(`/api/v1/reports/${r.data.id}/events`, { token: command, method: 'POST', body: { action: 'accept' } });
    assert.equal(a.status, 201, JSON.stringify(a.data));
  }
  return r.data.id;
}

async function openList(page) {
  await app.signIn(page, command, 'reports');
  await page.waitForSelector('#reports tbody tr[data-id]');
}

test('a report is dispatched from the list and its status changes', async () => {
  const id = await newReport(true);
  const page = await app.newPage();
  await openList(page);
  await page.selectOption('#f-status', 'accepted');
  const row = page.locator(`#reports tbody tr[data-id="${id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /已受理/);
  await row.click();
  await page.locator('#detail-status[data-status=accepted]').waitFor();
  await page.click('button.action[data-action=dispatch]');
  await page.selectOption('#dispatch-platform', 'zhifa');
  await page.selectOption('#dispatch-handling', 'xietiao');
  await page.selectOption('#dispatch-mode', 'lianban');
  // The platform's staff and the grid's staff are offered as assignees.
  await page.locator('#dispatch-assignees option').first().waitFor();
  const assignee = await page.locator('#dispatch-assignees option').first().getAttribute('value');
  await page.selectOption('#dispatch-assignees', [assignee]);
  await page.fill('#action-note', '请执法中队联合处置');
  await page.click('#action-submit');
  await page.locator('#detail-status[data-status=dispatched]').waitFor();
  assert.match(await page.locator('.report-panel .timeline').textContent(), /交办/);
  // The server agrees.
  const r = await app.api(`/api/v1/reports/${id}`, { token: command });
  assert.equal(r.data.properties.status, 'dispatched');
  assert.equal(r.data.properties.platform, 'zhifa');
  assert.equal(r.data.properties.handling, 'xietiao');
  assert.equal(r.data.properties.mode, 'lianban');
  assert.deepEqual(r.data.properties.assignees, [assignee]);
  assert.ok(r.data.properties.due_at, 'a deadline from the category');
  // The list (filtered to 已受理) drops it after the action.
  await row.waitFor({ state: 'detached' });
  // Unfiltered, it is listed as 已交办, and the detail names the assignee.
  await page.selectOption('#f-status', '');
  await page.locator(`#reports tbody tr[data-id="${id}"][data-status=dispatched]`).waitFor();
  assert.match(await page.locator(`#reports tbody tr[data-id="${id}"]`).textContent(), /已交办/);
  const staff = (await app.api('/api/v1/towns/chengdong/workers', { token: command })).data;
  const name = staff.find((w) => w.id === assignee).name;
  await page.locator('#detail-assignees').filter({ hasText: name }).waitFor();
  await app.screenshot(page, 'reports-dispatched');
  assert.deepEqual(page.errors, []);
});

test('new reports appear without a reload, and unchanged polls are 304s', async () => {
  const page = await app.newPage();
  const statuses = [];
  page.on('response', (r) => { if (new URL(r.url()).pathname === '/api/v1/reports') statuses.push(r.status()); });
  await openList(page);
  await page.selectOption('#f-town', 'chengdong');
  await page.waitForSelector('#reports tbody tr[data-id]');
  // One poll with nothing new: 304.
  await page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/reports' && r.status() === 304, { timeout: 20000 });
  const id = await newReport(false);
  await page.locator(`#reports tbody tr[data-id="${id}"]`).waitFor({ timeout: 20000 });
  assert.ok(statuses.includes(304), statuses.join(','));
  assert.match(await page.locator(`#reports tbody tr[data-id="${id}"]`).textContent(), /已上报/);
  await app.screenshot(page, 'reports');
  assert.deepEqual(page.errors, []);
});

test('an action someone else already took shows a plain Chinese conflict', async () => {
  const id = await newReport(true);
  const page = await app.newPage();
  await openList(page);
  await page.selectOption('#f-status', 'accepted');
  await page.locator(`#reports tbody tr[data-id="${id}"]`).click();
  await page.locator('#detail-status[data-status=accepted]').waitFor();
  // Meanwhile, another command-room seat rejects it.
  const other = await app.api(`/api/v1/reports/${id}/events`, { token: command, method: 'POST', body: { action: 'reject', note: '重复上报' } });
  assert.equal(other.status, 201);
  await page.click('button.action[data-action=dispatch]');
  await page.click('#action-submit');
  const toast = page.locator('.toast-error').filter({ hasText: '与当前状态冲突' });
  await toast.waitFor();
  const text = await toast.textContent();
  assert.ok(!text.includes('{'), `no raw JSON: ${text}`);
  await app.screenshot(page, 'reports-conflict');
  assert.deepEqual(page.errors, []);
});
