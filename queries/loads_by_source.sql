-- What each source currently contributes: `ingest` (contract files) and every importer
-- (`modelops import SOURCE`). Each file counts once, by its latest load per entity, so
-- importing the same export again does not double its rows.
-- Returns source, last_import, files, rows, skipped, quarantined, rejected. No parameters.
WITH latest AS (
    SELECT coalesce(source, 'ingest') AS source, file, entity,
           arg_max(loaded_at, load_id) AS loaded_at,
           arg_max(status, load_id) AS status,
           arg_max(inserted + updated + unchanged, load_id) AS rows,
           arg_max(coalesce(skipped, 0), load_id) AS skipped,
           arg_max(quarantined, load_id) AS quarantined
    FROM load_log
    GROUP BY ALL
)
SELECT source,
       max(loaded_at) AS last_import,
       count(DISTINCT file) AS files,
       sum(rows)::BIGINT AS rows,
       sum(skipped)::BIGINT AS skipped,
       sum(quarantined)::BIGINT AS quarantined,
       count(*) FILTER (WHERE status = 'rejected') AS rejected
FROM latest
GROUP BY source
ORDER BY last_import DESC, source
