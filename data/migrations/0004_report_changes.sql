-- Which reports changed, in order, so that an in-process copy of the reports (the
-- analytics cache, data/analytics_store_cache.cpp) can catch up by re-reading only those
-- reports instead of everything. Written by statement-level triggers with transition
-- tables: one INSERT … SELECT per statement, whatever the number of rows.
-- A TRUNCATE is noted as report 0 of town '*': readers then reload everything.

CREATE TABLE report_changes (
    id      bigserial PRIMARY KEY,
    town    text NOT NULL,
    report  bigint NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION note_report_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_TABLE_NAME = 'reports' THEN
            INSERT INTO report_changes (town, report) SELECT DISTINCT town, id FROM new_rows;
        ELSE
            INSERT INTO report_changes (town, report) SELECT DISTINCT town, report FROM new_rows;
        END IF;
    ELSE
        IF TG_TABLE_NAME = 'reports' THEN
            INSERT INTO report_changes (town, report) SELECT DISTINCT town, id FROM old_rows;
        ELSE
            INSERT INTO report_changes (town, report) SELECT DISTINCT town, report FROM old_rows;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION note_report_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (town, report) VALUES ('*', 0);
    RETURN NULL;
END $$;

CREATE TRIGGER reports_changes_ins AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_rows();
CREATE TRIGGER reports_changes_upd AFTER UPDATE ON reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_rows();
CREATE TRIGGER reports_changes_del AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_rows();
CREATE TRIGGER report_events_changes_ins AFTER INSERT ON report_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_rows();
CREATE TRIGGER report_events_changes_upd AFTER UPDATE ON report_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_rows();
CREATE TRIGGER report_events_changes_del AFTER DELETE ON report_events REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_rows();
CREATE TRIGGER reports_changes_truncate AFTER TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_truncate();
CREATE TRIGGER report_events_changes_truncate AFTER TRUNCATE ON report_events
    FOR EACH STATEMENT EXECUTE FUNCTION note_report_truncate();
