-- Risk reviews overdue on $today: scoped models not `retired` whose latest risk
-- assessment (by assessed_at) has next_review_due before $today, or that have no
-- assessment at all. Never-assessed models first, then the most overdue.
-- Parameters: $today (DATE), $business_units, $teams, $models.
-- METRICS.md: Governance — risk review overdue.
WITH latest AS (
    SELECT model_id, assessment_id, assessed_at, risk_tier, outcome, next_review_due
    FROM risk_assessments
    QUALIFY row_number() OVER (PARTITION BY model_id
                               ORDER BY assessed_at DESC, assessment_id DESC) = 1
)
SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id, s.business_unit,
       s.owner, s.risk_tier, s.lifecycle_stage,
       a.assessment_id IS NULL AS never_assessed,
       a.assessed_at AS last_assessed_at,
       a.outcome AS last_outcome,
       a.next_review_due,
       date_diff('day', a.next_review_due, CAST($today AS DATE)) AS days_overdue
FROM scoped_models($business_units, $teams, $models) s
LEFT JOIN latest a ON a.model_id = s.model_id
WHERE s.lifecycle_stage <> 'retired'
  AND (a.assessment_id IS NULL OR a.next_review_due < CAST($today AS DATE))
ORDER BY never_assessed DESC, days_overdue DESC, s.name, s.model_id
