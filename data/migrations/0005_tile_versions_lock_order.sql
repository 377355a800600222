-- Two report batches stored at once each bump the tile version of every (town, grid) they
-- touch. In no particular order, two batches sharing grids could lock those rows in
-- opposite orders and deadlock, and one batch failed with 500 (found by the database
-- restart test, which posts batches from four clients). Bumping in (town, grid) order makes
-- every transaction take those row locks in the same order: they wait, never deadlock.

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
    RETURN NULL;
END $$;
