// 会商: the charts are drawn (ECharts canvases with pixels on them), the indicators match
// the API, the hotspot map colours every grid by its Gi* bin, and the meeting pack opens
// as HTML and downloads as an Excel workbook (both need the token).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startApp, addMonths, THIS_MONTH } from './harness.mjs';

const TOWN = 'tashi';
let app;
let token;
before(async () => {
  app = await startApp('dashboard');
  token = app.token('leader', { towns: [TOWN] });
});
after(async () => { await app?.stop(); });

// The page opens on the last complete month: the one the monthly meeting reviews.
const MONTH = addMonths(THIS_MONTH, -1);

async function openDashboard() {
  const page = await app.newPage();
  await app.signIn(page, token, 'dashboard');
  await page.waitForSelector('.dashboard-view[data-loaded]', { timeout: 60000 });
  return page;
}

/** Pixels that are not blank on each chart's canvas. */
function inkPerChart(page) {
  return page.evaluate(() => [...document.querySelectorAll('.chart')].map((el) => {
    const c = el.querySelector('canvas');
    if (!c || !c.width || !c.height) return { id: el.id, ink: 0 };
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink += 1;
    return { id: el.id, ink, size: c.width * c.height };
  }));
}

test('the dashboard draws its charts and the hotspot map', async () => {
  const page = await openDashboard();
  const ink = await inkPerChart(page);
  assert.deepEqual(ink.map((c) => c.id).sort(), ['chart-grid', 'chart-platform', 'chart-trend']);
  for (const c of ink) assert.ok(c.ink > c.size * 0.01, `${c.id} has something drawn (${c.ink} of ${c.size} pixels)`);
  assert.equal(await page.locator('.card.failed').count(), 0, 'no card failed');

  // The indicators are the API's for the month shown.
  const month = MONTH;
  assert.equal(await page.inputValue('#month'), month);
  const next = addMonths(month, 1);
  const total = (await app.api(`/api/v1/analytics/completion?town=${TOWN}&from=${month}&to=${next}&by=town`, { token })).data.total;
  const kpi = async (label) => page.locator('.dash-kpi').filter({ has: page.locator('.l', { hasText: new RegExp(`^${label}$`) }) }).locator('.v').textContent();
  assert.equal(await kpi('上报'), String(total.reported));
  assert.equal(await kpi('交办'), String(total.dispatched));
  assert.equal(await kpi('超期未办结'), String(total.overdue_open));
  assert.equal(await kpi('办结率'), total.completion_rate === null ? '—' : `${(total.completion_rate * 100).toFixed(1)}%`);

  // Every current grid is on the hotspot map with the API's bin.
  const hot = (await app.api(`/api/v1/analytics/hotspots?town=${TOWN}&from=${month}&to=${next}`, { token })).data;
  const onMap = await page.evaluate(() => window.__wangge.dashboard.hotSource.getFeatures().map((f) => [f.get('id'), f.get('bin')]));
  assert.equal(onMap.length, hot.grids.length);
  const bins = Object.fromEntries(hot.grids.map((g) => [g.grid, g.bin]));
  for (const [id, bin] of onMap) assert.equal(bin, bins[id], id);
  // The emerging-hotspot table lists every grid with a pattern.
  const trends = (await app.api(`/api/v1/analytics/trends?town=${TOWN}&end=${month}&months=12`, { token })).data;
  const patterned = trends.grids.filter((g) => g.category !== 'no_pattern').length;
  assert.equal(await page.locator('table.emerging tbody tr.hot, table.emerging tbody tr.cold').count(), patterned);

  await app.screenshot(page, 'dashboard');
  await page.locator('.emerging-card').scrollIntoViewIfNeeded();
  await app.screenshot(page, 'dashboard-emerging');
  assert.deepEqual(page.errors, []);
});

test('the meeting pack opens as HTML and downloads as Excel', async () => {
  const page = await openDashboard();
  const popup = page.waitForEvent('popup');
  await page.click('#meeting-html');
  const pack = await popup;
  await pack.waitForURL(/^blob:/);
  await pack.waitForLoadState();
  const text = await pack.locator('body').textContent();
  assert.match(text, /办结率/);
  assert.match(text, /塔石/);
  await pack.close();

  const download = page.waitForEvent('download');
  await page.click('#meeting-xlsx');
  const d = await download;
  assert.match(d.suggestedFilename(), /\.xlsx$/);
  const bytes = readFileSync(await d.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an xlsx is a zip');
  assert.deepEqual(page.errors, []);
});

test('a town outside the token is said in plain Chinese, not raw JSON', async () => {
  const page = await openDashboard();
  // Another town is outside the leader's token: the API says 403 and the page says why.
  await page.evaluate(() => {
    const s = document.getElementById('town');
    s.append(new Option('白龙桥镇', 'bailongqiao'));
    s.value = 'bailongqiao';
    s.dispatchEvent(new Event('change'));
  });
  await page.locator('.toast-error').filter({ hasText: '无权' }).first().waitFor();
  assert.ok(await page.locator('.card.failed').count() > 0);
  const body = await page.locator('body').textContent();
  assert.ok(!body.includes('"status"'), 'no raw JSON on the page');
  assert.deepEqual(page.errors, []);
});
