-- Runbook health per group over scoped production models (lifecycle_stage `production`):
--   without_runbook      runbook_url empty
--   runbook_stale        a runbook whose runbook_reviewed_at is empty or more than 180
--                        days before $at (reviewed_at < $at - 180 days)
--   healthy              production_models - without_runbook - runbook_stale
-- With $group_by = 'model', one row per production model with its flags (0 or 1) and
-- runbook_reviewed_at / days_since_review.
-- Parameters: $at (TIMESTAMP, the window's end), $business_units, $teams, $models, $group_by.
-- METRICS.md: Runbook health.
WITH g AS (
    SELECT *, nullif(trim(runbook_url), '') IS NULL AS no_runbook
    FROM grouped_models($business_units, $teams, $models, $group_by)
    WHERE lifecycle_stage = 'production'
)
SELECT group_id, group_name,
       count(*) AS production_models,
       count(*) FILTER (WHERE no_runbook) AS without_runbook,
       count(*) FILTER (WHERE NOT no_runbook AND (runbook_reviewed_at IS NULL
                        OR runbook_reviewed_at < $at - INTERVAL 180 DAY)) AS runbook_stale,
       count(*) FILTER (WHERE NOT no_runbook AND runbook_reviewed_at >= $at - INTERVAL 180 DAY)
           AS healthy,
       max(runbook_reviewed_at) AS last_reviewed_at,
       epoch($at - max(runbook_reviewed_at)) / 86400 AS days_since_last_review
FROM g
GROUP BY group_id, group_name
ORDER BY without_runbook + runbook_stale DESC, group_name, group_id
