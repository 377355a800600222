// 网格编辑: a vertex shared by neighbouring grids is dragged with the mouse and saved in
// one batch PUT, and every grid holding it gets a new version (checked through the API);
// a vertex of one grid dragged into its neighbours is refused with the API's problems
// drawn on the map; a stale version is explained and can be reloaded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, psql } from './harness.mjs';

const TOWN = 'tashi';
let app;
let token;
before(async () => {
  app = await startApp('editor');
  token = app.token('gis_admin', { towns: [TOWN] });
});
after(async () => { await app?.stop(); });

const R = 20037508.342789244;
const mercator = (lon, lat) => [(lon * R) / 180, (Math.log(Math.tan(((90 + lat) * Math.PI) / 360)) / (Math.PI / 180)) * (R / 180)];

async function waitFor(predicate, what, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** An interior vertex (away from the town boundary) and the current grids holding it. */
function sharedVertex(skip = []) {
  const rows = psql(`WITH p AS (SELECT g.id, (ST_DumpPoints(g.geom)).geom AS pt FROM grids g
      WHERE g.town = '${TOWN}' AND g.valid_to IS NULL),
    c AS (SELECT pt, array_agg(DISTINCT id ORDER BY id) AS ids FROM p GROUP BY pt HAVING count(DISTINCT id) >= 2)
    SELECT ST_X(c.pt), ST_Y(c.pt), array_to_string(c.ids, ',') FROM c, towns t
    WHERE t.town = '${TOWN}' AND NOT ST_DWithin(ST_Boundary(t.geom)::geography, c.pt::geography, 200)
    ORDER BY ST_X(c.pt), ST_Y(c.pt)`, app.db).split('\n');
  for (const row of rows) {
    const [lon, lat, ids] = row.split('|');
    const grids = ids.split(',');
    if (grids.some((g) => skip.includes(g))) continue;
    return { lon: Number(lon), lat: Number(lat), grids };
  }
  throw new Error('no interior shared vertex');
}

async function openEditor() {
  const page = await app.newPage();
  await app.signIn(page, token, 'editor');
  await page.locator('.grid-count').filter({ hasText: '个网格' }).waitFor();
  return page;
}

/** Centres the editor's map on lon/lat at a zoom; returns the page pixel of that point. */
async function pixelOf(page, lon, lat, zoom = 16) {
  const [x, y] = await page.evaluate(([c, z]) => {
    const map = window.__wangge.map;
    map.getView().cancelAnimations();
    map.getView().setCenter(c);
    map.getView().setZoom(z);
    map.renderSync();
    return map.getPixelFromCoordinate(c);
  }, [mercator(lon, lat), zoom]);
  const box = await page.locator('#editor-map').boundingBox();
  return [box.x + x, box.y + y];
}

async function drag(page, [x, y], [dx, dy]) {
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x + (dx * i) / 10, y + (dy * i) / 10);
  await page.mouse.up();
}

async function versions(ids) {
  const out = {};
  for (const id of ids) out[id] = (await app.api(`/api/v1/grids/${id}`, { token })).data.properties.version;
  return out;
}

test('a shared vertex moves in every grid holding it, saved as one batch', async () => {
  const v = sharedVertex();
  assert.ok(v.grids.length >= 2);
  const before = await versions(v.grids);
  const page = await openEditor();
  const at = await pixelOf(page, v.lon, v.lat);
  await drag(page, at, [18, -14]);
  await waitFor(async () => (await page.locator('.change-list .changed').count()) === v.grids.length,
    `${v.grids.length} changed grids in the list`);
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes(`/towns/${TOWN}/grids`));
  await page.click('#save');
  assert.equal((await saved).status(), 200);
  await page.locator('.saved-list li').first().waitFor();
  assert.equal(await page.locator('.saved-list li').count(), v.grids.length);

  const after = await versions(v.grids);
  for (const id of v.grids) assert.equal(after[id], before[id] + 1, `${id}: version ${before[id]} → ${after[id]}`);
  // The old vertex is gone from all of them and one new point is common to all of them.
  const held = psql(`WITH p AS (SELECT g.id, (ST_DumpPoints(g.geom)).geom AS pt FROM grids g
      WHERE g.id IN (${v.grids.map((g) => `'${g}'`).join(',')}) AND g.valid_to IS NULL)
    SELECT count(*) FROM (SELECT pt FROM p GROUP BY pt HAVING count(DISTINCT id) = ${v.grids.length}) s`, app.db);
  assert.ok(Number(held) >= 1, 'the moved vertex is still shared exactly');
  const old = psql(`SELECT count(*) FROM grids g WHERE g.id IN (${v.grids.map((g) => `'${g}'`).join(',')})
    AND g.valid_to IS NULL AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(${v.lon}, ${v.lat}), 4490))
    AND EXISTS (SELECT 1 FROM ST_DumpPoints(g.geom) d WHERE ST_Equals(d.geom, ST_SetSRID(ST_MakePoint(${v.lon}, ${v.lat}), 4490)))`, app.db);
  assert.equal(Number(old), 0, 'no grid keeps the old vertex');
  await page.waitForLoadState('networkidle');
  await app.screenshot(page, 'editor-saved');
  assert.deepEqual(page.errors, []);
});

test('a vertex of one grid dragged into its neighbours shows the API problems on the map', async () => {
  const v = sharedVertex();
  const grid = v.grids[0];
  const before = await versions(v.grids);
  const [gx, gy] = psql(`SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids
    WHERE id = '${grid}' AND valid_to IS NULL`, app.db).split('|').map(Number);
  const page = await openEditor();
  await page.click('button.mode[data-mode=single]');
  // Select the grid by clicking inside it.
  const inside = await pixelOf(page, gx, gy, 15);
  await page.mouse.click(inside[0], inside[1]);
  await page.locator('.sel-item').filter({ hasText: grid }).waitFor();
  // Drag its corner away from its own interior: into the neighbours.
  const at = await pixelOf(page, v.lon, v.lat, 15);
  const box = await page.locator('#editor-map').boundingBox();
  const centre = await page.evaluate(([c]) => window.__wangge.map.getPixelFromCoordinate(c), [mercator(gx, gy)]);
  const dir = [at[0] - (box.x + centre[0]), at[1] - (box.y + centre[1])];
  const len = Math.hypot(dir[0], dir[1]);
  await drag(page, at, [(dir[0] / len) * 90, (dir[1] / len) * 90]);
  await waitFor(async () => (await page.locator('.change-list .changed').count()) === 1, 'one changed grid');

  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes(`/towns/${TOWN}/grids`));
  await page.click('#save');
  const r = await saved;
  assert.equal(r.status(), 422);
  const problems = (await r.json()).problems;
  await page.locator('.problem-list .problem').first().waitFor();
  const drawn = await page.evaluate(() => window.__wangge.editor.problemSource.getFeatures().length);
  assert.ok(drawn > 0, 'problems drawn on the map');
  assert.equal(drawn, problems.filter((p) => p.location).length, JSON.stringify(problems).slice(0, 3000));
  const list = await page.locator('.problem-list').textContent();
  assert.ok(list.includes('重叠'), list);
  assert.equal(await page.locator('.problem-list .problem').count(), problems.length, list + JSON.stringify(problems));
  // Nothing was written and nothing typed was lost: the edit is still pending.
  assert.deepEqual(await versions(v.grids), before);
  assert.equal(await page.locator('.change-list .changed').count(), 1);
  await app.screenshot(page, 'editor-problems');
  assert.deepEqual(page.errors, []);
});

test('a grid saved by someone else meanwhile is a 412 explained with a reload', async () => {
  const v = sharedVertex();
  const page = await openEditor();
  const at = await pixelOf(page, v.lon, v.lat);
  await drag(page, at, [-12, 10]);
  await waitFor(async () => (await page.locator('.change-list .changed').count()) === v.grids.length, 'changed grids');
  // Someone renames one of the grids behind the editor's back: its version goes up.
  const g = (await app.api(`/api/v1/grids/${v.grids[0]}`, { token })).data;
  const r = await fetch(`${app.base}/api/v1/grids/${v.grids[0]}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': `"${g.properties.version}"` },
    body: JSON.stringify({ type: 'Feature', properties: { name: `${g.properties.name}（改）` }, geometry: g.geometry }),
  });
  assert.equal(r.status, 200, await r.text());
  await page.click('#save');
  await page.locator('.conflict').waitFor();
  assert.match(await page.locator('.conflict').textContent(), /已被他人修改/);
  await page.click('#reload');
  await waitFor(async () => (await page.locator('.change-list .changed').count()) === 0, 'edits dropped on reload');
  await page.locator('.grid-count').filter({ hasText: '个网格' }).waitFor();
  assert.deepEqual(page.errors, []);
});

/** Fits the editor's map to the grids; returns a function lon/lat → page pixel. */
async function fitGrids(page, ids) {
  await page.evaluate((list) => {
    const { map, source } = window.__wangge.editor;
    const ext = list.map((id) => source.getFeatureById(id).getGeometry().getExtent())
      .reduce((e, x) => [Math.min(e[0], x[0]), Math.min(e[1], x[1]), Math.max(e[2], x[2]), Math.max(e[3], x[3])]);
    map.getView().cancelAnimations();
    map.getView().fit(ext, { padding: [120, 120, 120, 120] });
    map.renderSync();
  }, ids);
  const box = await page.locator('#editor-map').boundingBox();
  return async (lon, lat) => {
    const [x, y] = await page.evaluate((c) => window.__wangge.map.getPixelFromCoordinate(c), mercator(lon, lat));
    return [box.x + x, box.y + y];
  };
}

// Planar area in lon/lat, where the edges are straight: the cut points lie on the stored
// edges there. Projected or geodesic, a long edge bends and its inserted point would
// fake square metres (docs/grids.md). 1e-7 of the area (≈ 0.1 m² here) allows for the
// API's 9 decimals.
const area = (ids) => Number(psql(`SELECT sum(ST_Area(geom)) FROM grids
  WHERE id IN (${ids.map((g) => `'${g}'`).join(',')}) AND valid_to IS NULL`, app.db));
const current = () => psql(`SELECT id FROM grids WHERE town = '${TOWN}' AND valid_to IS NULL ORDER BY id`, app.db).split('\n');

test('a line drawn across a grid splits it in two, saved as one batch', async () => {
  const grid = 'tashi-020';
  const [x0, x1, y] = psql(`SELECT ST_XMin(geom), ST_XMax(geom), ST_Y(ST_PointOnSurface(geom)) FROM grids
    WHERE id = '${grid}' AND valid_to IS NULL`, app.db).split('|').map(Number);
  const before = { area: area([grid]), ids: current(), version: (await versions([grid]))[grid] };
  const page = await openEditor();
  const px = await fitGrids(page, [grid]);
  await page.mouse.click(...(await px(x0 + (x1 - x0) * 0.5, y)));
  await page.locator('.sel-item').filter({ hasText: grid }).waitFor();
  await page.click('button.mode[data-mode=split]');
  const span = x1 - x0;
  const a = await px(x0 - span * 0.08, y);
  const b = await px(x1 + span * 0.08, y + span * 0.02);
  await page.mouse.click(...a);
  await page.mouse.move(...b, { steps: 5 });
  await page.mouse.dblclick(...b);
  await page.locator('.change-list .created').waitFor();
  assert.equal(await page.locator('.change-list .changed').count(), 1);
  await app.screenshot(page, 'editor-split');
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes(`/towns/${TOWN}/grids`));
  await page.click('#save');
  const r = await saved;
  assert.equal(r.status(), 200, await r.text());
  const out = await r.json();
  assert.equal(out.grids.length, 2);
  const ids = current();
  const added = ids.filter((id) => !before.ids.includes(id));
  assert.equal(added.length, 1, 'one new grid');
  assert.equal((await versions([grid]))[grid], before.version + 1);
  const parts = area([grid, added[0]]);
  assert.ok(Math.abs(parts - before.area) < before.area * 1e-7, `the two parts cover the old grid: ${parts} vs ${before.area}`);
  assert.deepEqual(page.errors, []);
});

test('two neighbouring grids merge into one, the other retired', async () => {
  const [a, b] = psql(`SELECT a.id, b.id FROM grids a JOIN grids b ON a.id < b.id AND a.town = b.town
    WHERE a.town = '${TOWN}' AND a.valid_to IS NULL AND b.valid_to IS NULL AND a.id > 'tashi-025'
      AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))::geography) > 100
    ORDER BY a.id, b.id LIMIT 1`, app.db).split('|');
  const before = { area: area([a, b]), version: (await versions([a]))[a] };
  const page = await openEditor();
  const px = await fitGrids(page, [a, b]);
  for (const id of [a, b]) {
    const [lon, lat] = psql(`SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids
      WHERE id = '${id}' AND valid_to IS NULL`, app.db).split('|').map(Number);
    await page.mouse.click(...(await px(lon, lat)));
    await page.locator('.sel-item').filter({ hasText: id }).waitFor();
  }
  await page.click('#merge');
  await page.locator('.change-list .retired').filter({ hasText: b }).waitFor();
  await app.screenshot(page, 'editor-merge');
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes(`/towns/${TOWN}/grids`));
  await page.click('#save');
  const r = await saved;
  assert.equal(r.status(), 200, await r.text());
  assert.ok(!current().includes(b), `${b} retired`);
  assert.equal((await versions([a]))[a], before.version + 1);
  assert.ok(Math.abs(area([a]) - before.area) < before.area * 1e-7, 'the merged grid covers both');
  await page.locator('.saved-list li').filter({ hasText: '已撤销' }).waitFor();
  assert.deepEqual(page.errors, []);
});
