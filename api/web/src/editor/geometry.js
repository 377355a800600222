// Plane geometry of the grid editor: splitting a polygon with a drawn line and merging two
// polygons. Pure functions on coordinate arrays (no OpenLayers), so the rules are easy to
// read and the browser tests exercise them through the editor.
//
// Coordinates: the editor draws in EPSG:3857 but the grids are stored in lon/lat. Unmoved
// vertices must go back byte-identical (a neighbour that still holds the old value would
// otherwise see a hairline overlap), so the editor keeps a CoordBook from display
// coordinates to the lon/lat the API sent, and new points are interpolated in lon/lat.

import { union } from 'polyclip-ts';

/** 9 decimals of a degree ≈ 0.1 mm: what the API writes, finer than any survey. */
export const round9 = (v) => Math.round(v * 1e9) / 1e9;

const keyOf = (c) => `${c[0]},${c[1]}`;

/**
 * Display coordinate → lon/lat as the API gave it. `toLonLat` is the projection's inverse
 * for coordinates the book has never seen (moved vertices).
 */
export class CoordBook {
  constructor(toLonLat) {
    this.toLonLat = toLonLat;
    this.map = new Map();
  }

  remember(display, lonLat) {
    this.map.set(keyOf(display), [lonLat[0], lonLat[1]]);
  }

  lonLat(display) {
    const known = this.map.get(keyOf(display));
    if (known) return known;
    const ll = this.toLonLat(display);
    return [round9(ll[0]), round9(ll[1])];
  }

  /** A ring (or any coordinate list) back to lon/lat. */
  ring(coords) {
    return coords.map((c) => this.lonLat(c));
  }
}

/** Point-in-ring by ray casting (the ring closed or not). */
export function insideRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Where segments p1p2 and q1q2 cross: {t along p, u along q} in [0,1], else null. */
function crossing(p1, p2, q1, q2) {
  const rx = p2[0] - p1[0];
  const ry = p2[1] - p1[1];
  const sx = q2[0] - q1[0];
  const sy = q2[1] - q1[1];
  const den = rx * sy - ry * sx;
  if (den === 0) return null; // parallel or collinear: not a crossing
  const qpx = q1[0] - p1[0];
  const qpy = q1[1] - p1[1];
  const t = (qpx * sy - qpy * sx) / den;
  const u = (qpx * ry - qpy * rx) / den;
  if (t < 0 || t > 1 || u < 0 || u > 1) return null;
  return { t, u };
}

export class SplitError extends Error {}

/**
 * Splits a polygon (one closed outer ring, no holes) with a polyline that crosses its
 * boundary exactly twice and starts and ends outside it.
 *
 * @param {number[][]} ring closed ring in display coordinates
 * @param {number[][]} line the drawn line in display coordinates
 * @param {number[][]} ringLonLat the same ring in lon/lat (vertex for vertex)
 * @param {(c:number[]) => number[]} lineLonLat a line vertex to lon/lat
 * @returns {{parts: number[][][], lonLatParts: number[][][]}} the two closed rings, both
 *   in display coordinates and in lon/lat; the larger part first
 */
export function splitRing(ring, line, ringLonLat, lineLonLat) {
  if (line.length < 2) throw new SplitError('分割线至少需要两个点。');
  if (insideRing(line[0], ring) || insideRing(line[line.length - 1], ring)) {
    throw new SplitError('分割线的起点和终点都须在网格之外，使其完整穿过网格。');
  }
  const n = ring.length - 1; // ring[n] repeats ring[0]
  const hits = [];
  for (let j = 0; j < line.length - 1; j++) {
    for (let i = 0; i < n; i++) {
      const c = crossing(line[j], line[j + 1], ring[i], ring[i + 1]);
      if (!c) continue;
      const pos = c.u === 1 ? (i + 1) % n : i + c.u;
      const x = line[j][0] + (line[j + 1][0] - line[j][0]) * c.t;
      const y = line[j][1] + (line[j + 1][1] - line[j][1]) * c.t;
      // Through a vertex (of the ring or of the line) the same crossing is found twice.
      if (hits.some((h) => Math.hypot(h.x - x, h.y - y) < 1e-6)) continue;
      hits.push({ j, t: c.t, pos, x, y });
    }
  }
  if (hits.length !== 2) {
    throw new SplitError(`分割线须恰好两次穿过网格边界（现为 ${hits.length} 次）。`);
  }
  hits.sort((a, b) => a.j - b.j || a.t - b.t);
  const [A, B] = hits;
  // The crossing points, in display and in lon/lat: interpolated along the ring's edge in
  // lon/lat, so the new vertex lies on the stored edge the neighbour shares.
  const at = (h) => {
    const i = Math.floor(h.pos);
    const f = h.pos - i;
    const a = ring[i];
    const b = ring[(i + 1) % n];
    const la = ringLonLat[i];
    const lb = ringLonLat[(i + 1) % n];
    if (f === 0) return { d: a, ll: la };
    return {
      d: [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f],
      ll: [round9(la[0] + (lb[0] - la[0]) * f), round9(la[1] + (lb[1] - la[1]) * f)],
    };
  };
  const pa = at(A);
  const pb = at(B);
  // The line's own vertices between the two crossings, in drawing order.
  const inner = line.slice(A.j + 1, B.j + 1);
  const innerLL = inner.map(lineLonLat);

  // Ring vertices strictly between positions a and b going forward (cyclic).
  const walk = (a, b) => {
    const d = (x) => (x - a + n) % n;
    const ks = [];
    for (let k = 0; k < n; k++) if (d(k) > 0 && d(k) < d(b)) ks.push(k);
    ks.sort((x, y) => d(x) - d(y));
    return { out: ks.map((k) => ring[k]), outLL: ks.map((k) => ringLonLat[k]) };
  };
  const w1 = walk(A.pos, B.pos);
  const w2 = walk(B.pos, A.pos);
  const close = (r) => [...r, r[0]];
  const part1 = close([pa.d, ...w1.out, pb.d, ...[...inner].reverse()]);
  const part1LL = close([pa.ll, ...w1.outLL, pb.ll, ...[...innerLL].reverse()]);
  const part2 = close([pb.d, ...w2.out, pa.d, ...inner]);
  const part2LL = close([pb.ll, ...w2.outLL, pa.ll, ...innerLL]);
  for (const p of [part1, part2]) {
    if (p.length < 4 || Math.abs(ringArea(p)) === 0) throw new SplitError('分割后的某一部分没有面积，请重新绘制分割线。');
  }
  const parts = [[part1, part1LL], [part2, part2LL]].sort((x, y) => Math.abs(ringArea(y[0])) - Math.abs(ringArea(x[0])));
  return { parts: parts.map((p) => p[0]), lonLatParts: parts.map((p) => p[1]) };
}

/** Signed area of a closed ring (shoelace). */
export function ringArea(ring) {
  let a = 0;
  for (let i = 0; i < ring.length - 1; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return a / 2;
}

export class MergeError extends Error {}

/**
 * The union of two polygons given in lon/lat (GeoJSON Polygon coordinates). Grids that
 * only touch at a corner or not at all do not merge into one polygon: that is refused.
 */
export function mergePolygons(a, b) {
  const result = union(a, b);
  if (result.length !== 1) throw new MergeError('所选两个网格不相邻（没有共用边界），无法合并。');
  return result[0].map((r) => r.map(([x, y]) => [round9(x), round9(y)]));
}
