#!/usr/bin/env bash
# Installs what Grille needs beside the Swift toolchain on Debian: libsqlite3-dev (and pkg-config).
set -euo pipefail
missing=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)   # clock-skew tests run the real agent under a shifted clock
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "The Swift toolchain (6.x) is required: https://www.swift.org/install/linux/" >&2; exit 1; }
