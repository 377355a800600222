// The grid validation findings of a 422 (docs/grids.md "Validation") in Chinese.

export const PROBLEM_KINDS = {
  overlap: '重叠',
  gap: '缝隙',
  outside_town: '超出镇界',
  invalid_geometry: '无效几何',
  not_polygon: '非多边形',
};

export const problemKindLabel = (k) => PROBLEM_KINDS[k] || k;

/** "1,234.5 m²" / "2.35 公顷" — the scale a grid admin reads at a glance. */
export function formatArea(m2) {
  if (m2 === null || m2 === undefined || !Number.isFinite(m2)) return '';
  if (m2 >= 10000) return `${(m2 / 10000).toFixed(2)} 公顷`;
  return `${m2.toLocaleString('zh-CN', { maximumFractionDigits: 1 })} m²`;
}
