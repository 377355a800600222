// The single page: sign-in, the nav bar for the role, the hash router (#/map, #/reports,
// #/editor, #/dashboard, #/bigscreen) and notifications. Views live in views/*.js.

import './styles.css';
import { createApi, describeError, ApiError } from './api.js';
import { h, fill } from './dom.js';
import { roleLabel } from './labels.js';
import { loadSession, saveSession, clearSession } from './session.js';
import { viewsFor } from './views/index.js';

const app = document.getElementById('app');
let session = loadSession();
let cleanup = null;
let mountedRoute = null;
let mountSeq = 0;

const api = createApi(
  () => session?.token ?? null,
  () => {
    // A token revoked while in use: back to the sign-in screen with a word why.
    signOut('登录已失效或令牌已被撤销，请重新登录。');
  },
);

// ---- notifications -------------------------------------------------------------------
const toasts = h('div.toasts', { role: 'status', 'aria-live': 'polite' });

function notify(message, kind = 'info') {
  const t = h(`div.toast.toast-${kind}`, message);
  toasts.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

// Nothing may end as a blank screen: unexpected failures become a message.
window.addEventListener('unhandledrejection', (e) => {
  notify(describeError(e.reason), 'error');
  e.preventDefault();
});
window.addEventListener('error', (e) => {
  if (e.error) notify(describeError(e.error), 'error');
});

// ---- sign-in -------------------------------------------------------------------------
function signInScreen(message) {
  const input = h('input#token', {
    type: 'password', name: 'token', autocomplete: 'off', spellcheck: false, required: true,
    placeholder: 'wg_…', 'aria-label': '访问令牌',
  });
  const error = h('p.signin-error', { role: 'alert' }, message || '');
  const button = h('button.primary', { type: 'submit' }, '登录');
  const form = h('form.signin-card', {
    onsubmit: async (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) {
        error.textContent = '请输入访问令牌。';
        return;
      }
      button.disabled = true;
      error.textContent = '';
      try {
        const me = await api.whoAmI(token);
        session = { token, role: me.role, towns: me.towns || [], name: me.name, platform: me.platform || null };
        saveSession(session);
        const first = viewsFor(session.role)[0];
        if (!routeOf(location.hash) || !viewsFor(session.role).some((v) => v.route === routeOf(location.hash))) {
          location.hash = `#/${first ? first.route : 'map'}`;
        }
        render();
      } catch (err) {
        error.textContent = err instanceof ApiError && err.status === 401
          ? '令牌无效或已被撤销，请向管理员索取新的访问令牌。'
          : describeError(err);
      } finally {
        button.disabled = false;
      }
    },
  },
  h('div.brand-large', h('span.logo'), h('div', h('h1', '网格化管理指挥平台'), h('p.sub', '镇街网格治理 · 指挥调度 · 会商研判'))),
  h('label', { for: 'token' }, '访问令牌'),
  input,
  h('p.hint', '令牌由管理员使用 wangge token create 生成；仅保存在本浏览器标签页中，关闭即退出。'),
  error,
  button);
  fill(app, h('div.signin', form), toasts);
  input.focus();
}

function signOut(message) {
  if (cleanup) safeCleanup();
  session = null;
  clearSession();
  signInScreen(message);
}

// ---- shell and router ----------------------------------------------------------------
function routeOf(hash) {
  const m = /^#\/([a-z]+)/.exec(hash || '');
  return m ? m[1] : null;
}

function navigate(route) {
  location.hash = `#/${route}`;
}

function safeCleanup() {
  try {
    cleanup?.();
  } catch (e) {
    console.error(e);
  }
  cleanup = null;
  mountedRoute = null;
}

let shell = null;

function buildShell() {
  const nav = h('nav.nav');
  const main = h('main.view');
  const who = h('span.who', `${session.name || '用户'} · ${roleLabel(session.role)}`,
    session.towns?.length ? ` · ${session.towns.length} 个镇街` : ' · 全部镇街');
  const header = h('header.topbar',
    h('div.brand', h('span.logo'), h('span.title', '网格化管理指挥平台')),
    nav,
    h('div.user', who, h('button.ghost#signout', { type: 'button', onclick: () => signOut() }, '退出')));
  shell = { header, nav, main };
  fill(app, header, main, toasts);
}

async function render() {
  if (!session) {
    signInScreen();
    return;
  }
  const allowed = viewsFor(session.role);
  let route = routeOf(location.hash);
  const view = allowed.find((v) => v.route === route);
  if (!view) {
    if (route && !allowed.length) notify('当前角色没有可用的页面。', 'error');
    if (route && allowed.length) notify('当前角色无权访问该页面，已转到首页。', 'error');
    if (allowed.length) navigate(allowed[0].route);
    return;
  }
  if (!shell || !app.contains(shell.main)) buildShell();
  document.body.classList.toggle('fullscreen', Boolean(view.fullscreen));
  fill(shell.nav, allowed.map((v) => h(`a.nav-item${v.route === route ? '.active' : ''}`,
    { href: `#/${v.route}`, dataset: { route: v.route } }, v.title)));
  if (mountedRoute === route) return;
  safeCleanup();
  const seq = ++mountSeq;
  const root = h('div.view-root', { dataset: { view: route } });
  fill(shell.main, h('div.loading', '正在加载…'));
  try {
    const mod = await view.load();
    if (seq !== mountSeq) return;
    fill(shell.main, root);
    mountedRoute = route;
    document.title = `${view.title} · 网格化管理指挥平台`;
    const ctx = { api, session, notify, navigate };
    cleanup = (await mod.mount(root, ctx)) || null;
  } catch (err) {
    if (seq !== mountSeq) return;
    console.error(err);
    fill(shell.main, h('div.view-error', h('h2', '页面加载失败'), h('p', describeError(err)),
      h('button.primary', { onclick: () => { mountedRoute = null; render(); } }, '重试')));
  }
}

window.addEventListener('hashchange', render);
render();
