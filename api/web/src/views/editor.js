// 网格编辑: a town's grids as editable features. Shared vertices move together (one Modify
// over every grid plus Snap), a drawn line splits a grid, two neighbours merge; everything
// is saved as one atomic batch PUT (docs/grids.md), and a 422's findings are drawn on the
// map where they are. See docs/web-views.md.

import 'ol/ol.css';
import './editor.css';
import Map from 'ol/Map.js';
import Collection from 'ol/Collection.js';
import Feature from 'ol/Feature.js';
import Polygon from 'ol/geom/Polygon.js';
import MultiPoint from 'ol/geom/MultiPoint.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Modify from 'ol/interaction/Modify.js';
import Snap from 'ol/interaction/Snap.js';
import Draw from 'ol/interaction/Draw.js';
import { defaults as defaultControls, ScaleLine } from 'ol/control.js';
import { toLonLat, fromLonLat } from 'ol/proj.js';
import { Style, Stroke, Fill, Text, Circle } from 'ol/style.js';
import { h, fill } from '../dom.js';
import { describeError, ApiError } from '../api.js';
import { loadTowns, townExtent, createView, externalBaseLayer } from '../map/index.js';
import { loadSettings } from '../session.js';
import { CoordBook, splitRing, mergePolygons, SplitError, MergeError } from '../editor/geometry.js';
import { problemKindLabel, formatArea } from '../editor/problems.js';

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

const MODES = [
  { id: 'shared', label: '移动顶点（相邻网格联动）', hint: '拖动顶点：共用该顶点的所有网格一起改变；拖动边线中部可新增顶点；Alt+单击删除顶点。单击网格可选中。' },
  { id: 'single', label: '仅编辑所选网格', hint: '只移动所选网格自己的顶点（相邻网格不动），用于把边界从邻居处分开。先单击选中网格。' },
  { id: 'split', label: '分割', hint: '绘制一条完整穿过一个网格的线（单击加点，双击结束，Esc 取消）。若已选中一个网格，则分割该网格。' },
];

function styles() {
  const label = (f, color) => new Text({
    text: f.get('name') || '', font: '600 12px "Noto Sans CJK SC", sans-serif', overflow: false,
    fill: new Fill({ color }), stroke: new Stroke({ color: '#fff', width: 3 }),
  });
  // The vertices drawn as dots, so a grid admin sees what can be dragged.
  const vertex = new Style({
    image: new Circle({ radius: 3, fill: new Fill({ color: '#13315c' }) }),
    geometry: (f) => {
      const g = f.getGeometry();
      return new MultiPoint(g.getCoordinates().flat(g.getType() === 'Polygon' ? 1 : 2));
    },
  });
  return { label, vertex };
}

export async function mount(root, ctx) {
  const { api, session, notify } = ctx;
  const { label, vertex } = styles();

  // ---- state -----------------------------------------------------------------------------
  const book = new CoordBook((c) => toLonLat(c));
  const state = {
    town: '',
    mode: 'shared',
    original: new globalThis.Map(), // grid id → {coords JSON, version, name}
    retired: [], // {id, version, name}
    newCount: 0,
    busy: false,
  };
  const selected = new Collection();

  // ---- layers ----------------------------------------------------------------------------
  const source = new VectorSource();
  const gridStyle = (f) => {
    const isSel = selected.getArray().includes(f);
    const status = f.get('isNew') ? 'new' : isChanged(f) ? 'changed' : 'same';
    const stroke = isSel ? '#ff8c00' : status === 'new' ? '#7b2cbf' : status === 'changed' ? '#2a9d8f' : '#13315c';
    const fillColor = isSel ? 'rgba(255,183,3,0.28)' : status === 'new' ? 'rgba(123,44,191,0.16)'
      : status === 'changed' ? 'rgba(42,157,143,0.18)' : 'rgba(31,122,224,0.06)';
    return [
      new Style({
        stroke: new Stroke({ color: stroke, width: isSel ? 3 : 1.5, lineDash: status === 'same' || isSel ? undefined : [8, 4] }),
        fill: new Fill({ color: fillColor }),
        text: label(f, isSel ? '#8a4b00' : '#0b2545'),
      }),
      vertex,
    ];
  };
  const gridLayer = new VectorLayer({ source, style: gridStyle, zIndex: 20, updateWhileInteracting: true });

  const problemSource = new VectorSource();
  const problemStyle = (f) => new Style({
    stroke: new Stroke({ color: '#d62828', width: 3 }),
    fill: new Fill({ color: 'rgba(214,40,40,0.45)' }),
    image: new Circle({ radius: 9, stroke: new Stroke({ color: '#fff', width: 2 }), fill: new Fill({ color: '#d62828' }) }),
    text: new Text({
      text: `${problemKindLabel(f.get('kind'))}${f.get('index') ? ` ${f.get('index')}` : ''}`,
      font: 'bold 13px "Noto Sans CJK SC", sans-serif', offsetY: -16, overflow: true,
      fill: new Fill({ color: '#fff' }), backgroundFill: new Fill({ color: '#d62828' }), padding: [2, 4, 2, 4],
    }),
  });
  const problemLayer = new VectorLayer({ source: problemSource, style: problemStyle, zIndex: 60 });

  const settings = loadSettings();
  const base = externalBaseLayer(settings.baseMapUrl);
  const mapEl = h('div.map#editor-map', { 'aria-label': '网格编辑地图' });
  const map = new Map({
    target: mapEl,
    layers: [...(base ? [base] : []), gridLayer, problemLayer],
    view: createView(),
    controls: defaultControls({ attribution: false }).extend([new ScaleLine()]),
  });
  // Browser tests turn coordinates into pixels through these (tests/web/editor.test.mjs).
  window.__wangge = { ...(window.__wangge || {}), map, editor: { map, source, problemSource, selected, book } };

  // ---- interactions ----------------------------------------------------------------------
  // Shared mode: one Modify over the whole source, so a vertex several grids hold (exactly
  // equal coordinates) is dragged in all of them at once. Single mode: only the selection.
  const modifyShared = new Modify({ source, pixelTolerance: 10 });
  const modifySingle = new Modify({ features: selected, pixelTolerance: 10 });
  const snap = new Snap({ source, pixelTolerance: 8 });
  const draw = new Draw({
    type: 'LineString',
    style: new Style({ stroke: new Stroke({ color: '#e63946', width: 2.5, lineDash: [6, 4] }), image: new Circle({ radius: 4, fill: new Fill({ color: '#e63946' }) }) }),
  });
  for (const i of [modifyShared, modifySingle, draw, snap]) map.addInteraction(i);

  const afterModify = () => { problemSource.clear(); refreshChanges(); };
  modifyShared.on('modifyend', afterModify);
  modifySingle.on('modifyend', afterModify);
  draw.on('drawend', (e) => {
    const line = e.feature.getGeometry().getCoordinates();
    // The sketch feature is not added to any source; split on the next tick so OpenLayers
    // finishes its own bookkeeping first.
    setTimeout(() => splitWith(line), 0);
  });

  function setMode(mode) {
    state.mode = mode;
    modifyShared.setActive(mode === 'shared');
    modifySingle.setActive(mode === 'single');
    draw.setActive(mode === 'split');
    // Snap must be added after the interactions it serves; re-adding keeps it last.
    map.removeInteraction(snap);
    map.addInteraction(snap);
    for (const b of modeButtons) b.classList.toggle('active', b.dataset.mode === mode);
    modeHint.textContent = MODES.find((m) => m.id === mode).hint;
  }

  // Click selects (toggles) a grid; not while drawing a split line.
  map.on('singleclick', (e) => {
    if (state.mode === 'split') return;
    const f = map.forEachFeatureAtPixel(e.pixel, (x) => x, { layerFilter: (l) => l === gridLayer, hitTolerance: 0 });
    if (!f) {
      selected.clear();
    } else if (selected.getArray().includes(f)) {
      selected.remove(f);
    } else {
      if (selected.getLength() >= 2) selected.removeAt(0);
      selected.push(f);
    }
    gridLayer.changed();
    renderSelection();
  });

  // ---- load ------------------------------------------------------------------------------
  // `keepView`: after a save or a reload the admin stays where they were working.
  async function loadTown(town, { keepView = false } = {}) {
    state.town = town;
    problemSource.clear();
    selected.clear();
    source.clear();
    state.original.clear();
    state.retired = [];
    state.newCount = 0;
    fill(resultBox);
    fill(problemList);
    problemBox.hidden = true;
    if (!town) { refreshChanges(); return; }
    status.textContent = '正在加载网格…';
    try {
      const fc = await api.get(`/api/v1/towns/${encodeURIComponent(town)}/grids`);
      if (state.town !== town) return;
      const features = geojson.readFeatures(fc);
      features.forEach((f, idx) => {
        // Remember each vertex's exact lon/lat: unmoved vertices go back unchanged.
        const src = fc.features[idx].geometry;
        const polys = src.type === 'Polygon' ? [src.coordinates] : src.coordinates;
        const geom = f.getGeometry();
        const disp = geom.getType() === 'Polygon' ? [geom.getCoordinates()] : geom.getCoordinates();
        polys.forEach((p, pi) => p.forEach((r, ri) => r.forEach((c, ci) => book.remember(disp[pi][ri][ci], c))));
        f.setId(f.get('id') ?? fc.features[idx].id);
        state.original.set(f.getId(), { coords: JSON.stringify(geom.getCoordinates()), version: f.get('version'), name: f.get('name') });
      });
      source.addFeatures(features);
      const t = (await loadTowns(api)).find((x) => x.code === town);
      if (t && !keepView) map.getView().fit(townExtent(t), { padding: [30, 30, 30, 30], duration: 0 });
      status.textContent = `${features.length} 个网格`;
    } catch (err) {
      status.textContent = '';
      showError(err);
    }
    refreshChanges();
  }

  // ---- changes ---------------------------------------------------------------------------
  function isChanged(f) {
    const o = state.original.get(f.getId());
    return !o || o.coords !== JSON.stringify(f.getGeometry().getCoordinates());
  }

  function changes() {
    const changed = [];
    const created = [];
    for (const f of source.getFeatures()) {
      if (f.get('isNew')) created.push(f);
      else if (isChanged(f)) changed.push(f);
    }
    return { changed, created, retired: state.retired };
  }

  function toLonLatGeometry(f) {
    const g = f.getGeometry();
    if (g.getType() === 'Polygon') return { type: 'Polygon', coordinates: g.getCoordinates().map((r) => book.ring(r)) };
    return { type: 'MultiPolygon', coordinates: g.getCoordinates().map((p) => p.map((r) => book.ring(r))) };
  }

  function batchBody() {
    const { changed, created, retired } = changes();
    const features = [
      ...changed.map((f) => ({ type: 'Feature', id: f.getId(), properties: { id: f.getId(), version: state.original.get(f.getId()).version }, geometry: toLonLatGeometry(f) })),
      ...created.map((f) => ({ type: 'Feature', properties: { name: f.get('name') }, geometry: toLonLatGeometry(f) })),
      ...retired.map((r) => ({ type: 'Feature', id: r.id, properties: { id: r.id, version: r.version, retired: true }, geometry: null })),
    ];
    return { type: 'FeatureCollection', features };
  }

  // ---- split and merge -------------------------------------------------------------------
  function polygonOf(f) {
    const g = f.getGeometry();
    if (g.getType() !== 'Polygon') throw new SplitError('只能分割单个多边形的网格。');
    if (g.getLinearRingCount() > 1) throw new SplitError('含内部空洞的网格暂不能用画线分割。');
    return g.getCoordinates()[0];
  }

  function splitWith(line) {
    try {
      let target = selected.getLength() === 1 ? selected.item(0) : null;
      let result = null;
      if (target) {
        const ring = polygonOf(target);
        result = splitRing(ring, line, book.ring(ring), (c) => book.lonLat(c));
      } else {
        // No selection: the one grid the line cuts cleanly.
        const found = [];
        for (const f of source.getFeatures()) {
          try {
            const ring = polygonOf(f);
            found.push({ f, r: splitRing(ring, line, book.ring(ring), (c) => book.lonLat(c)) });
          } catch { /* the line does not split this one */ }
        }
        if (found.length !== 1) {
          throw new SplitError(found.length ? '分割线穿过了多个网格，请先单击选中要分割的网格。' : '分割线须完整穿过一个网格（起点和终点都在网格之外）。');
        }
        ({ f: target, r: result } = found[0]);
      }
      const [keep, part] = [0, 1].map((k) => {
        result.parts[k].forEach((c, i) => book.remember(c, result.lonLatParts[k][i]));
        return result.parts[k];
      });
      target.setGeometry(new Polygon([keep]));
      state.newCount += 1;
      const created = new Feature({ geometry: new Polygon([part]), name: `${target.get('name')}（分${state.newCount}）`, isNew: true });
      source.addFeature(created);
      selected.clear();
      selected.push(target);
      selected.push(created);
      problemSource.clear();
      notify(`已将「${target.get('name')}」分割为两部分（尚未保存）。`, 'info');
    } catch (err) {
      if (err instanceof SplitError) notify(err.message, 'error');
      else throw err;
    }
    gridLayer.changed();
    renderSelection();
    refreshChanges();
  }

  function merge() {
    const [a, b] = [...selected.getArray()].sort((x, y) => String(x.getId() ?? '~').localeCompare(String(y.getId() ?? '~')));
    try {
      if (!a || !b) throw new MergeError('请先单击选中两个相邻的网格。');
      const lonlat = (f) => {
        const g = toLonLatGeometry(f);
        if (g.type !== 'Polygon') throw new MergeError('只能合并单个多边形的网格。');
        return g.coordinates;
      };
      const merged = mergePolygons(lonlat(a), lonlat(b));
      const rings = merged.map((r) => r.map((ll) => {
        const d = fromLonLat(ll);
        book.remember(d, ll);
        return d;
      }));
      // The grid with an id (the smaller one) keeps it; the other retires or, if it was
      // drawn in this session, simply disappears.
      const keep = a.getId() ? a : b;
      const gone = keep === a ? b : a;
      keep.setGeometry(new Polygon(rings));
      source.removeFeature(gone);
      if (gone.getId()) {
        state.retired.push({ id: gone.getId(), version: state.original.get(gone.getId()).version, name: gone.get('name') });
      }
      selected.clear();
      selected.push(keep);
      problemSource.clear();
      notify(`已将「${gone.get('name')}」并入「${keep.get('name')}」（尚未保存）。`, 'info');
    } catch (err) {
      if (err instanceof MergeError) notify(err.message, 'error');
      else throw err;
    }
    gridLayer.changed();
    renderSelection();
    refreshChanges();
  }

  // ---- save ------------------------------------------------------------------------------
  async function save() {
    const body = batchBody();
    if (!body.features.length) return;
    state.busy = true;
    refreshChanges();
    problemSource.clear();
    problemBox.hidden = true;
    fill(resultBox);
    try {
      const before = new globalThis.Map([...state.original].map(([id, o]) => [id, o.version]));
      const out = await api.send('PUT', `/api/v1/towns/${encodeURIComponent(state.town)}/grids`, body);
      const town = state.town;
      await loadTown(town, { keepView: true });
      fill(resultBox,
        h('h3', '保存成功'),
        h('ul.saved-list', out.grids.map((g) => {
          const p = g.properties || g;
          const was = before.get(p.id);
          return h('li', { dataset: { grid: p.id } }, h('span.mono', p.id), ` ${p.name || ''} `,
            h('span.version', was ? `版本 ${was} → ${p.version}` : `新建，版本 ${p.version}`));
        }),
        body.features.filter((f) => f.properties.retired).map((f) => h('li', h('span.mono', f.id), ' 已撤销（并入相邻网格）'))),
        h('p.reassigned', `重新分派的在办事件：${out.reassigned_reports} 件`));
      notify('网格修改已保存。', 'success');
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) showProblems(err);
      else showError(err);
    } finally {
      state.busy = false;
      refreshChanges();
    }
  }

  function showProblems(err) {
    const features = [];
    err.problems.forEach((p, i) => {
      if (!p.location) return;
      const f = geojson.readFeature({ type: 'Feature', geometry: p.location, properties: {} });
      f.setProperties({ kind: p.kind, index: i + 1, grid: p.grid });
      features.push(f);
    });
    problemSource.addFeatures(features);
    problemBox.hidden = false;
    fill(problemHead, `未通过校验：${err.problems.length} 处问题（修改尚未保存，可继续调整后再保存）`);
    fill(problemList, err.problems.map((p, i) => h('li.problem', {
      dataset: { kind: p.kind },
      onclick: () => {
        const f = features.find((x) => x.get('index') === i + 1);
        if (f) map.getView().fit(f.getGeometry().getExtent(), { padding: [120, 120, 120, 120], maxZoom: 17, duration: 300 });
      },
    },
    h('span.kind', `${i + 1}. ${problemKindLabel(p.kind)}`),
    h('span.grid', [nameOf(p.grid), p.other_grid ? ` 与 ${nameOf(p.other_grid)}` : ''].join('')),
    p.area_m2 !== undefined && p.area_m2 !== null ? h('span.area', `面积 ${formatArea(p.area_m2)}`) : null,
    // The server's detail is English; only GEOS's reason for an invalid geometry adds
    // something the kind and the area do not say.
    p.kind === 'invalid_geometry' && p.detail ? h('span.detail', `原因（GEOS）：${p.detail}`) : null,
    p.location ? null : h('span.detail', '（无具体位置）'))));
    if (features.length) {
      const ext = features.reduce((e, f) => {
        const x = f.getGeometry().getExtent();
        return [Math.min(e[0], x[0]), Math.min(e[1], x[1]), Math.max(e[2], x[2]), Math.max(e[3], x[3])];
      }, [Infinity, Infinity, -Infinity, -Infinity]);
      map.getView().fit(ext, { padding: [150, 150, 150, 150], maxZoom: 16, duration: 300 });
    }
    notify(describeError(err), 'error');
  }

  function nameOf(id) {
    if (!id) return '';
    const f = source.getFeatureById(id);
    return f ? `${f.get('name')}（${id}）` : id;
  }

  function showError(err) {
    if (err instanceof ApiError && err.status === 412) {
      problemBox.hidden = true;
      fill(resultBox, h('div.conflict',
        h('h3', '网格已被他人修改'),
        h('p', '在您编辑期间，有人保存了这些网格的新版本。为避免覆盖他人的修改，本次保存未执行。请重新加载最新网格后再修改。'),
        h('button.primary#reload', { type: 'button', onclick: () => loadTown(state.town, { keepView: true }) }, '重新加载最新网格')));
    }
    notify(describeError(err), 'error');
  }

  // ---- sidebar ---------------------------------------------------------------------------
  const townSelect = h('select#town', { 'aria-label': '镇街' }, h('option', { value: '' }, '请选择镇街'));
  const status = h('span.muted.grid-count');
  const modeButtons = MODES.map((m) => h('button.mode', { type: 'button', dataset: { mode: m.id }, onclick: () => setMode(m.id) }, m.label));
  const modeHint = h('p.hint.mode-hint');
  const selectionBox = h('div.selection');
  const mergeButton = h('button#merge', { type: 'button', onclick: merge }, '合并所选两个网格');
  const changeBox = h('div.changes');
  const saveButton = h('button.primary#save', { type: 'button', onclick: save }, '保存修改');
  const discardButton = h('button#discard', { type: 'button', onclick: () => loadTown(state.town) }, '放弃修改');
  const problemHead = h('h3.problem-head');
  const problemList = h('ol.problem-list');
  const problemBox = h('section.problems', { hidden: true }, problemHead, problemList);
  const resultBox = h('section.result');

  function renderSelection() {
    const sel = selected.getArray();
    fill(selectionBox, sel.length
      ? sel.map((f) => h('div.sel-item', h('b', f.get('name') || '新网格'), ' ', h('span.mono.muted', f.getId() || '（新建）'),
        f.getId() ? h('span.muted', ` 版本 ${state.original.get(f.getId())?.version ?? ''}`) : null))
      : h('p.muted', '单击地图上的网格以选中（最多两个）。'));
    mergeButton.disabled = sel.length !== 2;
  }

  function refreshChanges() {
    const { changed, created, retired } = changes();
    const n = changed.length + created.length + retired.length;
    fill(changeBox, n
      ? h('ul.change-list',
        changed.map((f) => h('li.changed', '修改 ', f.get('name'), h('span.mono.muted', ` ${f.getId()}`))),
        created.map((f) => h('li.created', '新建 ', f.get('name'))),
        retired.map((r) => h('li.retired', '撤销 ', r.name, h('span.mono.muted', ` ${r.id}`))))
      : h('p.muted', '暂无未保存的修改。'));
    saveButton.disabled = state.busy || n === 0;
    discardButton.disabled = state.busy || n === 0;
    saveButton.textContent = state.busy ? '正在保存…' : n ? `保存修改（${n} 个网格）` : '保存修改';
    gridLayer.changed();
  }

  fill(root, h('div.editor-view',
    h('aside.sidebar.editor-sidebar',
      h('section', h('h3', '镇街'), townSelect, status),
      h('section', h('h3', '编辑方式'), h('div.modes', modeButtons), modeHint),
      h('section', h('h3', '所选网格'), selectionBox, mergeButton),
      h('section', h('h3', '未保存的修改'), changeBox, h('div.form-actions', saveButton, discardButton)),
      problemBox,
      resultBox),
    h('div.map-wrap', mapEl,
      h('div.editor-legend', h('span.sw.same'), '未改', h('span.sw.changed'), '已改', h('span.sw.new'), '新建',
        h('span.sw.sel'), '选中', h('span.sw.problem'), '校验问题'))));

  setMode('shared');
  renderSelection();
  refreshChanges();

  // Escape drops a split line being drawn.
  const onKey = (e) => { if (e.key === 'Escape' && state.mode === 'split') draw.abortDrawing(); };
  document.addEventListener('keydown', onKey);

  // Leaving with unsaved edits asks first (the browser's own dialog).
  const beforeUnload = (e) => {
    const c = changes();
    if (c.changed.length + c.created.length + c.retired.length) e.preventDefault();
  };
  window.addEventListener('beforeunload', beforeUnload);

  try {
    const towns = await loadTowns(api);
    const mine = session.towns?.length ? towns.filter((t) => session.towns.includes(t.code)) : towns;
    for (const t of mine) townSelect.append(h('option', { value: t.code }, t.name));
    townSelect.addEventListener('change', () => {
      const c = changes();
      if (c.changed.length + c.created.length + c.retired.length
        && !window.confirm('有未保存的修改，切换镇街将放弃这些修改。继续吗？')) {
        townSelect.value = state.town;
        return;
      }
      loadTown(townSelect.value);
    });
    if (mine.length) {
      townSelect.value = mine[0].code;
      await loadTown(mine[0].code);
    }
  } catch (err) {
    showError(err);
  }

  return () => {
    window.removeEventListener('beforeunload', beforeUnload);
    document.removeEventListener('keydown', onKey);
    if (window.__wangge?.editor?.map === map) delete window.__wangge.editor;
    if (window.__wangge?.map === map) delete window.__wangge.map;
    map.setTarget(null);
  };
}
