-- How every service node's in-process copies follow the database, whichever node, CLI
-- or psql session wrote it (docs/data.md "Following the database").
--
-- towns.grid_generation: bumped by every statement that writes a town's grids or its
-- outline. Writers of a town's grids hold the transaction-level advisory lock
-- (4815, hashtext(town)) exclusively to their commit (a grid edit takes it first; these
-- triggers take it for psql and any other writer); report intake holds it shared while it
-- compares the generations of its towns with those its grid index was built from, and
-- stores. Advisory locks queue fairly (a waiting edit is not starved by a stream of
-- intakes, as it could be behind row share locks). So no report commits against a grid
-- version that a committed edit had already superseded, whatever any notification did.
-- A writer that deletes grid rows without taking the lock first (psql) may deadlock with
-- an intake (the intake's foreign-key check waits for the deleted rows); PostgreSQL then
-- cancels one and the service answers 503.

-- change_counters + NOTIFY wangge_change: one row per topic ('grids', 'catalogue',
-- 'tokens'), bumped by statement triggers of the tables behind it, with a notification
-- of the topic on commit. Nodes LISTEN for speed and poll the few counters as a
-- fallback, so a lost notification or a reconnect cannot leave a node stale. Reports
-- are not a topic: they change thousands of times a second and their copies catch up
-- through tile_versions and report_changes instead.

-- From one sequence, never per town from 1: a town deleted (or truncated) and loaded
-- again must not come back with a generation some node already has for its old grids.
CREATE SEQUENCE grid_generation_seq AS bigint;
ALTER TABLE towns ADD COLUMN grid_generation bigint NOT NULL DEFAULT nextval('grid_generation_seq');

CREATE TABLE change_counters (
    topic  text PRIMARY KEY,
    seq    bigint NOT NULL
);
INSERT INTO change_counters (topic, seq) VALUES ('grids', 1), ('catalogue', 1), ('tokens', 1);

CREATE FUNCTION note_change(topic text) RETURNS void LANGUAGE sql AS $$
    UPDATE change_counters SET seq = seq + 1 WHERE change_counters.topic = note_change.topic;
    SELECT pg_notify('wangge_change', note_change.topic);
$$;

-- The towns' grid locks, in town order (the one place that knows the lock key): exclusive
-- for writers of grids, shared for report intake (data/reports.cpp, data/grid_edit.cpp).
-- PL/pgSQL, so PERFORM takes every lock (a SQL function would stop at its first row).
CREATE FUNCTION lock_town_grids(which text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4815, hashtext(t)) FROM (SELECT DISTINCT t FROM unnest(which) t ORDER BY t) s;
END $$;
CREATE FUNCTION share_town_grids(which text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(4815, hashtext(t)) FROM (SELECT DISTINCT t FROM unnest(which) t ORDER BY t) s;
END $$;

CREATE FUNCTION bump_grid_generations(which text[]) RETURNS void LANGUAGE sql AS $$
    SELECT lock_town_grids(which);
    UPDATE towns SET grid_generation = nextval('grid_generation_seq') WHERE town = ANY(which);
$$;

CREATE FUNCTION grids_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_grid_generations(ARRAY(SELECT DISTINCT town FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        -- A row moved to another town changes both.
        PERFORM bump_grid_generations(ARRAY(SELECT town FROM new_rows UNION SELECT town FROM old_rows));
    ELSE
        PERFORM bump_grid_generations(ARRAY(SELECT DISTINCT town FROM old_rows));
    END IF;
    PERFORM note_change('grids');
    RETURN NULL;
END $$;

CREATE TRIGGER grids_generation_ins AFTER INSERT ON grids REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_bump_generation();
CREATE TRIGGER grids_generation_upd AFTER UPDATE ON grids REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_bump_generation();
CREATE TRIGGER grids_generation_del AFTER DELETE ON grids REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_bump_generation();

-- A town's outline is part of the grid index too (the nearest town of a point outside
-- every grid): a new outline is a new generation, under the same lock.
CREATE FUNCTION towns_outline_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_town_grids(ARRAY[NEW.town]);
    NEW.grid_generation := nextval('grid_generation_seq');
    RETURN NEW;
END $$;
-- (No WHEN clause comparing the geometries: pg_restore recreates triggers with an empty
-- search_path, where the geometry = operator cannot be resolved. A SET geom = geom bumps
-- once for nothing.)
CREATE TRIGGER towns_outline_generation BEFORE UPDATE OF geom ON towns
    FOR EACH ROW EXECUTE FUNCTION towns_outline_generation();

-- One trigger function for the topics whose triggers only announce: the topic is the
-- trigger's argument.
CREATE FUNCTION announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM note_change(TG_ARGV[0]);
    RETURN NULL;
END $$;
CREATE TRIGGER towns_change AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF geom ON towns
    FOR EACH STATEMENT EXECUTE FUNCTION announce_change('grids');

-- TRUNCATE has no transition table: every town's grids may have gone.
CREATE FUNCTION grids_truncate_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_grid_generations(ARRAY(SELECT town FROM towns));
    PERFORM note_change('grids');
    RETURN NULL;
END $$;
CREATE TRIGGER grids_truncate_change AFTER TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION grids_truncate_generation();

CREATE TRIGGER categories_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION announce_change('catalogue');
CREATE TRIGGER holidays_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON holidays
    FOR EACH STATEMENT EXECUTE FUNCTION announce_change('catalogue');
CREATE TRIGGER api_tokens_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION announce_change('tokens');
