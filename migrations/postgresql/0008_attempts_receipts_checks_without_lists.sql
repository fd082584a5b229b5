-- 0008_attempts_receipts_checks_without_lists: nothing to change here. The SQLite migration of this
-- number rewrites the `attempts` and `receipts` CHECK constraints as comparisons because SQLite
-- builds a temporary index of an IN list for every row it checks; PostgreSQL evaluates `= ANY` of a
-- constant array as cheaply. Kept so that both folders keep the same numbering and names
-- (docs/schema.md).
SELECT 1;
