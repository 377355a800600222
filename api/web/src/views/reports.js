// 事件列表: reports with status, due dates and overdue marks, cursor paging, filters, a
// detail panel with the timeline and the actions the role may take; the page polls with
// If-None-Match so new reports appear without a reload.

import { h, fill } from '../dom.js';
import { query, describeError } from '../api.js';
import {
  STATUS_LABELS, PLATFORM_LABELS, HANDLING_LABELS, MODE_LABELS, statusLabel, platformLabel, actionLabel, formatTime,
} from '../labels.js';
import { loadTowns } from '../map/index.js';

const PAGE_SIZE = 50;
const POLL_MS = 8000;

// Which role may post which action (API.md: Roles; data/reports.cpp enforces it). The
// status side comes from the workflow: TRANSITIONS[status] lists the legal actions.
const TRANSITIONS = {
  reported: ['accept', 'reject', 'resolve_on_site'],
  accepted: ['dispatch', 'reject'],
  dispatched: ['start', 'resolve', 'supervise'],
  in_progress: ['resolve', 'supervise', 'dispatch'],
  resolved: ['close', 'reopen', 'supervise'],
  closed: ['reopen'],
  rejected: [],
};
const ROLE_ACTIONS = {
  admin: null,  // every action
  command: null,
  grid_worker: ['resolve_on_site'],
  platform: ['start', 'resolve'],
  leader: ['supervise'],
  gis_admin: [],
};

export function allowedActions(role, status, platform, callerPlatform) {
  const legal = TRANSITIONS[status] || [];
  const mine = ROLE_ACTIONS[role];
  return legal.filter((a) => (mine === null || mine === undefined ? role === 'admin' || role === 'command' : mine.includes(a))
    && !(role === 'platform' && callerPlatform && platform !== callerPlatform));
}

export async function mount(root, ctx) {
  const { api, session, notify } = ctx;
  const filters = { status: '', town: '', overdue: '' };
  let cursors = [null];  // cursors[i] = the cursor of page i (null: first page)
  let page = 0;
  let etag = null;
  let selectedId = null;
  let timer = null;
  let disposed = false;
  let known = new Set();

  const statusSelect = h('select#f-status', { 'aria-label': '状态' }, h('option', { value: '' }, '全部状态'),
    Object.entries(STATUS_LABELS).map(([k, v]) => h('option', { value: k }, v)));
  const townSelect = h('select#f-town', { 'aria-label': '镇街' }, h('option', { value: '' }, '全部镇街'));
  const overdueBox = h('input#f-overdue', { type: 'checkbox' });
  const tbody = h('tbody');
  const info = h('span.page-info');
  const prev = h('button.ghost#prev', { type: 'button', disabled: true, onclick: () => goto(page - 1) }, '上一页');
  const next = h('button.ghost#next', { type: 'button', disabled: true, onclick: () => goto(page + 1) }, '下一页');
  const live = h('span.live', '● 实时');
  const detail = h('aside.panel.report-panel', { hidden: true });

  fill(root, h('div.reports-view',
    h('section.list',
      h('div.toolbar',
        h('label.field.inline', h('span', '状态'), statusSelect),
        h('label.field.inline', h('span', '镇街'), townSelect),
        h('label.check', overdueBox, h('span', '仅看超期')),
        h('span.spacer'), live),
      h('div.table-wrap', h('table.reports#reports',
        h('thead', h('tr', ['编号', '状态', '类别', '平台', '镇街 / 网格', '上报时间', '办理期限'].map((t) => h('th', t)))),
        tbody)),
      h('div.pager', prev, info, next)),
    detail));

  const towns = await loadTowns(api).catch((e) => { notify(describeError(e), 'error'); return []; });
  const townName = (code) => towns.find((t) => t.code === code)?.name || code;
  for (const t of towns) if (!session.towns?.length || session.towns.includes(t.code)) townSelect.append(h('option', { value: t.code }, t.name));
  const categories = await api.get('/api/v1/categories').catch(() => []);
  const categoryName = (code) => categories.find((c) => c.code === code)?.name || code;

  const onFilter = () => {
    Object.assign(filters, { status: statusSelect.value, town: townSelect.value, overdue: overdueBox.checked ? 'true' : '' });
    cursors = [null];
    goto(0);
  };
  for (const el of [statusSelect, townSelect, overdueBox]) el.addEventListener('change', onFilter);

  function listUrl() {
    return `/api/v1/reports${query({ ...filters, limit: PAGE_SIZE, cursor: cursors[page] })}`;
  }

  function row(f) {
    const p = f.properties;
    const tr = h(`tr${p.overdue ? '.overdue' : ''}${f.id === selectedId ? '.selected' : ''}${known.size && !known.has(f.id) ? '.fresh' : ''}`,
      { dataset: { id: f.id, status: p.status }, tabIndex: 0, onclick: () => openDetail(f.id),
        onkeydown: (e) => { if (e.key === 'Enter') openDetail(f.id); } },
      h('td.mono', `#${f.id}`),
      h('td', h(`span.badge.status-${p.status}`, statusLabel(p.status))),
      h('td', categoryName(p.category)),
      h('td', platformLabel(p.platform)),
      h('td', townName(p.town), h('span.muted', ` / ${p.grid ? p.grid.name : '未落格'}`)),
      h('td', formatTime(p.reported_at)),
      h('td', p.due_at ? formatTime(p.due_at) : '—', p.overdue ? h('span.badge.overdue-badge', '超期') : null));
    return tr;
  }

  async function load({ poll = false } = {}) {
    try {
      const r = await api.get(listUrl(), { etag: poll ? etag : null });
      if (disposed) return;
      live.classList.remove('offline');
      if (r.notModified) return;
      etag = r.etag;
      const fc = r.data;
      if (!poll) known = new Set();
      fill(tbody, fc.features.length ? fc.features.map(row) : h('tr', h('td.empty', { colSpan: 7 }, '没有符合条件的事件。')));
      if (poll) {
        const fresh = fc.features.filter((f) => !known.has(f.id)).length;
        if (fresh > 0 && known.size) notify(`有 ${fresh} 条新事件或更新。`);
      }
      known = new Set(fc.features.map((f) => f.id));
      cursors[page + 1] = fc.next_cursor || undefined;
      prev.disabled = page === 0;
      next.disabled = !fc.next_cursor;
      info.textContent = `第 ${page + 1} 页 · 本页 ${fc.numberReturned} 条`;
    } catch (err) {
      if (disposed) return;
      live.classList.add('offline');
      if (!poll) fill(tbody, h('tr', h('td.error-text', { colSpan: 7 }, describeError(err))));
      else notify(describeError(err), 'error');
    }
  }

  function goto(n) {
    if (n < 0 || (n > 0 && !cursors[n])) return;
    page = n;
    etag = null;
    load();
  }

  // ---- detail --------------------------------------------------------------------------
  // Staff of a town, once per town: the people a dispatch can name (assignees).
  const staffByTown = new Map();
  const staffOf = (town) => {
    if (!staffByTown.has(town)) {
      const p = api.get(`/api/v1/towns/${encodeURIComponent(town)}/workers`);
      p.catch(() => staffByTown.delete(town));
      staffByTown.set(town, p);
    }
    return staffByTown.get(town);
  };
  const STAFF_ROLE = { grid_leader: '网格长', grid_worker: '网格员', command: '指挥中心', platform: '平台' };

  async function openDetail(id) {
    selectedId = id;
    for (const tr of tbody.querySelectorAll('tr')) tr.classList.toggle('selected', Number(tr.dataset.id) === id);
    detail.hidden = false;
    fill(detail, h('p.muted', '正在读取…'));
    try {
      const f = await api.get(`/api/v1/reports/${id}`);
      if (disposed || selectedId !== id) return;
      renderDetail(f);
    } catch (err) {
      fill(detail, h('p.error-text', describeError(err)));
    }
  }

  function renderDetail(f) {
    const p = f.properties;
    const actions = allowedActions(session.role, p.status, p.platform, session.platform);
    const form = h('div.action-form');
    const kv = (k, v) => [h('dt', k), h('dd', v ?? '—')];
    // Ids first, names once the town's staff list is in (it needs a staff-reading role).
    const assigneesText = h('span#detail-assignees', p.assignees?.length ? p.assignees.join('、') : '—');
    if (p.assignees?.length) {
      staffOf(p.town).then((staff) => {
        assigneesText.textContent = p.assignees.map((id) => staff.find((w) => w.id === id)?.name || id).join('、');
      }).catch(() => {});
    }
    fill(detail,
      h('div.panel-head', h('h2', `事件 #${f.id}`), h('button.icon', { type: 'button', 'aria-label': '关闭', onclick: () => { detail.hidden = true; selectedId = null; } }, '×')),
      h('p', h(`span.badge.status-${p.status}#detail-status`, { dataset: { status: p.status } }, statusLabel(p.status)),
        p.overdue ? h('span.badge.overdue-badge', '超期') : null),
      h('dl.kv',
        kv('类别', categoryName(p.category)), kv('平台', platformLabel(p.platform)),
        kv('镇街', townName(p.town)), kv('网格', p.grid ? `${p.grid.name}（${p.grid.id}）` : '未落格（属地兜底）'),
        kv('网格长', p.responsible?.leader ? `${p.responsible.leader.name} ${p.responsible.leader.phone || ''}` : '—'),
        kv('网格员', p.responsible?.worker ? `${p.responsible.worker.name} ${p.responsible.worker.phone || ''}` : '—'),
        kv('上报时间', formatTime(p.reported_at)), kv('办理期限', formatTime(p.due_at)),
        kv('办理方式', p.handling ? `${HANDLING_LABELS[p.handling] || p.handling} · ${MODE_LABELS[p.mode] || p.mode || ''}` : '—'),
        kv('承办人员', assigneesText),
        kv('描述', p.description || '—')),
      h('section', h('h3', '办理'), actions.length
        ? h('div.actions', actions.map((a) => h(`button.action${a === 'dispatch' ? '.primary' : ''}`, { type: 'button', dataset: { action: a }, onclick: () => openAction(f, a, form) }, actionLabel(a))))
        : h('p.muted', '当前状态下没有您可执行的操作。'), form),
      h('section', h('h3', '办理时间线'), h('ol.timeline', (p.timeline || []).slice().reverse().map((e) => h('li',
        h('div.tl-head', h('strong', actionLabel(e.action)), h('span.muted', formatTime(e.at))),
        h('div.tl-body', e.from ? `${statusLabel(e.from)} → ${statusLabel(e.to)}` : statusLabel(e.to), ` · ${e.actor}`,
          e.details?.platform ? ` · 交办${platformLabel(e.details.platform)}` : '',
          e.note ? h('div.note', e.note) : null))))));
  }


  function openAction(f, action, form) {
    const note = h('textarea#action-note', { rows: 2, placeholder: '办理意见（可选）' });
    const extra = [];
    let platform, handling, mode, assignees;
    if (action === 'dispatch') {
      platform = h('select#dispatch-platform', Object.entries(PLATFORM_LABELS).map(([k, v]) => h('option', { value: k, selected: k === f.properties.platform }, v)));
      handling = h('select#dispatch-handling', Object.entries(HANDLING_LABELS).map(([k, v]) => h('option', { value: k }, v)));
      mode = h('select#dispatch-mode', Object.entries(MODE_LABELS).map(([k, v]) => h('option', { value: k }, v)));
      assignees = h('select#dispatch-assignees', { multiple: true, size: 4, 'aria-label': '承办人员' });
      // The chosen platform's staff and the report's grid staff; optional.
      const refill = async () => {
        try {
          const staff = await staffOf(f.properties.town);
          const gridId = f.properties.grid?.id;
          fill(assignees, staff.filter((w) => (w.role === 'platform' && w.platform === platform.value) || (gridId && w.grids?.includes(gridId)))
            .map((w) => h('option', { value: w.id }, `${w.name}（${w.role === 'platform' ? platformLabel(w.platform) : STAFF_ROLE[w.role] || w.role}）`)));
        } catch {
          fill(assignees);  // staff lists need a staff-reading role; assignees stay optional
        }
      };
      platform.addEventListener('change', refill);
      refill();
      extra.push(h('label.field', h('span', '交办平台'), platform), h('label.field', h('span', '归口/协调'), handling),
        h('label.field', h('span', '领办/联办/督办'), mode), h('label.field', h('span', '承办人员（可多选，可不选）'), assignees));
    }
    const submit = h('button.primary#action-submit', { type: 'submit' }, `确认${actionLabel(action)}`);
    fill(form, h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        submit.disabled = true;
        const body = { action };
        if (note.value.trim()) body.note = note.value.trim();
        if (action === 'dispatch') {
          Object.assign(body, { platform: platform.value, handling: handling.value, mode: mode.value });
          const chosen = [...assignees.selectedOptions].map((o) => o.value);
          if (chosen.length) body.assignees = chosen;
        }
        try {
          const out = await api.send('POST', `/api/v1/reports/${f.id}/events`, body);
          notify(`事件 #${f.id} 已${actionLabel(action)}，当前状态：${statusLabel(out.report.properties.status)}。`, 'success');
          renderDetail(out.report);
          etag = null;
          load();
        } catch (err) {
          notify(describeError(err), 'error');
          submit.disabled = false;
        }
      },
    }, extra, h('label.field', h('span', '意见'), note), h('div.form-actions', submit,
      h('button.ghost', { type: 'button', onclick: () => fill(form) }, '取消'))));
  }

  await load();
  timer = setInterval(() => { if (!document.hidden) load({ poll: true }); }, POLL_MS);
  return () => {
    disposed = true;
    clearInterval(timer);
  };
}
