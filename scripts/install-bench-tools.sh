#!/usr/bin/env bash
# What the benchmarks need and is missing: Debian's wrk, the HTTP load generator of
# bench/ingest_http.py (a Python client on the same two cores would measure itself). Idempotent and
# quiet once installed; called by bench/ingest_http.py. Never a test dependency.
set -euo pipefail

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "the HTTP benchmark wants Debian's wrk; run as root: apt-get update && apt-get install -y wrk" >&2
    exit 1
  fi
  echo "installing wrk (Debian package)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
