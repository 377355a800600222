// 大屏: full screen without the nav bar, counters equal to what the API says, and a
// report posted behind its back appears within a few polls (conditional GETs answered
// 304 while nothing changed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, psql, TODAY, addMonths } from './harness.mjs';

const TOWN = 'tashi';
const OPEN = 'reported,accepted,dispatched,in_progress,resolved';
let app;
let token;
before(async () => {
  app = await startApp('bigscreen');
  token = app.token('command', { towns: [TOWN] });
});
after(async () => { await app?.stop(); });

async function count(filters) {
  let n = 0;
  let cursor = null;
  for (;;) {
    const q = new URLSearchParams({ town: TOWN, ...filters, limit: '10000', ...(cursor ? { cursor } : {}) });
    const r = await app.api(`/api/v1/reports?${q}`, { token });
    assert.equal(r.status, 200);
    n += r.data.features.length;
    if (!r.data.next_cursor) return n;
    cursor = r.data.next_cursor;
  }
}

async function apiCounters() {
  const t = TODAY;
  const next = addMonths(t.slice(0, 7), 1);
  const rate = (await app.api(`/api/v1/analytics/completion?town=${TOWN}&from=${t.slice(0, 7)}&to=${next}&by=town`, { token })).data.total.completion_rate;
  return {
    today: await count({ from: `${t}T00:00:00+08:00` }),
    open: await count({ status: OPEN }),
    overdue: await count({ overdue: 'true' }),
    rate: rate === null ? '—' : `${(rate * 100).toFixed(1)}%`,
  };
}

async function shown(page) {
  const v = (id) => page.locator(`#${id} .bs-value`).textContent();
  return { today: Number(await v('bs-today')), open: Number(await v('bs-open')), overdue: Number(await v('bs-overdue')), rate: await v('bs-rate') };
}

async function openBigScreen() {
  const page = await app.newPage({ width: 1920, height: 1080 });
  page.reportPolls = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/v1/reports' && u.searchParams.get('limit') === '15') page.reportPolls.push(r.status());
  });
  await app.signIn(page, token, 'map');
  await page.evaluate(() => { location.hash = '#/bigscreen'; });
  await page.waitForSelector('.bigscreen[data-updated]');
  return page;
}

test('the big screen is full screen and its counters match the API', async () => {
  const page = await openBigScreen();
  assert.equal(await page.locator('header.topbar').isVisible(), false, 'no nav chrome');
  const expected = await apiCounters();
  assert.deepEqual(await shown(page), expected);
  assert.ok(expected.open > 0, 'the demo town has open reports');
  assert.equal(await page.locator('.bs-list .bs-item').count(), 15);
  // Readable from across the room: the counters' figures are big.
  const size = await page.locator('#bs-open .bs-value').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 60, `counter type ${size}px`);
  await page.waitForLoadState('networkidle');
  await app.screenshot(page, 'bigscreen');
  assert.deepEqual(page.errors, []);
});

test('a new report shows up on the big screen by polling', async () => {
  const page = await openBigScreen();
  const before = await shown(page);
  // A few polls with nothing new are bodiless 304s.
  const end = Date.now() + 15000;
  while (page.reportPolls.filter((s) => s === 304).length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
  assert.ok(page.reportPolls.includes(304), `polls: ${page.reportPolls}`);

  const [lon, lat] = psql(`SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids
    WHERE town = '${TOWN}' AND valid_to IS NULL ORDER BY id LIMIT 1`, app.db).split('|').map(Number);
  const category = (await app.api('/api/v1/categories', { token })).data[0].code;
  const posted = await app.api('/api/v1/reports', {
    token, method: 'POST',
    body: { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] },
      properties: { client_id: `bigscreen-${process.pid}`, category, description: '大屏测试事件', source: 'pc' } },
  });
  assert.equal(posted.status, 201, JSON.stringify(posted.data));
  const id = String(posted.data.id);
  await page.locator(`.bs-list .bs-item[data-id="${id}"]`).waitFor({ timeout: 20000 });
  await page.waitForFunction((n) => Number(document.querySelector('#bs-today .bs-value').textContent) === n, before.today + 1);
  assert.equal((await shown(page)).open, before.open + 1);
  assert.equal(await page.evaluate((x) => Boolean(window.__wangge.bigscreen.latestSource.getFeatureById(Number(x)) || window.__wangge.bigscreen.latestSource.getFeatureById(x)), id), true);
  await app.screenshot(page, 'bigscreen-new-report');
  assert.deepEqual(page.errors, []);
});
