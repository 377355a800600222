-- Idempotency keys of reports (API.md: client_id). One row per key across all towns, with
-- the first answer given for it, so a retry gets exactly that answer again. Keyed by the
-- client id alone: a retry may carry a different point (and so a different town), and it
-- must still find the first report. Distributable on client_id.
CREATE TABLE report_keys (
    client_id   text PRIMARY KEY,
    town        text NOT NULL,
    report      bigint NOT NULL,
    answer      text NOT NULL,  -- byte for byte what the first request was told
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The demo generator writes reports directly; give them their keys too.
INSERT INTO report_keys (client_id, town, report, answer)
SELECT client_id, town, id, jsonb_build_object('id', id, 'status', 'reported', 'town', town)::text
FROM reports
ON CONFLICT DO NOTHING;

-- Reports are addressed by id alone in the API (/api/v1/reports/{id}).
CREATE INDEX reports_id ON reports (id);
