#!/usr/bin/env bash
# Installs what the browser tests need on Debian: headless Chromium, its driver and python3-selenium, and poppler-utils
# (pdftoppm) for printed pages. Idempotent: does nothing when everything is there.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s chromium-driver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
/usr/bin/python3 -c 'import selenium' >/dev/null 2>&1 || missing+=(python3-selenium)   # drives chromium in Tests/Browser
command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi dejavu || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
