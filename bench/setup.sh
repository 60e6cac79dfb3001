#!/usr/bin/env bash
# Installs what bench/b2-merge.sh, bench/b6-http.sh and bench/b8-report.sh need, and nothing else:
# Debian packages (PostgreSQL 15, wrk, python3-venv, valgrind, the sqlite3 CLI, a C compiler) and a
# Python virtual environment at .build-bench/venv holding loro and psycopg (the PostgreSQL client of B2). Idempotent, and quick when everything is
# already there (no apt-get or pip call then).
#
#   bench/setup.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.build-bench/venv"

say() { printf '== setup: %s\n' "$*" >&2; }

need=()
for pkg in postgresql-15 wrk python3-venv valgrind sqlite3 gcc libsqlite3-dev time; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if (( ${#need[@]} )); then
    sudo=()
    (( EUID == 0 )) || sudo=(sudo)
    say "apt-get install ${need[*]}"
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# Debian's own python3 (python3-venv), whatever python3 comes first in PATH.
if ! "$venv/bin/python" -c "import loro, psycopg" 2>/dev/null; then
    say "venv with loro and psycopg in $venv"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check loro "psycopg[binary]" >&2
fi
"$venv/bin/python" -c "import loro, psycopg"
say "ready ($("$venv/bin/python" -m pip show loro 2>/dev/null | sed -n 's/^Version: /loro /p'))"
