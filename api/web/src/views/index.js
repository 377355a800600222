// The registry of views (docs/web.md "Adding a view"). main.js builds the nav bar and the
// hash routes from this list: a view appears only for the roles named here, and its code
// is loaded on first use (ECharts, for instance, only with the views that chart).
//
// Each module exports mount(root, ctx) → cleanup function, where
// ctx = {api, session: {token, role, towns, name, platform}, notify(message, kind), navigate(route)}.

const ALL = ['grid_worker', 'command', 'platform', 'leader', 'gis_admin', 'admin'];

export const views = [
  { route: 'map', title: '指挥地图', roles: ALL, load: () => import('./map.js') },
  { route: 'reports', title: '事件列表', roles: ['grid_worker', 'command', 'platform', 'leader', 'admin'], load: () => import('./reports.js') },
  { route: 'editor', title: '网格编辑', roles: ['gis_admin', 'admin'], load: () => import('./editor.js') },
  { route: 'dashboard', title: '会商', roles: ['leader', 'command', 'admin'], load: () => import('./dashboard.js') },
  { route: 'bigscreen', title: '大屏', roles: ['leader', 'command', 'admin'], load: () => import('./bigscreen.js'), fullscreen: true },
];

/** The views a role may use, in nav order. */
export function viewsFor(role) {
  return views.filter((v) => v.roles.includes(role) || role === 'admin');
}
