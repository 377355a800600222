-- The report list pages newest first by (reported_at, id) (GET /api/v1/reports, its cursor,
-- the web client's polling). Without an index in that order every page sorted the whole
-- table: 0.25–0.5 s per page at 260,000 reports, which queued every other request behind
-- the list under load (scripts/load.sh). The town index gains id so a one-town page is an
-- ordered index scan too; its (town, reported_at) prefix still serves the analytics ranges.
CREATE INDEX reports_reported_id ON reports (reported_at, id);
DROP INDEX reports_town_reported;
CREATE INDEX reports_town_reported ON reports (town, reported_at, id);
