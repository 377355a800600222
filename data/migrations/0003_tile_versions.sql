-- Data versions for map tiles (docs/tiles.md "ETag and data versions").
-- One row per (town, grid) bucket; reports without a grid (assign_method 'none') share
-- the bucket grid = '' of their town. Every INSERT, UPDATE or DELETE of reports or grids
-- stamps the buckets it touches with a fresh value of one sequence, so "what changed
-- since version V" is one indexed range query and any writer (API, CLI, psql) bumps
-- versions without knowing about tiles. Statement-level triggers with transition
-- tables: a COPY of a million reports costs one upsert per bucket, not per row.

CREATE SEQUENCE tile_version_seq AS bigint;

CREATE TABLE tile_versions (
    town     text NOT NULL,
    grid     text NOT NULL,          -- '' = the town's unassigned reports
    version  bigint NOT NULL,
    PRIMARY KEY (town, grid)
);
CREATE INDEX tile_versions_version ON tile_versions (version);

CREATE FUNCTION tile_versions_bump_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, grid, nextval('tile_version_seq')
        FROM (SELECT DISTINCT town, coalesce(grid, '') AS grid FROM new_rows) b
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, grid, nextval('tile_version_seq')
        FROM (SELECT town, coalesce(grid, '') AS grid FROM new_rows
              UNION SELECT town, coalesce(grid, '') FROM old_rows) b
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSE
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, grid, nextval('tile_version_seq')
        FROM (SELECT DISTINCT town, coalesce(grid, '') AS grid FROM old_rows) b
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION tile_versions_bump_grids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, id, nextval('tile_version_seq') FROM (SELECT DISTINCT town, id FROM new_rows) b
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, id, nextval('tile_version_seq')
        FROM (SELECT town, id FROM new_rows UNION SELECT town, id FROM old_rows) b
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSE
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, id, nextval('tile_version_seq') FROM (SELECT DISTINCT town, id FROM old_rows) b
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    RETURN NULL;
END $$;

-- Transition tables allow one event per trigger.
CREATE TRIGGER reports_tile_versions_ins AFTER INSERT ON reports
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_reports();
CREATE TRIGGER reports_tile_versions_upd AFTER UPDATE ON reports
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_reports();
CREATE TRIGGER reports_tile_versions_del AFTER DELETE ON reports
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_reports();
CREATE TRIGGER grids_tile_versions_ins AFTER INSERT ON grids
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_grids();
CREATE TRIGGER grids_tile_versions_upd AFTER UPDATE ON grids
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_grids();
CREATE TRIGGER grids_tile_versions_del AFTER DELETE ON grids
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_grids();

-- TRUNCATE (demo-data --replace) fires no DELETE trigger: it bumps every known bucket.
CREATE FUNCTION tile_versions_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tile_versions SET version = nextval('tile_version_seq');
    RETURN NULL;
END $$;
CREATE TRIGGER reports_tile_versions_trunc AFTER TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_all();
CREATE TRIGGER grids_tile_versions_trunc AFTER TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION tile_versions_bump_all();
