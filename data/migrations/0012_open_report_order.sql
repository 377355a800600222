-- Lists of open reports (a status filter of open statuses only, or overdue=true) page
-- newest first like every list. The open-report index was on (town, due_at): a page of
-- tashi's dispatched reports at a million reports walked the town's reports backwards
-- skipping the closed ones and then the newer unaccepted ones (18,000–70,000 rows, up to
-- 74 ms), and the lists were most of PostgreSQL's time under scripts/load.sh. By status
-- and in list order instead, a page of one status is a page of the index, and a page of
-- several is a sort of just their reports. The other users of the open index (a grid edit
-- re-assigning a town's open reports, the overdue list) read it by town, which it still
-- serves.
DROP INDEX reports_open;
CREATE INDEX reports_open ON reports (town, status, reported_at, id) WHERE status NOT IN ('closed', 'rejected');
