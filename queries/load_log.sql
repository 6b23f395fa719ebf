-- The load history, newest first: one row per file loaded (or rejected) by ingest.
-- Returns the load_log columns (source: ingest or the importer). Parameters: $limit.
SELECT load_id, loaded_at, file, entity, status, rows_read, inserted, updated, unchanged,
       quarantined, skipped, source, message, sha256
FROM load_log
ORDER BY load_id DESC
LIMIT $limit
