"""modelops, the product: the CLI, the warehouse, its backends, the importers, the reports,
the engines and the demo. The KPI SQL and its API are in queries/; the dashboard in
dashboard/ and pages/ (README, "Shape")."""
