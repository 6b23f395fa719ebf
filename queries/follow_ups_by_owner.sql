-- Postmortem and review follow-ups (action_items) per owner, as of the window's end, with
-- the same scope and states as follow_ups.sql: an item is in scope when its team is in the
-- scope's teams and, with a model filter, it names one of those models.
--   action_items, open_action_items, overdue_action_items, closed_action_items,
--   median_days_to_close: as follow_ups.sql; teams = the owner's items' team names.
-- One row per owner with an item created before the window's end; most overdue first.
-- Parameters: $start, $end, $business_units, $teams, $models.
-- METRICS.md: Follow-ups.
WITH scope_teams AS (
    SELECT DISTINCT team_id, team FROM scoped_models($business_units, $teams, $models)
), items AS (
    SELECT a.*, t.team
    FROM action_items a JOIN scope_teams t ON t.team_id = a.team_id
    WHERE a.created_at < $end
      AND (len($models) = 0 OR list_contains($models, a.model_id))
)
SELECT owner,
       string_agg(DISTINCT team, ', ' ORDER BY team) AS teams,
       count(*) AS action_items,
       count(*) FILTER (WHERE item_open(closed_at, $end)) AS open_action_items,
       count(*) FILTER (WHERE item_overdue(closed_at, due_at, $end)) AS overdue_action_items,
       count(*) FILTER (WHERE closed_at >= $start AND closed_at < $end) AS closed_action_items,
       median(epoch(closed_at - created_at) / 86400)
           FILTER (WHERE closed_at >= $start AND closed_at < $end) AS median_days_to_close
FROM items
GROUP BY owner
ORDER BY overdue_action_items DESC, open_action_items DESC, owner
