-- What falls due in [$end, $end + 14 days): risk reviews (the latest assessment's
-- next_review_due) of scoped models not retired. One row per model, soonest first.
-- Parameters: $end, $business_units, $teams, $models.
-- METRICS.md: Week in review — reviews and validations due.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
    WHERE lifecycle_stage <> 'retired'
), latest AS (
    SELECT model_id, arg_max(next_review_due, (assessed_at, assessment_id)) AS next_review_due
    FROM risk_assessments WHERE model_id IN (SELECT model_id FROM s)
    GROUP BY model_id
)
SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
       l.next_review_due, datediff('day', $end::DATE, l.next_review_due) AS days_until_due
FROM s JOIN latest l USING (model_id)
WHERE l.next_review_due >= $end::DATE AND l.next_review_due < $end::DATE + INTERVAL 14 DAY
ORDER BY l.next_review_due, s.model_id
