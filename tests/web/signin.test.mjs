// Sign-in: a bad token gets a Chinese error and no way in; a good one shows the map and
// the views of its role; signing out returns to the sign-in screen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from './harness.mjs';

let app;
before(async () => { app = await startApp('signin'); });
after(async () => { await app?.stop(); });

test('a bad token shows a Chinese error', async () => {
  const page = await app.newPage();
  await page.goto(`${app.base}/`);
  await page.fill('#token', 'wg_not_a_real_token');
  await page.click('form.signin-card button[type=submit]');
  const error = page.locator('.signin-error');
  await assert.doesNotReject(error.filter({ hasText: '令牌无效' }).waitFor());
  assert.equal(await page.locator('header.topbar').count(), 0, 'no way in');
  await app.screenshot(page, 'signin-bad-token');
  assert.deepEqual(page.errors, []);
});

test('a good token shows the map and the views of its role', async () => {
  const token = app.token('command');
  const page = await app.newPage();
  await app.signIn(page, token);
  await page.waitForSelector('.view-root[data-view=map] .ol-viewport');
  assert.match(page.url(), /#\/map$/);
  const nav = await page.locator('header.topbar nav .nav-item').allTextContents();
  assert.ok(nav.includes('指挥地图') && nav.includes('事件列表'), nav.join(','));
  assert.match(await page.locator('.who').textContent(), /指挥中心/);
  // The token is kept for the session: a reload stays signed in.
  await page.reload();
  await page.waitForSelector('.view-root[data-view=map]');
  await app.screenshot(page, 'signin-map');
  await page.click('#signout');
  await page.waitForSelector('#token');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('wangge.session')), null);
  assert.deepEqual(page.errors, []);
});

test('a role sees only its views: a GIS admin gets no report list', async () => {
  const page = await app.newPage();
  await app.signIn(page, app.token('gis_admin'), 'reports');
  await page.waitForSelector('.view-root[data-view=map]');
  const nav = await page.locator('header.topbar nav .nav-item').allTextContents();
  assert.ok(!nav.includes('事件列表'), nav.join(','));
  assert.deepEqual(page.errors, []);
});
