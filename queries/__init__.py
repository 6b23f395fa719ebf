"""The warehouse layer of modelops: connect, ingest, named SQL, reports and the CLI."""
