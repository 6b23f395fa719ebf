-- The action items open at the window's end whose due_at is before it, most overdue
-- first, with their owner, team, incident and model. Scope as follow_ups.sql: the item's
-- team is in the scope's teams and, with a model filter, it names one of those models.
-- days_overdue = ($end - due_at) in days.
-- Parameters: $end, $business_units, $teams, $models.
-- METRICS.md: Follow-ups — overdue.
WITH scope_teams AS (
    SELECT DISTINCT team_id, team, business_unit_id, business_unit
    FROM scoped_models($business_units, $teams, $models)
)
SELECT a.action_item_id, a.owner, a.title, a.priority, a.team_id, t.team,
       t.business_unit_id, a.incident_id, a.model_id,
       a.created_at, a.due_at, epoch($end - a.due_at) / 86400 AS days_overdue
FROM action_items a
JOIN scope_teams t ON t.team_id = a.team_id
WHERE a.created_at < $end AND item_overdue(a.closed_at, a.due_at, $end)
  AND (len($models) = 0 OR list_contains($models, a.model_id))
ORDER BY a.due_at, a.action_item_id
