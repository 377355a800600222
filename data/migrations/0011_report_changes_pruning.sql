-- report_changes (0004) grows with every write: two rows per demo report, 2 M rows and
-- 176 MB at 1 M reports, and every write after. The in-process copies only read the
-- newest rows (past the last id they applied, less a window of 256–1024 for late commits),
-- so old rows can go once every node has read them. No node registers what it has read;
-- instead the oldest rows are deleted only when they are both old (an hour) and far
-- behind the newest (100,000 ids), and `upto` records the highest id deleted. A reader
-- whose window starts at or below `upto` may have missed rows and reloads everything.
-- Deleted in batches so that a first prune of millions of rows is many short
-- transactions; `wangge serve` calls it (docs/data.md "Following the database").

CREATE TABLE report_changes_pruned (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    upto     bigint NOT NULL
);
INSERT INTO report_changes_pruned (upto) VALUES (0);

CREATE FUNCTION prune_report_changes(keep interval, keep_rows bigint, batch bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
    oldest bigint;
    cut bigint;
    gone bigint;
BEGIN
    SELECT max(id), min(id) INTO newest, oldest FROM report_changes;
    IF newest IS NULL THEN RETURN 0; END IF;
    -- Backwards along the key from newest - keep_rows to the first row older than `keep`:
    -- ids follow time, so this reads at most the rows of the last `keep`.
    SELECT id INTO cut FROM report_changes
     WHERE id <= newest - keep_rows AND at < now() - keep ORDER BY id DESC LIMIT 1;
    IF cut IS NULL THEN RETURN 0; END IF;
    cut := least(cut, oldest + batch - 1);
    -- In the deleting transaction, so a reader sees the rows or the mark, never neither.
    UPDATE report_changes_pruned SET upto = greatest(upto, cut);
    DELETE FROM report_changes WHERE id <= cut;
    GET DIAGNOSTICS gone = ROW_COUNT;
    RETURN gone;
END $$;
