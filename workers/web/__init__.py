"""Sentry wire-format layer: body decoding, envelope parsing, auth and timestamps (no DB, no HTTP)."""
