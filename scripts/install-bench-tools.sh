#!/usr/bin/env bash
# What the benchmarks need and is missing: Debian's wrk, the HTTP load generator of
# bench/ingest_http.py (a Python client on the same two cores would measure itself), and valgrind,
# whose instruction counts bench/ingest_instructions.py reads. Idempotent and quiet once
# installed; called by those benchmarks. Never a test dependency.
set -euo pipefail

. "$(dirname "$0")/lib/apt.sh"
apt_install_missing "the benchmarks" wrk valgrind
