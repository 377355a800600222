-- Tile data versions are pushed, not polled per request (docs/tiles.md "Caching, ETags
-- and data versions"): every statement that writes reports or grids (and so stamps
-- tile_versions, migrations 0003/0005) also notifies wangge_change with the topic
-- 'tiles', delivered at commit. A node whose change feed is connected checks the
-- versions only after such a notification (or a write of its own); a cached tile then
-- costs no database round trip. No counter row as for the other topics (0008): every
-- report write would queue on that one row. A node that loses its LISTEN connection goes
-- back to a check per request until it is listening again, so a lost notification
-- cannot leave it stale. PostgreSQL folds identical notifications of one transaction.
-- A trigger of its own beside the stamping ones, so their functions stay as 0005 left them.

CREATE FUNCTION notify_tiles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wangge_change', 'tiles');
    RETURN NULL;
END $$;

CREATE TRIGGER reports_notify_tiles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION notify_tiles();
CREATE TRIGGER grids_notify_tiles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION notify_tiles();
