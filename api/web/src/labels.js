// Chinese labels of the API's codes, shared by every view.

export const ROLE_LABELS = {
  grid_worker: '网格员',
  command: '指挥中心',
  platform: '平台负责人',
  leader: '领导',
  gis_admin: '网格管理员',
  admin: '系统管理员',
};

export const STATUS_LABELS = {
  reported: '已上报',
  accepted: '已受理',
  dispatched: '已交办',
  in_progress: '处置中',
  resolved: '已处置',
  closed: '已办结',
  rejected: '不予受理',
};

export const PLATFORM_LABELS = {
  zongzhi: '综治工作',
  shichang: '市场监管',
  zhifa: '综合执法',
  bianmin: '便民服务',
};

export const ACTION_LABELS = {
  report: '上报',
  resolve_on_site: '就地办结',
  accept: '受理',
  reject: '不予受理',
  dispatch: '交办',
  start: '开始处置',
  supervise: '督办',
  resolve: '处置完毕',
  close: '核查结案',
  reopen: '返工',
};

export const HANDLING_LABELS = { guikou: '归口', xietiao: '协调' };
export const MODE_LABELS = { lingban: '领办', lianban: '联办', duban: '督办' };

export const statusLabel = (s) => STATUS_LABELS[s] || s;
export const platformLabel = (p) => PLATFORM_LABELS[p] || p;
export const actionLabel = (a) => ACTION_LABELS[a] || a;
export const roleLabel = (r) => ROLE_LABELS[r] || r;

/** "2026-06-20 14:03" in Shanghai time from an RFC 3339 instant. */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d);
  const get = (t) => parts.find((p) => p.type === t)?.value || '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** YYYY-MM-DD of a date in Shanghai. */
export function shanghaiDate(d = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d);
}

export function percent(x) {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;
}
