-- Tile data versions are pushed, not polled per request (docs/tiles.md "Freshness"):
-- every statement that stamps tile_versions also notifies wangge_change with the topic
-- 'tiles', delivered at commit. A node whose change feed is connected checks the
-- versions only after such a notification (or a write of its own); a cached tile then
-- costs no database round trip. No counter row as for the other topics (0008): every
-- report write would queue on that one row. A node that loses its LISTEN connection goes
-- back to a check per request until it is listening again, so a lost notification
-- cannot leave it stale. PostgreSQL folds identical notifications of one transaction.

CREATE OR REPLACE FUNCTION tile_versions_bump_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, grid, nextval('tile_version_seq')
        FROM (SELECT DISTINCT town, coalesce(grid, '') AS grid FROM new_rows) b
        ORDER BY town, grid
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, grid, nextval('tile_version_seq')
        FROM (SELECT town, coalesce(grid, '') AS grid FROM new_rows
              UNION SELECT town, coalesce(grid, '') FROM old_rows) b
        ORDER BY town, grid
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSE
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, grid, nextval('tile_version_seq')
        FROM (SELECT DISTINCT town, coalesce(grid, '') AS grid FROM old_rows) b
        ORDER BY town, grid
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    PERFORM pg_notify('wangge_change', 'tiles');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tile_versions_bump_grids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, id, nextval('tile_version_seq') FROM (SELECT DISTINCT town, id FROM new_rows) b
        ORDER BY town, id
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, id, nextval('tile_version_seq')
        FROM (SELECT town, id FROM new_rows UNION SELECT town, id FROM old_rows) b
        ORDER BY town, id
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    ELSE
        INSERT INTO tile_versions (town, grid, version)
        SELECT town, id, nextval('tile_version_seq') FROM (SELECT DISTINCT town, id FROM old_rows) b
        ORDER BY town, id
        ON CONFLICT (town, grid) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    PERFORM pg_notify('wangge_change', 'tiles');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tile_versions_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tile_versions SET version = nextval('tile_version_seq');
    PERFORM pg_notify('wangge_change', 'tiles');
    RETURN NULL;
END $$;
