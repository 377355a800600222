// Chinese names of the analytics codes (STATS.md): Gi* confidence bins and the
// emerging-hotspot categories of /api/v1/analytics/trends.

export const BIN_STYLES = {
  3: { label: '热点（99% 置信）', color: '#c62828' },
  2: { label: '热点（95% 置信）', color: '#ef6c00' },
  1: { label: '热点（90% 置信）', color: '#fbc02d' },
  0: { label: '不显著', color: '#e6ebf2' },
  '-1': { label: '冷点（90% 置信）', color: '#90caf9' },
  '-2': { label: '冷点（95% 置信）', color: '#42a5f5' },
  '-3': { label: '冷点（99% 置信）', color: '#1565c0' },
};

const PATTERNS = {
  new: '新增', consecutive: '连续', intensifying: '加剧', persistent: '持续',
  diminishing: '减弱', sporadic: '零星', oscillating: '振荡', historical: '历史',
};

/** "new_hot_spot" → "新增热点"; "no_pattern" → "无显著模式". */
export function emergingLabel(category) {
  if (!category || category === 'no_pattern') return '无显著模式';
  const m = /^([a-z]+)_(hot|cold)_spot$/.exec(category);
  if (!m) return category;
  return `${PATTERNS[m[1]] || m[1]}${m[2] === 'hot' ? '热点' : '冷点'}`;
}

export const isHot = (category) => /_hot_spot$/.test(category || '');
export const isCold = (category) => /_cold_spot$/.test(category || '');
