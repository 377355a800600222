// CTest fixture of the browser tests: `create` builds the template database every spec
// clones (migrated, demo data of the current month with a fixed seed and few reports,
// so a clone takes a second), `drop` removes it.

import { psql, wangge, TEMPLATE_DB } from './harness.mjs';

const what = process.argv[2];
psql(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
if (what === 'create') {
  psql(`CREATE DATABASE ${TEMPLATE_DB}`);
  wangge(['migrate'], TEMPLATE_DB);
  // Reports up to now, so the views' default date ranges (this month, the last 30 days) show data.
  wangge(['demo-data', '--seed', '7', '--reports', process.env.WANGGE_WEB_REPORTS || '1500'], TEMPLATE_DB);
  console.log(`template database ${TEMPLATE_DB} ready`);
} else if (what !== 'drop') {
  console.error('usage: node template-db.mjs create|drop');
  process.exit(2);
}
