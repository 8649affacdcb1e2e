#!/usr/bin/env bash
# Prometheus for the test in which a real Prometheus scrapes `pgwarden web`'s /metrics: Debian's
# package, unpacked into .tools rather than installed, because installing it starts a system-wide
# Prometheus on port 9090 that nobody asked for. Idempotent and quiet once there; called by the
# fixture of tests/py/test_web_metrics_prometheus.py.
set -euo pipefail
cd "$(dirname "$0")/.."
prometheus=.tools/prometheus
[ -x "$prometheus" ] && exit 0

echo "install: Prometheus from Debian's package into .tools (unpacked, no service started)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
chmod 0755 "$scratch"  # apt's own user downloads into it
download() { (cd "$scratch" && apt-get download -qq prometheus 2>/dev/null); }
download || { apt-get update -qq && download; }
dpkg-deb -x "$scratch"/prometheus_*.deb "$scratch/root"
mkdir -p .tools
install -m 0755 "$scratch/root/usr/bin/prometheus" "$prometheus"
