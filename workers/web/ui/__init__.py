"""The web app: sign-in, the dashboard pages and the public status page, served by `pgwarden web`
(routes in workers/web/routes_ui.py). Every page runs as the signed-in person's role with the JWT
claims PostgREST would set, so row-level security decides what it shows; pages only call `api`
views and functions (workers/sql.py)."""
