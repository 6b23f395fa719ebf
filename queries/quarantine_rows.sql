-- Quarantined rows with the file, line, the row as read and the reason, newest load first.
-- Parameters: $entity (NULL = all), $limit.
SELECT entity, file, line, reason, row_as_read, load_id, quarantined_at
FROM quarantine
WHERE $entity IS NULL OR entity = $entity
ORDER BY load_id DESC, file, line
LIMIT $limit
