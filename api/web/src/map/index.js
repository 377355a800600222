// Shared OpenLayers helpers (docs/web.md "Map helpers"): wangge's XYZ tile layers with
// the token and filters in the URL, town extents, grid outlines for hit testing.

import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import View from 'ol/View.js';
import { transformExtent, fromLonLat } from 'ol/proj.js';
import { Style, Stroke, Fill } from 'ol/style.js';
import { query } from '../api.js';

/** The filter keys every tile layer understands (docs/tiles.md). */
export const TILE_FILTER_KEYS = ['town', 'from', 'to', 'platform', 'category', 'status'];

/** `/tiles/{layer}/{z}/{x}/{y}.png?…filters…&access_token=…` */
export function tileUrl(layer, filters, token) {
  const params = {};
  for (const k of TILE_FILTER_KEYS) if (filters?.[k]) params[k] = filters[k];
  params.access_token = token;
  return `/tiles/${layer}/{z}/{x}/{y}.png${query(params)}`;
}

/**
 * A tile layer of ours. Call `setTileFilters(layer, filters, token)` to change its
 * filters: the source's URL changes and OpenLayers fetches fresh tiles.
 */
export function tileLayer(layer, filters, token, options = {}) {
  const source = new XYZ({
    url: tileUrl(layer, filters, token),
    // Retina screens get the @2x tiles the server renders.
    tilePixelRatio: 1,
    crossOrigin: null,
    transition: 150,
    maxZoom: 20,
  });
  const l = new TileLayer({ source, visible: options.visible ?? true, opacity: options.opacity ?? 1, zIndex: options.zIndex });
  l.set('wanggeLayer', layer);
  return l;
}

export function setTileFilters(layer, filters, token) {
  layer.getSource().setUrl(tileUrl(layer.get('wanggeLayer'), filters, token));
}

/** An external base map (e.g. Tianditu's XYZ URL with its key); null when empty. */
export function externalBaseLayer(url) {
  if (!url) return null;
  // No crossOrigin: the tiles are only drawn, never read back, so the provider needs no CORS.
  return new TileLayer({ source: new XYZ({ url, maxZoom: 18 }), zIndex: 0 });
}

let townsPromise = null;

/** `/api/v1/towns`, fetched once per page load. */
export function loadTowns(api) {
  townsPromise ??= api.get('/api/v1/towns').catch((e) => {
    townsPromise = null;
    throw e;
  });
  return townsPromise;
}

/** A town's bbox [w,s,e,n] (lon/lat) as an EPSG:3857 extent. */
export function townExtent(town) {
  return transformExtent(town.bbox, 'EPSG:4326', 'EPSG:3857');
}

/** The union of the towns' extents in EPSG:3857. */
export function townsExtent(towns) {
  const b = towns.reduce((acc, t) => [Math.min(acc[0], t.bbox[0]), Math.min(acc[1], t.bbox[1]),
    Math.max(acc[2], t.bbox[2]), Math.max(acc[3], t.bbox[3])], [Infinity, Infinity, -Infinity, -Infinity]);
  return transformExtent(b, 'EPSG:4326', 'EPSG:3857');
}

/** Web Mercator view centred on the area (Hangzhou-area towns until fitted). */
export function createView() {
  return new View({ projection: 'EPSG:3857', center: fromLonLat([120.3, 30.2]), zoom: 11, maxZoom: 20, minZoom: 5 });
}

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

/** A town's current grids as OpenLayers features (id = grid id, properties as the API gives them). */
export async function loadGridFeatures(api, town) {
  const fc = await api.get(`/api/v1/towns/${encodeURIComponent(town)}/grids`);
  return geojson.readFeatures(fc);
}

/**
 * A vector layer of grid outlines: transparent, for hit testing with
 * `source.getFeaturesAtCoordinate`; the selected grid is outlined.
 */
export function gridOutlineLayer() {
  const selected = new Style({ stroke: new Stroke({ color: '#ffb703', width: 3 }), fill: new Fill({ color: 'rgba(255,183,3,0.12)' }) });
  const layer = new VectorLayer({
    source: new VectorSource(),
    zIndex: 50,
    style: (f) => (f.get('selected') ? selected : null),
  });
  return layer;
}
