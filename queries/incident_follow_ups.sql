-- The sev 1-2 incidents that started in the window on scoped models, newest first, with
-- whether they have a postmortem and their follow-ups (action_items naming the incident)
-- as of the window's end: how many, how many still open, how many overdue.
-- Parameters: $start, $end, $business_units, $teams, $models.
-- METRICS.md: Follow-ups; Week in review — new sev 1-2 incidents and their follow-ups.
SELECT i.incident_id, i.model_id, s.name AS model, s.team_id, s.team, i.severity, i.title,
       i.started_at, i.resolved_at, i.postmortem_url IS NOT NULL AS with_postmortem,
       count(a.action_item_id) FILTER (WHERE a.created_at < $end) AS action_items,
       count(a.action_item_id) FILTER (WHERE a.created_at < $end
           AND item_open(a.closed_at, $end)) AS open_action_items,
       count(a.action_item_id) FILTER (WHERE a.created_at < $end
           AND item_overdue(a.closed_at, a.due_at, $end)) AS overdue_action_items
FROM incidents i
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = i.model_id
LEFT JOIN action_items a ON a.incident_id = i.incident_id
WHERE i.severity <= 2 AND i.started_at >= $start AND i.started_at < $end
GROUP BY ALL
ORDER BY i.started_at DESC, i.incident_id
