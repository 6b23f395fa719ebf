"""The warehouse layer: one DuckDB file, opened safely from many processes.

    errors.py      UserError (what the user can fix), WarehouseError, UsageError
    connect.py     the warehouse path; connect() with a bounded retry on lock conflicts
    intent.py      a writer's intent file, held under flock while it means to write
    reader.py      reading(): the process's one shared read-only connection, via cursors
    writer.py      writing(): a migrated write connection, announced by an intent
    migrations.py  the schema's migrations, frozen literal DDL, and migrate()
    sql.py         named SQL files, the macros refresh, run(), last_change()

queries/warehouse.py is the façade the rest of modelops imports from.
"""
