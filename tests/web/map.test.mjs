// 指挥地图: grid tiles load as PNGs, the heatmap switch requests heatmap tiles, a filter
// goes into the tile URLs, and a click on a grid shows its staff from the API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, psql, TODAY, addDays } from './harness.mjs';

let app;
let token;
before(async () => {
  app = await startApp('map');
  token = app.token('command');
});
after(async () => { await app?.stop(); });

async function openMap() {
  const page = await app.newPage();
  const tiles = [];
  page.on('response', (r) => { if (r.url().includes('/tiles/')) tiles.push(r); });
  page.tiles = tiles;
  await app.signIn(page, token, 'map');
  await page.waitForSelector('.view-root[data-view=map] .ol-viewport');
  return page;
}

async function waitFor(predicate, what, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the map loads our grids tiles as PNGs', async () => {
  const page = await openMap();
  const grids = () => page.tiles.filter((r) => new URL(r.url()).pathname.startsWith('/tiles/grids/'));
  await waitFor(() => grids().length >= 4, 'grids tiles');
  for (const r of grids()) {
    assert.equal(r.status(), 200, r.url());
    assert.equal(r.headers()['content-type'], 'image/png', r.url());
    assert.ok(new URL(r.url()).searchParams.get('access_token') === token, 'the token rides in the URL');
  }
  await page.waitForLoadState('networkidle');
  await app.screenshot(page, 'map');
  assert.deepEqual(page.errors, []);
});

test('turning the heatmap on requests heatmap tiles', async () => {
  const page = await openMap();
  await page.waitForLoadState('networkidle');
  assert.equal(page.tiles.filter((r) => r.url().includes('/tiles/heatmap/')).length, 0, 'off by default');
  const heat = page.waitForResponse((r) => r.url().includes('/tiles/heatmap/'));
  await page.check('#layer-heatmap');
  const r = await heat;
  assert.equal(r.status(), 200);
  assert.equal(r.headers()['content-type'], 'image/png');
  await page.waitForLoadState('networkidle');
  await app.screenshot(page, 'map-heatmap');
  assert.deepEqual(page.errors, []);
});

test('a filter changes the tile URLs', async () => {
  const page = await openMap();
  // Network idle can come before OpenLayers' first frame asks for tiles: wait for them.
  const reportTiles = () => page.tiles.filter((r) => r.url().includes('/tiles/reports/'));
  await waitFor(() => reportTiles().length > 0, 'reports tiles');
  await page.waitForLoadState('networkidle');
  const before = reportTiles();
  assert.ok(before.every((r) => !new URL(r.url()).searchParams.has('platform')));
  const filtered = page.waitForResponse((r) => r.url().includes('/tiles/reports/') && new URL(r.url()).searchParams.get('platform') === 'zhifa');
  await page.selectOption('#platform', 'zhifa');
  assert.equal((await filtered).status(), 200);
  const byStatus = page.waitForResponse((r) => {
    const q = new URL(r.url()).searchParams;
    return r.url().includes('/tiles/reports/') && q.get('status') === 'closed' && q.get('platform') === 'zhifa';
  });
  await page.selectOption('#status', 'closed');
  assert.equal((await byStatus).status(), 200);
  const q = new URL((await byStatus).url()).searchParams;
  // The default period is the last 30 days of the page's clock (the tests' instant).
  assert.equal(q.get('from'), addDays(TODAY, -29));
  assert.equal(q.get('to'), addDays(TODAY, 1));
  await page.waitForLoadState('networkidle');
  await app.screenshot(page, 'map-filtered');
  assert.deepEqual(page.errors, []);
});

test('clicking a grid shows its staff and the indicators of the map period', async () => {
  // The map's default period: the last 30 days, today included.
  const from = addDays(TODAY, -29);
  const to = addDays(TODAY, 1);
  // A point inside tashi's grid with the most reports in it, from PostGIS.
  const [id, lon, lat] = psql(`SELECT g.id, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
    FROM grids g LEFT JOIN reports r ON r.grid = g.id
      AND r.reported_at >= '${from}T00:00:00+08:00' AND r.reported_at < '${to}T00:00:00+08:00'
    WHERE g.town = 'tashi' AND g.valid_to IS NULL GROUP BY g.id, g.geom ORDER BY count(r.id) DESC, g.id LIMIT 1`, app.db).split('|');
  const grid = (await app.api(`/api/v1/grids/${id}`, { token })).data.properties;
  assert.ok(grid.leader?.name && grid.worker?.name, 'the demo grid has staff');

  const page = await openMap();
  await page.selectOption('#town', 'tashi');
  // Centre the map on the point at a street-level zoom, then click the centre.
  const x = (lon * 20037508.342789244) / 180;
  const y = (Math.log(Math.tan(((90 + Number(lat)) * Math.PI) / 360)) / (Math.PI / 180)) * (20037508.342789244 / 180);
  await page.evaluate(([cx, cy]) => {
    const view = document.getElementById('map').olMap.getView();
    view.cancelAnimations();
    view.setCenter([cx, cy]);
    view.setZoom(14);
  }, [x, y]);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.grid-panel .grid-name').filter({ hasText: grid.name }).waitFor();
  const staff = await page.locator('.grid-panel .staff').textContent();
  for (const p of [grid.leader, grid.worker]) {
    assert.ok(staff.includes(p.name), `${p.name} in ${staff}`);
    if (p.phone) assert.ok(staff.includes(p.phone), `${p.phone} in ${staff}`);
  }
  // The period's indicators are the API's.
  await page.locator('.grid-panel .kpis').waitFor();
  assert.equal(await page.locator('.grid-panel .period').textContent(), `${from} 至 ${TODAY}`);
  const rows = (await app.api(`/api/v1/analytics/completion?by=grid&town=tashi&from=${from}&to=${to}`, { token })).data.rows;
  const row = rows.find((r) => r.key === id);
  assert.ok(row && row.reported > 0, `${id} has reports in the last 30 days`);
  const kpis = await page.locator('.grid-panel .kpi').evaluateAll((els) => Object.fromEntries(els.map((e) =>
    [e.querySelector('.kpi-label').textContent, e.querySelector('.kpi-value').textContent])));
  assert.equal(kpis['上报'], String(row.reported));
  assert.equal(kpis['办结'], String(row.closed));
  await page.waitForLoadState('networkidle');
  await app.screenshot(page, 'map-grid-panel');
  assert.deepEqual(page.errors, []);
});
