-- Postmortem and review follow-ups (action_items) per group, as of the window's end.
-- An item is in scope when its team is in the scope's teams and, with a model filter, it
-- names one of those models. Groups: 'team' | 'business_unit' | 'all' (by the item's team).
--   action_items             created before the window's end
--   open_action_items        created before the end, not closed before it
--   overdue_action_items     open at the end with due_at before the end
--   closed_action_items      closed in [start, end)
--   median_days_to_close     over the items closed in the window: closed_at - created_at
-- Sev 1-2 incidents started in the window on the group's scoped models:
--   sev1_sev2_incidents, with_postmortem (postmortem_url set), postmortem_share;
--   follow_ups_closed_30d: incidents with at least one action item, every one of them
--   closed within 30 days of its creation and before the window's end; follow_ups_closed_30d_share.
-- One row per group with at least one scoped model.
-- Parameters: $start, $end, $business_units, $teams, $models, $group_by.
-- METRICS.md: Follow-ups.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), team_groups AS (
    SELECT DISTINCT team_id,
           CASE WHEN $group_by = 'model' THEN error('follow_ups groups by team, business_unit or all')
                ELSE group_id END AS group_id
    FROM g
), items AS (
    SELECT tg.group_id, a.*
    FROM action_items a
    JOIN team_groups tg ON tg.team_id = a.team_id
    WHERE a.created_at < $end
      AND (len($models) = 0 OR list_contains($models, a.model_id))
), item_counts AS (
    SELECT group_id,
           count(*) AS action_items,
           count(*) FILTER (WHERE item_open(closed_at, $end)) AS open_action_items,
           count(*) FILTER (WHERE item_overdue(closed_at, due_at, $end))
               AS overdue_action_items,
           count(*) FILTER (WHERE closed_at >= $start AND closed_at < $end) AS closed_action_items,
           median(epoch(closed_at - created_at) / 86400)
               FILTER (WHERE closed_at >= $start AND closed_at < $end) AS median_days_to_close
    FROM items GROUP BY group_id
), severe AS (
    SELECT g.group_id, i.incident_id, i.postmortem_url IS NOT NULL AS with_postmortem,
           (SELECT count(*) > 0 AND bool_and(coalesce(a.closed_at < $end
                                             AND a.closed_at <= a.created_at + INTERVAL 30 DAY,
                                             false))
            FROM action_items a WHERE a.incident_id = i.incident_id) AS closed_30d
    FROM incidents i JOIN g ON g.model_id = i.model_id
    WHERE i.severity <= 2 AND i.started_at >= $start AND i.started_at < $end
), severe_counts AS (
    SELECT group_id, count(*) AS sev1_sev2_incidents,
           count(*) FILTER (WHERE with_postmortem) AS with_postmortem,
           count(*) FILTER (WHERE closed_30d) AS follow_ups_closed_30d
    FROM severe GROUP BY group_id
), groups AS (
    SELECT DISTINCT group_id, group_name FROM g
)
SELECT gr.group_id, gr.group_name,
       coalesce(c.action_items, 0) AS action_items,
       coalesce(c.open_action_items, 0) AS open_action_items,
       coalesce(c.overdue_action_items, 0) AS overdue_action_items,
       coalesce(c.closed_action_items, 0) AS closed_action_items,
       c.median_days_to_close,
       coalesce(v.sev1_sev2_incidents, 0) AS sev1_sev2_incidents,
       coalesce(v.with_postmortem, 0) AS with_postmortem,
       v.with_postmortem / nullif(v.sev1_sev2_incidents, 0) AS postmortem_share,
       coalesce(v.follow_ups_closed_30d, 0) AS follow_ups_closed_30d,
       v.follow_ups_closed_30d / nullif(v.sev1_sev2_incidents, 0) AS follow_ups_closed_30d_share
FROM groups gr
LEFT JOIN item_counts c USING (group_id)
LEFT JOIN severe_counts v USING (group_id)
ORDER BY gr.group_name, gr.group_id
