// 指挥地图: wangge's grid tiles as the base, report/heatmap/hotspot layers, filters that
// rebuild the tile URLs, a town selector, and a click on a grid for its staff and this
// month's indicators.

import 'ol/ol.css';
import Map from 'ol/Map.js';
import { defaults as defaultControls, ScaleLine } from 'ol/control.js';
import { containsCoordinate } from 'ol/extent.js';
import { h, fill } from '../dom.js';
import { query, describeError } from '../api.js';
import { PLATFORM_LABELS, STATUS_LABELS, shanghaiDate, percent } from '../labels.js';
import { loadSettings, saveSettings } from '../session.js';
import {
  tileLayer, setTileFilters, externalBaseLayer, loadTowns, townExtent, townsExtent, createView,
  loadGridFeatures, gridOutlineLayer,
} from '../map/index.js';

const OVERLAYS = [
  { layer: 'reports', label: '事件点位', on: true, zIndex: 40 },
  { layer: 'heatmap', label: '热力图', on: false, zIndex: 30, opacity: 0.75 },
  { layer: 'hotspots', label: '热点分析（Gi*）', on: false, zIndex: 5, opacity: 0.8 },
];

function addDays(ymd, n) {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}


export async function mount(root, ctx) {
  const { api, session, notify } = ctx;
  const token = session.token;
  const today = shanghaiDate();
  // The form's dates are inclusive days; the API's `to` is exclusive.
  const state = { town: '', from: addDays(today, -29), to: today, platform: '', category: '', status: '' };
  const apiFilters = () => ({
    town: state.town, from: state.from, to: state.to ? addDays(state.to, 1) : '',
    platform: state.platform, category: state.category, status: state.status,
  });

  // ---- layers --------------------------------------------------------------------------
  const settings = loadSettings();
  let baseLayer = externalBaseLayer(settings.baseMapUrl);
  const grids = tileLayer('grids', { town: state.town }, token, { zIndex: 10 });
  const overlays = OVERLAYS.map((o) => ({ ...o, tile: tileLayer(o.layer, apiFilters(), token, { visible: o.on, zIndex: o.zIndex, opacity: o.opacity }) }));
  const outlines = gridOutlineLayer();

  const mapEl = h('div.map#map', { 'aria-label': '指挥地图' });
  const panel = h('aside.panel.grid-panel', { hidden: true });
  const sidebar = h('aside.sidebar');
  fill(root, h('div.map-view', sidebar, h('div.map-wrap', mapEl, panel)));

  const map = new Map({
    target: mapEl,
    layers: [...(baseLayer ? [baseLayer] : []), grids, ...overlays.map((o) => o.tile), outlines],
    view: createView(),
    controls: defaultControls({ attribution: false }).extend([new ScaleLine()]),
  });

  // Browser tests turn coordinates into pixels through it (tests/web/map.test.mjs).
  mapEl.olMap = map;

  const refreshTiles = () => {
    setTileFilters(grids, { town: state.town }, token);
    for (const o of overlays) setTileFilters(o.tile, apiFilters(), token);
  };

  // ---- sidebar -------------------------------------------------------------------------
  const townSelect = h('select#town', { 'aria-label': '镇街' }, h('option', { value: '' }, '全部镇街'));
  const platformSelect = h('select#platform', { 'aria-label': '平台' }, h('option', { value: '' }, '全部平台'),
    Object.entries(PLATFORM_LABELS).map(([k, v]) => h('option', { value: k }, v)));
  const categorySelect = h('select#category', { 'aria-label': '类别' }, h('option', { value: '' }, '全部类别'));
  const statusSelect = h('select#status', { 'aria-label': '状态' }, h('option', { value: '' }, '全部状态'),
    Object.entries(STATUS_LABELS).map(([k, v]) => h('option', { value: k }, v)));
  const fromInput = h('input#from', { type: 'date', value: state.from, 'aria-label': '起始日期' });
  const toInput = h('input#to', { type: 'date', value: state.to, 'aria-label': '截止日期' });

  const onFilter = () => {
    if (fromInput.value && toInput.value && fromInput.value > toInput.value) {
      notify('起始日期不能晚于截止日期。', 'error');
      return;
    }
    Object.assign(state, {
      from: fromInput.value, to: toInput.value, platform: platformSelect.value,
      category: categorySelect.value, status: statusSelect.value,
    });
    refreshTiles();
  };
  for (const el of [platformSelect, categorySelect, statusSelect, fromInput, toInput]) el.addEventListener('change', onFilter);

  const layerToggles = overlays.map((o) => {
    const box = h('input', { type: 'checkbox', checked: o.on, id: `layer-${o.layer}`, dataset: { layer: o.layer } });
    box.addEventListener('change', () => o.tile.setVisible(box.checked));
    return h('label.check', box, h('span', o.label));
  });

  const hotspotLegend = h('ul.legend-list.hotspot-legend', { hidden: true },
    [['3', '热点（99% 置信）'], ['2', '热点（95%）'], ['1', '热点（90%）'], ['-1', '冷点（90%）'], ['-2', '冷点（95%）'], ['-3', '冷点（99%）']]
      .map(([bin, label]) => h('li', h(`span.swatch.bin${bin.replace('-', 'm')}`), label)));
  const hotspots = overlays.find((o) => o.layer === 'hotspots').tile;
  hotspots.on('change:visible', () => { hotspotLegend.hidden = !hotspots.getVisible(); });

  const baseInput = h('input#basemap', { type: 'url', value: settings.baseMapUrl, placeholder: 'https://…/{z}/{x}/{y}.png', 'aria-label': '外部底图地址' });
  const applyBase = () => {
    const url = baseInput.value.trim();
    if (url && !/\{z\}.*\{x\}.*\{y\}|\{z\}.*\{y\}.*\{x\}/.test(url)) {
      notify('底图地址需包含 {z}、{x}、{y} 占位符。', 'error');
      return;
    }
    saveSettings({ ...settings, baseMapUrl: url });
    settings.baseMapUrl = url;
    if (baseLayer) map.removeLayer(baseLayer);
    baseLayer = externalBaseLayer(url);
    if (baseLayer) map.getLayers().insertAt(0, baseLayer);
    notify(url ? '已启用外部底图。' : '已关闭外部底图。');
  };

  fill(sidebar,
    h('section', h('h3', '镇街'), townSelect),
    h('section', h('h3', '图层'), h('label.check', h('input', { type: 'checkbox', checked: true, disabled: true }), h('span', '网格边界（底图）')), layerToggles),
    h('section', h('h3', '筛选'),
      h('label.field', h('span', '起始日期'), fromInput),
      h('label.field', h('span', '截止日期'), toInput),
      h('label.field', h('span', '平台'), platformSelect),
      h('label.field', h('span', '类别'), categorySelect),
      h('label.field', h('span', '状态'), statusSelect)),
    h('details.settings', h('summary', '外部底图（如天地图）'),
      h('p.hint', '本地网络无法访问互联网时请留空。'), baseInput,
      h('button.ghost', { type: 'button', onclick: applyBase }, '应用')),
    h('section.legend', h('h3', '图例'),
      // The colours of tiles/styles/reports.xml and hotspots.xml.
      h('ul.legend-list', Object.entries(PLATFORM_LABELS).map(([k, v]) => h('li', h(`span.swatch.dot.p-${k}`), v)),
        h('li', h('span.swatch.dot.ring-open'), '未办结'), h('li', h('span.swatch.dot.ring-overdue'), '超期未办'),
        h('li', h('span.swatch.dot.faint'), '已办结 / 不予受理')),
      hotspotLegend),
    h('p.legend-note', '点击网格查看网格长、网格员和所选时段的指标。'));

  // ---- towns and categories ------------------------------------------------------------
  let towns = [];
  try {
    const [allTowns, categories] = await Promise.all([loadTowns(api), api.get('/api/v1/categories')]);
    towns = session.towns?.length ? allTowns.filter((t) => session.towns.includes(t.code)) : allTowns;
    for (const t of towns) townSelect.append(h('option', { value: t.code }, t.name));
    for (const c of categories) categorySelect.append(h('option', { value: c.code }, `${c.name}（${PLATFORM_LABELS[c.platform] || c.platform}）`));
    if (towns.length) map.getView().fit(townsExtent(towns), { padding: [30, 30, 30, 30] });
    if (towns.length === 1) {
      townSelect.value = towns[0].code;
      state.town = towns[0].code;
      refreshTiles();
    }
  } catch (err) {
    notify(describeError(err), 'error');
  }
  townSelect.addEventListener('change', () => {
    state.town = townSelect.value;
    const t = towns.find((x) => x.code === state.town);
    map.getView().fit(t ? townExtent(t) : townsExtent(towns), { padding: [30, 30, 30, 30], duration: 400 });
    refreshTiles();
  });

  // ---- click on a grid -----------------------------------------------------------------
  const gridsByTown = new globalThis.Map();  // town → Promise<features>, fetched once
  const gridsOf = (town) => {
    if (!gridsByTown.has(town)) {
      const p = loadGridFeatures(api, town).then((features) => {
        outlines.getSource().addFeatures(features);
        return features;
      });
      p.catch(() => gridsByTown.delete(town));
      gridsByTown.set(town, p);
    }
    return gridsByTown.get(town);
  };
  let selected = null;
  let clickSeq = 0;

  map.on('singleclick', async (e) => {
    const seq = ++clickSeq;
    const candidates = towns.filter((t) => containsCoordinate(townExtent(t), e.coordinate));
    try {
      await Promise.all(candidates.map((t) => gridsOf(t.code)));
    } catch (err) {
      notify(describeError(err), 'error');
      return;
    }
    if (seq !== clickSeq) return;
    const hit = outlines.getSource().getFeaturesAtCoordinate(e.coordinate)[0];
    if (selected) selected.set('selected', false);
    selected = hit || null;
    if (!hit) {
      panel.hidden = true;
      return;
    }
    hit.set('selected', true);
    showGrid(hit, seq);
  });

  function person(role, p) {
    if (!p) return h('div.person', h('span.role', role), h('span.muted', '未配置'));
    return h('div.person', h('span.role', role), h('span.name', p.name),
      p.phone ? h('a.phone', { href: `tel:${p.phone}` }, p.phone) : h('span.muted', '无电话'));
  }

  async function showGrid(feature, seq) {
    const p = feature.getProperties();
    // The period of the map's date filter, so the panel counts the reports the map shows
    // (a calendar month would be empty on the 1st); an open-ended filter means the last 30 days.
    const period = state.from && state.to
      ? { from: state.from, to: addDays(state.to, 1), label: `${state.from} 至 ${state.to}` }
      : { from: addDays(today, -29), to: addDays(today, 1), label: '近 30 天' };
    const indicators = h('div.indicators', h('p.muted', '正在读取指标…'));
    panel.hidden = false;
    fill(panel,
      h('div.panel-head', h('h2.grid-name', p.name || feature.getId()),
        h('button.icon', { type: 'button', 'aria-label': '关闭', onclick: () => { panel.hidden = true; } }, '×')),
      h('p.muted', `${feature.getId()} · 第 ${p.version ?? '—'} 版`),
      h('section.staff', h('h3', '网格人员'), person('网格长', p.leader), person('网格员', p.worker)),
      h('section', h('h3', '指标'), h('p.muted.period', period.label), indicators));
    try {
      const res = await api.get(`/api/v1/analytics/completion${query({ by: 'grid', town: p.town, from: period.from, to: period.to })}`);
      if (seq !== clickSeq) return;
      const row = res.rows.find((r) => r.key === feature.getId());
      if (!row) {
        fill(indicators, h('p.muted', '该时段暂无事件。'));
        return;
      }
      const tile = (label, value, cls = '') => h(`div.kpi${cls}`, h('span.kpi-value', value ?? '—'), h('span.kpi-label', label));
      fill(indicators, h('div.kpis',
        tile('上报', row.reported), tile('交办', row.dispatched), tile('办结', row.closed),
        tile('超期未办', row.overdue_open, row.overdue_open > 0 ? '.warn' : ''),
        tile('办结率', percent(row.completion_rate)), tile('按时办结率', percent(row.on_time_rate))));
    } catch (err) {
      if (seq === clickSeq) fill(indicators, h('p.error-text', describeError(err)));
    }
  }

  return () => {
    map.setTarget(undefined);
    map.dispose();
  };
}
