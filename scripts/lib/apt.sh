# Sourced by the install scripts: install the Debian packages given that are missing, with
# apt-get as root, else sudo, else stop with the exact command to run. Quiet when none is missing.
# Usage: apt_install_missing "what needs them" pkg...
apt_install_missing() {
  local purpose=$1; shift
  local missing="" pkg sudo=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $pkg"
  done
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "$purpose needs Debian packages:$missing" >&2
      echo "run as root: apt-get update && apt-get install -y$missing" >&2
      exit 1
    fi
  fi
  echo "installing Debian packages for $purpose:$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}
