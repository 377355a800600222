// Browser-test harness (docs/web.md "Browser tests"): a database cloned from the web
// tests' template in the test cluster, a real `wangge serve` on a free port, tokens from
// `wangge token create`, Debian's chromium driven by playwright-core, screenshots in
// build/web-screenshots/. Everything a test starts is torn down by app.stop().

import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.WANGGE_SOURCE_DIR || path.resolve(here, '../..');
export const BUILD = process.env.WANGGE_BUILD_DIR || path.join(ROOT, 'build');
export const WANGGE = path.join(BUILD, 'wangge');
export const WEB_DIST = path.join(ROOT, 'api/web/dist');
export const SCREENSHOTS = path.join(BUILD, 'web-screenshots');

// The instant the tests run at ("Dates" in docs/web.md): never the real clock, so every
// spec passes on any date. The template's demo data ends at it (--until, --cutoff), the
// server runs under libfaketime starting at it and each page's clock is installed at it;
// all three then advance in real time. CTest runs the specs at the default and again at
// the 1st of a month 00:30 and at 31 Dec 23:50 (tests/CMakeLists.txt).
export const TEST_NOW = new Date(process.env.WANGGE_TEST_NOW || '2026-11-18T10:30:00+08:00');
if (Number.isNaN(TEST_NOW.getTime())) throw new Error(`WANGGE_TEST_NOW is not an instant: ${process.env.WANGGE_TEST_NOW}`);

/** YYYY-MM-DD in Shanghai of an instant (default: the tests' now). */
export function shanghaiDate(d = TEST_NOW) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d);
}

/** "2026-12" + n months. */
export function addMonths(ym, n) {
  const [y, m] = ym.split('-').map(Number);
  const t = y * 12 + (m - 1) + n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}

/** "2026-12-31" + n days. */
export function addDays(ymd, n) {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export const TODAY = shanghaiDate();
export const THIS_MONTH = TODAY.slice(0, 7);
/** One template database per instant, so the runs at several instants can share a cluster. */
export const TEMPLATE_DB = `wangge_web_tpl_${TEST_NOW.toISOString().slice(0, 16).replace(/\D/g, '')}`;

/** libfaketime (Debian's libfaketime, installed by scripts/install-deps.sh). */
function faketimeLibrary() {
  if (process.env.WANGGE_FAKETIME_LIB) return process.env.WANGGE_FAKETIME_LIB;
  for (const dir of readdirSync('/usr/lib', { withFileTypes: true })) {
    const candidate = path.join('/usr/lib', dir.name, 'faketime', 'libfaketimeMT.so.1');
    if (dir.isDirectory() && existsSync(candidate)) return candidate;
  }
  throw new Error('libfaketime not found: run scripts/install-deps.sh (package libfaketime)');
}

/** The environment that starts a process's real-time clock at TEST_NOW (monotonic clocks untouched). */
export function fakeClockEnv() {
  const utc = TEST_NOW.toISOString().slice(0, 19).replace('T', ' ');
  return {
    LD_PRELOAD: faketimeLibrary(), FAKETIME: `@${utc}`, TZ: 'UTC',
    DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_RESET: '1',
  };
}

// playwright-core is a devDependency of the web client: one node_modules for both.
const { chromium } = createRequire(path.join(ROOT, 'api/web/package.json'))('playwright-core');

/** The test cluster's maintenance conninfo (scripts/test.sh sets it). */
export function adminConninfo() {
  const c = process.env.WANGGE_TEST_DB;
  if (!c) throw new Error('WANGGE_TEST_DB is not set: run the browser tests through scripts/test.sh or ctest with it exported');
  return c;
}

/** The same conninfo naming another database. */
export function conninfoFor(db) {
  const admin = adminConninfo();
  return /dbname=\S+/.test(admin) ? admin.replace(/dbname=\S+/, `dbname=${db}`) : `${admin} dbname=${db}`;
}

export function psql(sql, db = null) {
  return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql, db ? conninfoFor(db) : adminConninfo()],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function wangge(args, db, options = {}) {
  return execFileSync(WANGGE, args, {
    encoding: 'utf8', env: { ...process.env, WANGGE_DB: conninfoFor(db) }, stdio: ['ignore', 'pipe', 'pipe'], ...options,
  }).trim();
}

function startServer(db) {
  return new Promise((resolve, reject) => {
    const child = spawn(WANGGE, ['serve', '--listen', '127.0.0.1:0', '--threads', '4', '--db-pool', '4', '--web-dir', WEB_DIST], {
      env: { ...process.env, WANGGE_DB: conninfoFor(db), ...fakeClockEnv() }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const started = Date.now();
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`wangge serve did not start:\n${log}`)); }, 60000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /serving on (http:\/\/[\d.]+:\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1], log: () => log, started });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`wangge serve exited (${code}):\n${log}`)); });
  });
}

/**
 * Starts everything for one spec file. `name` names the database and the screenshots.
 * @returns {Promise<App>}
 */
export async function startApp(name) {
  const db = `wangge_w_${name.replace(/\W/g, '_')}_${process.pid}`;
  psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  psql(`CREATE DATABASE ${db} TEMPLATE ${TEMPLATE_DB}`);
  let server = null;
  let browser = null;
  try {
    server = await startServer(db);
    browser = await chromium.launch({
      executablePath: process.env.WANGGE_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--lang=zh-CN'],
    });
  } catch (e) {
    if (server) server.child.kill('SIGTERM');
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    throw e;
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return new App(name, db, server, browser);
}

export class App {
  constructor(name, db, server, browser) {
    this.name = name;
    this.db = db;
    this.server = server;
    this.base = server.base;
    this.browser = browser;
    this.pages = [];
    this.started = server.started;
  }

  /** A token from the CLI: token('command', {towns: ['tashi'], platform: 'zhifa'}). */
  token(role, { towns = [], platform, name } = {}) {
    const args = ['token', 'create', '--role', role, '--name', name || `web-${this.name}-${role}-${Math.random().toString(36).slice(2, 8)}`];
    for (const t of towns) args.push('--town', t);
    if (platform) args.push('--platform', platform);
    return wangge(args, this.db);
  }

  /** A new page (1440×900, zh-CN) that records page errors and CSP violations into page.errors. */
  async newPage({ width = 1440, height = 900 } = {}) {
    const context = await this.browser.newContext({ viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    // The page's Date starts at the server's fake now and runs on (timers run as usual).
    await context.clock.install({ time: new Date(TEST_NOW.getTime() + (Date.now() - this.started)) });
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(String(e)));
    // The page runs under the server's CSP (script-src 'self'): a violation is a failure.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to (load|execute|apply)/.test(m.text())) page.errors.push(m.text());
    });
    page.setDefaultTimeout(20000);
    this.pages.push(page);
    return page;
  }

  /** Opens `/` and signs in with the token; resolves when the nav bar is shown. */
  async signIn(page, token, route = '') {
    await page.goto(`${this.base}/${route ? `#/${route}` : ''}`);
    await page.fill('#token', token);
    await page.click('form.signin-card button[type=submit]');
    await page.waitForSelector('header.topbar nav .nav-item');
  }

  /** The API directly (checks behind the browser's back). */
  async api(pathname, { token, method = 'GET', body } = {}) {
    const r = await fetch(`${this.base}${pathname}`, {
      method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    let data = text;
    try { data = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, data };
  }

  async screenshot(page, name) {
    const file = path.join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
  }

  async stop() {
    try { await this.browser?.close(); } catch { /* already gone */ }
    if (this.server) {
      const exited = new Promise((r) => this.server.child.once('exit', r));
      this.server.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
      if (this.server.child.exitCode === null) this.server.child.kill('SIGKILL');
    }
    try { psql(`DROP DATABASE IF EXISTS ${this.db} WITH (FORCE)`); } catch { /* cluster gone */ }
  }
}
