// 大屏: the LED wall of the command room — full screen, dark, big type. Counters (today's
// reports, open, overdue, this month's 办结率), a live map (grids, heatmap, open reports,
// the newest reports pulsing) and a scrolling list of the latest reports. Every ~5 s one
// conditional GET of the latest reports (If-None-Match → 304 while nothing changed);
// when it changes, the counters and the tiles are fetched again. See docs/web-views.md.

import 'ol/ol.css';
import './bigscreen.css';
import Map from 'ol/Map.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { Style, Stroke, Fill, Circle } from 'ol/style.js';
import { h, fill } from '../dom.js';
import { describeError, query } from '../api.js';
import { statusLabel, platformLabel, formatTime, shanghaiDate, percent } from '../labels.js';
import { tileUrl, loadTowns, townExtent, townsExtent, createView } from '../map/index.js';
import { loadCounters, OPEN_STATUSES } from '../bigscreen/counts.js';

export const POLL_MS = 5000;
// The counters change with the clock too (a report becomes overdue without any new
// event), so they are refreshed at least this often even when the list is unchanged.
const COUNTERS_MAX_AGE_MS = 60000;
const LATEST = 15;
const PLATFORM_DOTS = [['zongzhi', '#377eb8'], ['shichang', '#4daf4a'], ['zhifa', '#984ea3'], ['bianmin', '#ff7f00']];

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

function addDays(ymd, n) {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export async function mount(root, ctx) {
  const { api, session, navigate } = ctx;
  const token = session.token;
  const state = { town: '', etag: null, known: new Set(), countersAt: 0, timer: null, clock: null, stopped: false, failures: 0 };

  // ---- layout ----------------------------------------------------------------------------
  const counter = (id, label, unit = '') => h(`div.bs-counter#${id}`, h('span.bs-label', label), h('span.bs-value', '—'), unit ? h('span.bs-unit', unit) : null);
  const cToday = counter('bs-today', '今日上报', '件');
  const cOpen = counter('bs-open', '在办事件', '件');
  const cOverdue = counter('bs-overdue', '超期未办结', '件');
  const cRate = counter('bs-rate', '本月办结率');
  const rateNote = h('span.bs-note');
  cRate.append(rateNote);
  const clock = h('span.bs-clock');
  const live = h('span.bs-live', '● 实时');
  const townSelect = h('select#bs-town', { 'aria-label': '镇街' });
  const townTitle = h('span.bs-town');
  const list = h('ul.bs-list');
  const mapEl = h('div.bs-map#bs-map', { 'aria-label': '实时地图' });

  fill(root, h('div.bigscreen',
    h('header.bs-head',
      h('div.bs-title', h('span.logo'), h('h1', '网格化管理指挥大屏'), townTitle),
      h('div.bs-tools', townSelect, live, clock,
        // The LED wall's browser goes truly full screen (no tabs, no address bar) on request.
        document.fullscreenEnabled ? h('button.bs-exit#bs-fullscreen', { type: 'button', title: '浏览器全屏（Esc 退出）', onclick: () => {
          if (document.fullscreenElement) document.exitFullscreen();
          else document.documentElement.requestFullscreen().catch(() => {});
        } }, '全屏') : null,
        h('button.bs-exit', { type: 'button', title: '退出大屏', onclick: () => navigate('map') }, '退出'))),
    h('div.bs-body',
      h('section.bs-counters', cToday, cOpen, cOverdue, cRate),
      h('section.bs-map-wrap', mapEl,
        // The reports tiles colour by platform and ring the overdue in red (docs/tiles.md).
        h('div.bs-legend', h('span.dot.new'), '最新上报',
          h('span.sep', '在办：'), PLATFORM_DOTS.map(([key, color]) => [h('span.dot', { style: `background:${color}` }), platformLabel(key)]),
          h('span.dot.overdue'), '超期', h('span.heat'), '近 7 日热力')),
      h('section.bs-latest', h('h2', '最新事件'), h('div.bs-list-wrap', list)))));

  // ---- map -------------------------------------------------------------------------------
  const today = () => shanghaiDate();
  const layerFilters = () => ({ town: state.town, from: addDays(today(), -6), to: addDays(today(), 1) });
  const xyz = (layer, filters) => new XYZ({ url: tileUrl(layer, filters, token), maxZoom: 20, transition: 0 });
  const grids = new TileLayer({ className: 'bs-grids', source: xyz('grids', { town: state.town }), zIndex: 10 });
  const heat = new TileLayer({ source: xyz('heatmap', layerFilters()), zIndex: 20, opacity: 0.8 });
  const open = new TileLayer({ source: xyz('reports', { ...layerFilters(), status: OPEN_STATUSES.join(',') }), zIndex: 30 });
  const latestSource = new VectorSource();
  const pulse = (f) => {
    const age = (Date.now() - (f.get('seenAt') || 0)) / 1000;
    const fresh = age < 30;
    return [
      new Style({ image: new Circle({ radius: 9, fill: new Fill({ color: '#ffd60a' }), stroke: new Stroke({ color: '#1b1b1b', width: 2 }) }) }),
      ...(fresh ? [new Style({ image: new Circle({ radius: 14 + (age % 2) * 10, stroke: new Stroke({ color: 'rgba(255,214,10,0.8)', width: 3 }) }) })] : []),
    ];
  };
  const latestLayer = new VectorLayer({ source: latestSource, style: pulse, zIndex: 40 });
  const map = new Map({ target: mapEl, layers: [grids, heat, open, latestLayer], view: createView(), controls: [] });
  window.__wangge = { ...(window.__wangge || {}), map, bigscreen: { map, latestSource, poll: () => poll(true) } };

  const refreshTiles = () => {
    grids.getSource().setUrl(tileUrl('grids', { town: state.town }, token));
    heat.getSource().setUrl(tileUrl('heatmap', layerFilters(), token));
    open.getSource().setUrl(tileUrl('reports', { ...layerFilters(), status: OPEN_STATUSES.join(',') }, token));
    // Same URL (nothing but the data changed): fetch again; the server answers 304 for
    // tiles whose ETag did not change.
    for (const l of [grids, heat, open]) l.getSource().refresh();
  };

  // ---- data ------------------------------------------------------------------------------
  const setValue = (el, v) => {
    const span = el.querySelector('.bs-value');
    if (span.textContent !== String(v)) {
      span.textContent = String(v);
      el.classList.remove('bump');
      void el.offsetWidth; // restart the animation
      el.classList.add('bump');
    }
  };

  async function refreshCounters() {
    const c = await loadCounters(api, state.town, today());
    if (state.stopped) return;
    setValue(cToday, c.today);
    setValue(cOpen, c.open);
    setValue(cOverdue, c.overdue);
    setValue(cRate, percent(c.completion.completion_rate));
    rateNote.textContent = `应办结 ${c.completion.due} · 已办结 ${c.completion.closed}`;
    cOverdue.classList.toggle('alarm', c.overdue > 0);
    state.countersAt = Date.now();
    root.querySelector('.bigscreen').dataset.updated = String(state.countersAt);
  }

  function renderLatest(fc) {
    const now = Date.now();
    const first = state.known.size === 0;
    const features = geojson.readFeatures(fc);
    for (const f of features) f.set('seenAt', first || state.known.has(f.getId()) ? 0 : now);
    latestSource.clear();
    latestSource.addFeatures(features);
    fill(list, fc.features.map((f) => {
      const p = f.properties;
      const isNew = !first && !state.known.has(f.id);
      return h(`li.bs-item${isNew ? '.fresh' : ''}${p.overdue ? '.overdue' : ''}`, { dataset: { id: f.id } },
        h('span.bs-time', formatTime(p.reported_at).slice(5)),
        h('span.bs-what', categoryName(p.category), h('small', `${p.grid ? p.grid.name : '未落格'} · ${platformLabel(p.platform)}`)),
        h(`span.bs-status.status-${p.status}`, statusLabel(p.status)));
    }));
    state.known = new Set(fc.features.map((f) => f.id));
  }

  let categories = [];
  const categoryName = (code) => categories.find((c) => c.code === code)?.name || code;

  async function poll(force = false) {
    if (state.stopped) return;
    try {
      const r = await api.get(`/api/v1/reports${query({ town: state.town, limit: LATEST })}`, { etag: force ? null : state.etag });
      if (state.stopped) return;
      const changed = !r.notModified;
      if (changed) {
        state.etag = r.etag;
        const hadData = state.known.size > 0;
        renderLatest(r.data);
        if (hadData) refreshTiles();
      }
      if (changed || Date.now() - state.countersAt > COUNTERS_MAX_AGE_MS) await refreshCounters();
      state.failures = 0;
      live.textContent = '● 实时';
      live.classList.remove('offline');
    } catch (err) {
      state.failures += 1;
      live.textContent = `● ${describeError(err)}`;
      live.classList.add('offline');
    } finally {
      latestLayer.changed();
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(async () => {
      await poll();
      if (!state.stopped) schedule();
    }, POLL_MS);
  }

  const tick = () => { clock.textContent = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', month: 'long', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date()); };
  tick();
  state.clock = setInterval(() => { tick(); latestLayer.changed(); }, 1000);

  async function setTown(code, towns) {
    state.town = code;
    state.etag = null;
    state.known = new Set();
    const t = towns.find((x) => x.code === code);
    townTitle.textContent = t ? t.name : '全部镇街';
    map.getView().fit(t ? townExtent(t) : townsExtent(towns), { padding: [20, 20, 20, 20] });
    refreshTiles();
    await poll(true);
  }

  try {
    const [towns, cats] = await Promise.all([loadTowns(api), api.get('/api/v1/categories').catch(() => [])]);
    categories = cats;
    const mine = session.towns?.length ? towns.filter((t) => session.towns.includes(t.code)) : towns;
    // "All towns" only for a token that covers all (analytics' town=all needs that).
    if (!session.towns?.length) townSelect.append(h('option', { value: '' }, '全部镇街'));
    for (const t of mine) townSelect.append(h('option', { value: t.code }, t.name));
    townSelect.value = session.towns?.length ? mine[0]?.code || '' : '';
    townSelect.addEventListener('change', () => setTown(townSelect.value, mine));
    await setTown(townSelect.value, mine);
  } catch (err) {
    live.textContent = `● ${describeError(err)}`;
    live.classList.add('offline');
  }
  schedule();

  return () => {
    state.stopped = true;
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    clearTimeout(state.timer);
    clearInterval(state.clock);
    map.setTarget(null);
    if (window.__wangge?.bigscreen?.map === map) delete window.__wangge.bigscreen;
    if (window.__wangge?.map === map) delete window.__wangge.map;
  };
}

