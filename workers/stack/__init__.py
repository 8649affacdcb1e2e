"""The embedded stack: a private PostgreSQL cluster, PostgREST and pgwarden's own processes."""
