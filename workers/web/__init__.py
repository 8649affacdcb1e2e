"""`pgwarden web`: the ASGI app (app.py), its routes (routes_*.py), the ingest micro-batcher, and the
Sentry wire-format layer (decoding, envelope, auth: no DB, no HTTP)."""
