-- Vendor scorecard over the window: each vendor's SLA target against the availability
-- measured on the scoped models that use it (models.vendor_id; availability from their
-- summed requests and errors), the vendor's cost (costs_daily rows naming the vendor), and
-- the incidents with root cause `vendor` that started in the window on those models.
-- One row per vendor used by a scoped model or billed for one in the window. sla_met is
-- empty when the vendor has no SLA target or its models served no requests.
-- Parameters: $start, $end (whole UTC days), $business_units, $teams, $models.
-- METRICS.md: Serving — availability (aggregation rule); Cost and value — cost, showback by
--   vendor; Incidents — counted by started_at.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), usage AS (
    SELECT s.vendor_id, count(*) AS models
    FROM s WHERE s.vendor_id IS NOT NULL
    GROUP BY s.vendor_id
), traffic AS (
    SELECT s.vendor_id,
           CAST(sum(d.requests) AS BIGINT) AS requests,
           CAST(sum(d.errors) AS BIGINT) AS errors
    FROM daily_serving($start, $end) d
    JOIN s ON s.model_id = d.model_id
    WHERE s.vendor_id IS NOT NULL
    GROUP BY s.vendor_id
), cost AS (
    SELECT c.vendor_id, sum(c.amount_usd::DECIMAL(38, 9)) AS cost_usd
    FROM costs_daily c
    JOIN s ON s.model_id = c.model_id
    WHERE c.vendor_id <> '' AND c.day >= $start::DATE AND c.day < $end::DATE
    GROUP BY c.vendor_id
), vendor_incidents AS (
    SELECT s.vendor_id, count(*) AS vendor_incidents
    FROM incidents i
    JOIN s ON s.model_id = i.model_id
    WHERE s.vendor_id IS NOT NULL AND i.root_cause = 'vendor'
      AND i.started_at >= $start AND i.started_at < $end
    GROUP BY s.vendor_id
)
SELECT v.vendor_id, v.name AS vendor, v.kind,
       v.sla_availability,
       coalesce(u.models, 0) AS models,
       coalesce(t.requests, 0) AS requests,
       coalesce(t.errors, 0) AS errors,
       kpi_availability(t.requests, t.errors) AS measured_availability,
       kpi_availability(t.requests, t.errors) >= v.sla_availability AS sla_met,
       coalesce(c.cost_usd, 0)::DOUBLE AS cost_usd,
       coalesce(vi.vendor_incidents, 0) AS vendor_incidents
FROM vendors v
LEFT JOIN usage u ON u.vendor_id = v.vendor_id
LEFT JOIN traffic t ON t.vendor_id = v.vendor_id
LEFT JOIN cost c ON c.vendor_id = v.vendor_id
LEFT JOIN vendor_incidents vi ON vi.vendor_id = v.vendor_id
WHERE u.models IS NOT NULL OR c.cost_usd IS NOT NULL
ORDER BY v.name, v.vendor_id
