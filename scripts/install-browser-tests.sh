#!/usr/bin/env bash
# What the browser tests need and is missing: Debian's chromium, and tests/browser's npm packages
# installed exactly from its package-lock.json. Idempotent and quiet once installed; called by the
# session fixture of tests/py/test_web_browser.py.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/apt.sh
apt_install_missing "the browser tests" chromium

# npm ci when node_modules does not match the lock file (npm writes its own copy of the lock there)
browser_dir=tests/browser
if ! cmp -s "$browser_dir/package-lock.json" "$browser_dir/node_modules/.package-lock.json.installed"; then
  echo "installing the browser test packages (npm ci in $browser_dir)"
  (cd "$browser_dir" && npm ci --silent --no-audit --no-fund)
  cp "$browser_dir/package-lock.json" "$browser_dir/node_modules/.package-lock.json.installed"
fi
