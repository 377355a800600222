// 会商: a town's month for the monthly meeting — indicators (STATS.md), completion by
// platform and by grid, the 12-month trend, the Gi* hotspot map, emerging hot and cold
// spots, and the meeting pack (printable HTML, Excel). See docs/web-views.md.

import 'ol/ol.css';
import './dashboard.css';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import Map from 'ol/Map.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { defaults as defaultControls } from 'ol/control.js';
import { Style, Stroke, Fill, Text } from 'ol/style.js';
import { h, fill } from '../dom.js';
import { describeError, query } from '../api.js';
import { PLATFORM_LABELS, percent, shanghaiDate } from '../labels.js';
import { loadTowns, townExtent, createView } from '../map/index.js';
import { BIN_STYLES, emergingLabel, isHot, isCold } from '../dashboard/labels.js';
import { fetchBlob, openBlob, saveBlob } from '../dashboard/download.js';

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
const FONT = '"Noto Sans CJK SC", "Noto Sans SC", sans-serif';
const COLORS = ['#1f7ae0', '#2a9d8f', '#f4a261', '#e76f51', '#7b2cbf'];

/** "2026-06" → "2026-07". */
export function nextMonth(ym) {
  const [y, m] = ym.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

function addMonths(ym, n) {
  const [y, m] = ym.split('-').map(Number);
  const t = y * 12 + (m - 1) + n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}

const pct = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 10);

export async function mount(root, ctx) {
  const { api, session, notify } = ctx;
  // The meeting reviews the last complete month; the current one stays selectable.
  const thisMonth = shanghaiDate().slice(0, 7);
  const state = { town: '', month: addMonths(thisMonth, -1), seq: 0 };
  const charts = [];

  // ---- layout ----------------------------------------------------------------------------
  const townSelect = h('select#town', { 'aria-label': '镇街' });
  const monthInput = h('input#month', { type: 'month', value: state.month, max: thisMonth, 'aria-label': '月份' });
  const packButton = h('button.primary#meeting-html', { type: 'button' }, '会商材料（打印版）');
  const xlsxButton = h('button#meeting-xlsx', { type: 'button' }, '下载 Excel');
  const asOf = h('span.muted.as-of');
  const kpis = h('div.dash-kpis');
  const chartBox = (id, title, note) => {
    const el = h(`div.chart#${id}`);
    return { el, card: h('section.card', h('div.card-head', h('h2', title), note ? h('span.muted', note) : null), el) };
  };
  const platformChart = chartBox('chart-platform', '各平台办结情况', '当月交办事件');
  const trendChart = chartBox('chart-trend', '月度趋势', '近 12 个月');
  const gridChart = chartBox('chart-grid', '网格办结率', '应办结事件最多的 15 个网格');
  const mapEl = h('div.dash-map#hotspot-map', { 'aria-label': '热点分析地图' });
  const moranNote = h('span.muted.moran');
  const legend = h('div.bin-legend', Object.entries(BIN_STYLES).sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([, s]) => h('span.bin', h('i', { style: `background:${s.color}` }), s.label)));
  const emergingBody = h('tbody');
  const emergingSummary = h('p.muted.emerging-summary');

  fill(root, h('div.dashboard-view',
    h('div.dash-toolbar',
      h('h1', '月度会商'),
      h('label.field.inline', h('span', '镇街'), townSelect),
      h('label.field.inline', h('span', '月份'), monthInput),
      asOf,
      h('span.spacer'),
      packButton, xlsxButton),
    kpis,
    h('div.dash-grid',
      platformChart.card,
      trendChart.card,
      h('section.card.map-card', h('div.card-head', h('h2', '热点分析（Getis-Ord Gi*）'), moranNote), mapEl, legend),
      gridChart.card,
      h('section.card.emerging-card', h('div.card-head', h('h2', '时空热点趋势'), h('span.muted', '近 12 个月，新兴热点分析')),
        emergingSummary,
        h('div.table-scroll', h('table.emerging', h('thead', h('tr', h('th', '网格'), h('th', '类型'), h('th', '近 12 个月事件数'), h('th', '趋势 (MK)'))), emergingBody))))));

  // ---- hotspot map -----------------------------------------------------------------------
  const hotSource = new VectorSource();
  const hotLayer = new VectorLayer({
    source: hotSource,
    style: (f) => new Style({
      fill: new Fill({ color: (BIN_STYLES[f.get('bin') ?? 0] || BIN_STYLES[0]).color }),
      stroke: new Stroke({ color: 'rgba(11,37,69,0.6)', width: 1 }),
      text: new Text({ text: String(f.get('count') ?? ''), font: `600 11px ${FONT}`, fill: new Fill({ color: '#0b2545' }), stroke: new Stroke({ color: '#fff', width: 2 }) }),
    }),
  });
  const map = new Map({ target: mapEl, layers: [hotLayer], view: createView(), controls: defaultControls({ attribution: false, rotate: false }) });
  window.__wangge = { ...(window.__wangge || {}), map, dashboard: { map, hotSource, charts } };

  const makeChart = (box) => {
    const c = echarts.init(box.el, null, { renderer: 'canvas' });
    charts.push(c);
    return c;
  };
  const cPlatform = makeChart(platformChart);
  const cTrend = makeChart(trendChart);
  const cGrid = makeChart(gridChart);
  const resize = () => { for (const c of charts) c.resize(); map.updateSize(); };
  window.addEventListener('resize', resize);

  // ---- data ------------------------------------------------------------------------------
  const failed = (card, err) => {
    card.classList.add('failed');
    card.dataset.error = describeError(err);
  };

  async function load() {
    const seq = ++state.seq;
    const { town, month } = state;
    const to = nextMonth(month);
    for (const card of root.querySelectorAll('.card')) { card.classList.remove('failed'); delete card.dataset.error; }
    const base = { town, from: month, to };
    const calls = {
      total: api.get(`/api/v1/analytics/completion${query({ ...base, by: 'town' })}`),
      platform: api.get(`/api/v1/analytics/completion${query({ ...base, by: 'platform' })}`),
      grid: api.get(`/api/v1/analytics/completion${query({ ...base, by: 'grid' })}`),
      months: api.get(`/api/v1/analytics/completion${query({ town, from: addMonths(month, -11), to, by: 'month' })}`),
      hotspots: api.get(`/api/v1/analytics/hotspots${query(base)}`),
      trends: api.get(`/api/v1/analytics/trends${query({ town, end: month, months: 12 })}`),
      grids: api.get(`/api/v1/towns/${encodeURIComponent(town)}/grids`),
    };
    const settled = Object.fromEntries(await Promise.all(Object.entries(calls).map(([k, p]) => p.then((v) => [k, { v }], (e) => [k, { e }]))));
    if (seq !== state.seq) return;
    const errors = Object.values(settled).filter((x) => x.e).map((x) => x.e);
    if (errors.length) notify(describeError(errors[0]), 'error');

    if (settled.total.v) renderKpis(settled.total.v);
    else fill(kpis, h('p.error-text', describeError(settled.total.e)));
    if (settled.platform.v) renderPlatforms(settled.platform.v); else failed(platformChart.card, settled.platform.e);
    if (settled.months.v) renderTrend(settled.months.v); else failed(trendChart.card, settled.months.e);
    if (settled.grid.v) renderGrids(settled.grid.v); else failed(gridChart.card, settled.grid.e);
    if (settled.grids.v && settled.hotspots.v) await renderHotspots(settled.grids.v, settled.hotspots.v);
    else failed(mapEl.closest('.card'), settled.hotspots.e || settled.grids.e);
    if (settled.trends.v) renderEmerging(settled.trends.v, settled.grids.v); else failed(emergingBody.closest('.card'), settled.trends.e);
    root.querySelector('.dashboard-view').dataset.loaded = month;
  }

  function renderKpis(data) {
    const t = data.total;
    asOf.textContent = `统计截至 ${data.as_of.slice(0, 16).replace('T', ' ')}`;
    const kpi = (label, value, cls = '') => h(`div.dash-kpi${cls}`, h('span.v', value), h('span.l', label));
    fill(kpis,
      kpi('上报', t.reported), kpi('受理', t.accepted), kpi('交办', t.dispatched), kpi('应办结', t.due),
      kpi('办结', t.closed), kpi('办结率', percent(t.completion_rate), '.accent'), kpi('按期办结率', percent(t.on_time_rate), '.accent'),
      kpi('超期未办结', t.overdue_open, t.overdue_open ? '.warn' : ''), kpi('返工率', percent(t.rework_rate)),
      kpi('督办', t.supervised), kpi('办结用时中位数', t.median_hours === null ? '—' : `${t.median_hours.toFixed(1)} 小时`));
  }

  const baseOption = () => ({
    textStyle: { fontFamily: FONT },
    color: COLORS,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    grid: { left: 48, right: 48, top: 36, bottom: 28 },
    animation: false,
  });

  function renderPlatforms(data) {
    const rows = data.rows;
    cPlatform.setOption({
      ...baseOption(),
      xAxis: { type: 'category', data: rows.map((r) => PLATFORM_LABELS[r.key] || r.name || r.key) },
      yAxis: [{ type: 'value', name: '件' }, { type: 'value', name: '%', max: 100, splitLine: { show: false } }],
      series: [
        { name: '交办', type: 'bar', barMaxWidth: 28, data: rows.map((r) => r.dispatched) },
        { name: '办结', type: 'bar', barMaxWidth: 28, data: rows.map((r) => r.closed) },
        { name: '超期未办结', type: 'bar', barMaxWidth: 28, data: rows.map((r) => r.overdue_open), itemStyle: { color: '#d62828' } },
        { name: '办结率', type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.completion_rate)), symbolSize: 8 },
        { name: '按期办结率', type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.on_time_rate)), symbolSize: 8 },
      ],
    }, true);
  }

  function renderTrend(data) {
    const rows = [...data.rows].sort((a, b) => String(a.key).localeCompare(String(b.key)));
    cTrend.setOption({
      ...baseOption(),
      xAxis: { type: 'category', data: rows.map((r) => String(r.key).slice(0, 7)) },
      yAxis: [{ type: 'value', name: '件' }, { type: 'value', name: '%', max: 100, splitLine: { show: false } }],
      series: [
        { name: '上报', type: 'bar', data: rows.map((r) => r.reported), itemStyle: { color: '#9ec5f5' } },
        { name: '交办', type: 'line', data: rows.map((r) => r.dispatched), smooth: true },
        { name: '办结率', type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.completion_rate)), smooth: true, itemStyle: { color: '#2a9d8f' } },
        { name: '按期办结率', type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.on_time_rate)), smooth: true, itemStyle: { color: '#e76f51' } },
      ],
    }, true);
  }

  function renderGrids(data) {
    const rows = data.rows.filter((r) => r.due > 0).sort((a, b) => b.due - a.due).slice(0, 15)
      .sort((a, b) => (a.completion_rate ?? 0) - (b.completion_rate ?? 0));
    cGrid.setOption({
      ...baseOption(),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 130, right: 48, top: 36, bottom: 28 },
      yAxis: { type: 'category', data: rows.map((r) => r.name || r.key), axisLabel: { fontSize: 11 } },
      xAxis: [{ type: 'value', max: 100, name: '%' }],
      series: [
        { name: '办结率', type: 'bar', barMaxWidth: 14, data: rows.map((r) => pct(r.completion_rate)), itemStyle: { color: '#1f7ae0' } },
        { name: '按期办结率', type: 'bar', barMaxWidth: 14, data: rows.map((r) => pct(r.on_time_rate)), itemStyle: { color: '#f4a261' } },
      ],
    }, true);
  }

  async function renderHotspots(fc, hot) {
    const byGrid = new globalThis.Map(hot.grids.map((g) => [g.grid, g]));
    const features = geojson.readFeatures(fc);
    for (const f of features) {
      const g = byGrid.get(f.get('id') ?? f.getId());
      f.setProperties({ bin: g?.bin ?? 0, count: g?.count ?? 0, gi_z: g?.gi_z ?? null });
    }
    hotSource.clear();
    hotSource.addFeatures(features);
    const t = (await loadTowns(api)).find((x) => x.code === state.town);
    if (t) map.getView().fit(townExtent(t), { padding: [10, 10, 10, 10] });
    const m = hot.moran;
    moranNote.textContent = m ? `全局 Moran's I = ${m.I.toFixed(3)}${m.p !== null && m.p !== undefined ? `，p = ${m.p.toFixed(3)}` : ''}` : '';
  }

  function renderEmerging(data, fc) {
    const names = new globalThis.Map((fc?.features || []).map((f) => [f.properties?.id ?? f.id, f.properties?.name]));
    const rows = data.grids.filter((g) => g.category && g.category !== 'no_pattern')
      .sort((a, b) => (isHot(b.category) - isHot(a.category)) || ((b.mann_kendall?.z ?? 0) - (a.mann_kendall?.z ?? 0)));
    const hot = rows.filter((g) => isHot(g.category)).length;
    const cold = rows.filter((g) => isCold(g.category)).length;
    emergingSummary.textContent = `${data.months[0]} 至 ${data.months[data.months.length - 1]}：热点 ${hot} 个，冷点 ${cold} 个，其余 ${data.grids.length - rows.length} 个网格无显著模式。`;
    const spark = (counts) => {
      const max = Math.max(1, ...counts);
      return h('span.spark', counts.map((c) => h('i', { style: `height:${Math.round((c / max) * 100)}%`, title: String(c) })));
    };
    fill(emergingBody, rows.length
      ? rows.map((g) => h(`tr.${isHot(g.category) ? 'hot' : 'cold'}`,
        h('td', names.get(g.grid) || g.grid),
        h('td', h('span.cat', emergingLabel(g.category))),
        h('td', spark(g.counts), h('span.muted', ` 合计 ${g.counts.reduce((a, b) => a + b, 0)}`)),
        h('td', g.mann_kendall?.z === null || g.mann_kendall?.z === undefined ? '—'
          : `${g.mann_kendall.z > 0 ? '↑' : g.mann_kendall.z < 0 ? '↓' : '→'} z=${g.mann_kendall.z.toFixed(2)}`)))
      : h('tr', h('td.empty', { colSpan: 4 }, '近 12 个月没有显著的时空热点或冷点。')));
  }

  // ---- meeting pack ----------------------------------------------------------------------
  const packPath = (f) => `/api/v1/meetings/${encodeURIComponent(state.town)}/${state.month}${f ? `?f=${f}` : ''}`;
  packButton.addEventListener('click', async () => {
    packButton.disabled = true;
    try {
      await openBlob(async () => new Blob([await fetchBlob(api, packPath(''), 'text/html')], { type: 'text/html;charset=utf-8' }));
    } catch (err) {
      notify(describeError(err), 'error');
    } finally {
      packButton.disabled = false;
    }
  });
  xlsxButton.addEventListener('click', async () => {
    xlsxButton.disabled = true;
    try {
      saveBlob(await fetchBlob(api, packPath('xlsx'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
        `会商材料-${state.town}-${state.month}.xlsx`);
      notify('Excel 已开始下载。', 'success');
    } catch (err) {
      notify(describeError(err), 'error');
    } finally {
      xlsxButton.disabled = false;
    }
  });

  // ---- start -----------------------------------------------------------------------------
  try {
    const towns = await loadTowns(api);
    const mine = session.towns?.length ? towns.filter((t) => session.towns.includes(t.code)) : towns;
    for (const t of mine) townSelect.append(h('option', { value: t.code }, t.name));
    state.town = mine[0]?.code || '';
    townSelect.value = state.town;
    townSelect.addEventListener('change', () => { state.town = townSelect.value; load(); });
    monthInput.addEventListener('change', () => {
      if (!/^\d{4}-\d{2}$/.test(monthInput.value)) return;
      state.month = monthInput.value;
      load();
    });
    if (state.town) await load();
  } catch (err) {
    notify(describeError(err), 'error');
  }

  return () => {
    window.removeEventListener('resize', resize);
    for (const c of charts) c.dispose();
    map.setTarget(null);
    if (window.__wangge?.dashboard?.map === map) delete window.__wangge.dashboard;
    if (window.__wangge?.map === map) delete window.__wangge.map;
  };
}
