#!/usr/bin/env bash
# Install everything the assistant and its tests need on a fresh Debian machine (as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

extras="${1:-}"

# System packages: espeak-ng backs pyttsx3 on Linux and is its dependable fallback; the browser
# tests drive Debian's chromium (Playwright's own browser download cannot work offline).
APT_PACKAGES="espeak-ng libespeak-ng1"
case ",$extras," in *,test,*) APT_PACKAGES="$APT_PACKAGES chromium" ;; esac
missing=""
for pkg in $APT_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  echo "installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install --disable-pip-version-check -q -e ".${extras:+[$extras]}"
