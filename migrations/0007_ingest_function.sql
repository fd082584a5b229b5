-- 0007_ingest_function: nothing to change here. The PostgreSQL migration of this number moves the
-- writer's enqueue statement into a function so each session plans it once. Kept so that both
-- folders keep the same numbering and names (docs/schema.md).
SELECT 1;
