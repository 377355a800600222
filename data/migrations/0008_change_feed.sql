-- How every service node's in-process copies follow the database, whichever node, CLI
-- or psql session wrote it (docs/data.md "Following the database").
--
-- towns.grid_generation: bumped by every statement that writes a town's grids. Report
-- intake locks the rows of its towns (FOR KEY SHARE) and compares their generations
-- with those its grid index was built from; a grid edit locks its town FOR UPDATE
-- first. So no report commits against a grid version that a committed edit had already
-- superseded, whatever any notification did.
--
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

-- Locks first (in town order, as every writer does), then bumps: the lock is what makes
-- a concurrent intake wait for this transaction and then see the new generation.
CREATE FUNCTION grids_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM towns WHERE town IN (SELECT DISTINCT town FROM old_rows) ORDER BY town FOR UPDATE;
        UPDATE towns SET grid_generation = nextval('grid_generation_seq') WHERE town IN (SELECT DISTINCT town FROM old_rows);
    ELSE
        PERFORM 1 FROM towns WHERE town IN (SELECT DISTINCT town FROM new_rows) ORDER BY town FOR UPDATE;
        UPDATE towns SET grid_generation = nextval('grid_generation_seq') WHERE town IN (SELECT DISTINCT town FROM new_rows);
    END IF;
    PERFORM note_change('grids');
    RETURN NULL;
END $$;

CREATE TRIGGER grids_generation_ins AFTER INSERT ON grids REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_bump_generation();
CREATE TRIGGER grids_generation_upd AFTER UPDATE ON grids REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_bump_generation();
CREATE TRIGGER grids_generation_del AFTER DELETE ON grids REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_bump_generation();

-- A town's outline is part of the grid index too (the nearest town of a point outside
-- every grid).
CREATE FUNCTION towns_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM note_change('grids');
    RETURN NULL;
END $$;
CREATE TRIGGER towns_change AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF geom ON towns
    FOR EACH STATEMENT EXECUTE FUNCTION towns_note_change();
CREATE TRIGGER grids_truncate_change AFTER TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION towns_note_change();

CREATE FUNCTION catalogue_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM note_change('catalogue');
    RETURN NULL;
END $$;
CREATE TRIGGER categories_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_note_change();
CREATE TRIGGER holidays_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON holidays
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_note_change();

CREATE FUNCTION tokens_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM note_change('tokens');
    RETURN NULL;
END $$;
CREATE TRIGGER api_tokens_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION tokens_note_change();
