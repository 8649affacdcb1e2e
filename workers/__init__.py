"""pgwarden: self-hosted error monitoring and system health whose logic lives in PostgreSQL.

This package is the thin Python side: the CLI, the process supervisor for the embedded stack,
the job workers that make external calls, and the wire-format adapters.
"""
