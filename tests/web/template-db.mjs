// CTest fixture of the browser tests: `create` builds the template database every spec
// clones (migrated, demo data with a fixed seed and few reports, so a clone takes a
// second), `drop` removes it. The data ends at the tests' instant (TEST_NOW in
// harness.mjs): twelve months up to its month, nothing happened after it.

import { psql, wangge, TEMPLATE_DB, TEST_NOW, THIS_MONTH } from './harness.mjs';

const what = process.argv[2];
psql(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
if (what === 'create') {
  psql(`CREATE DATABASE ${TEMPLATE_DB}`);
  wangge(['migrate'], TEMPLATE_DB);
  wangge(['demo-data', '--seed', '7', '--reports', process.env.WANGGE_WEB_REPORTS || '1500',
    '--until', THIS_MONTH, '--cutoff', TEST_NOW.toISOString()], TEMPLATE_DB);
  console.log(`template database ${TEMPLATE_DB} ready (data up to ${TEST_NOW.toISOString()})`);
} else if (what !== 'drop') {
  console.error('usage: node template-db.mjs create|drop');
  process.exit(2);
}
