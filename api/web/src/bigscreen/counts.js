// The big screen's counters, each one read straight from the API so that what the wall
// shows is what anyone querying the API gets (tests/web/bigscreen.test.mjs compares them).

import { query } from '../api.js';

export const OPEN_STATUSES = ['reported', 'accepted', 'dispatched', 'in_progress', 'resolved'];

/** Shanghai midnight of a YYYY-MM-DD day, as RFC 3339. */
export const dayStart = (ymd) => `${ymd}T00:00:00+08:00`;

/**
 * How many reports match the filters: the list is paged by cursor with the largest page
 * the API allows, and only the features are counted.
 */
export async function countReports(api, filters) {
  let n = 0;
  let cursor = null;
  for (;;) {
    const page = await api.get(`/api/v1/reports${query({ ...filters, limit: 10000, cursor })}`);
    n += page.features.length;
    if (!page.next_cursor) return n;
    cursor = page.next_cursor;
  }
}

/** {today, open, overdue, completion} for a town ('' = every town of the token). */
export async function loadCounters(api, town, today) {
  const [y, m] = today.split('-').map(Number);
  const month = today.slice(0, 7);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  const where = town ? { town } : {};
  const [todayCount, open, overdue, completion] = await Promise.all([
    countReports(api, { ...where, from: dayStart(today) }),
    countReports(api, { ...where, status: OPEN_STATUSES }),
    countReports(api, { ...where, overdue: 'true' }),
    api.get(`/api/v1/analytics/completion${query({ town: town || 'all', from: month, to: next, by: 'town' })}`),
  ]);
  return { today: todayCount, open, overdue, completion: completion.total };
}
