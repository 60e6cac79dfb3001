#!/usr/bin/env bash
# grille-backup: an online backup of the academy's database, with what a restore needs beside it.
#
#   grille-backup [--db /var/lib/grille/server.sqlite] [--keep 14] DIR
#
# Writes DIR/server-YYYYMMDD-HHMMSS.sqlite through grille-server backup (SQLite's online backup API:
# one consistent snapshot while the server keeps serving and writing), copies the receipt key
# (.sqlite.key) and the journal (.sqlite.journal) beside it with mode 0600, checks the copy with
# grille-server verify, then keeps the KEEP newest backups in DIR and deletes older ones.
# Run it as the server's user (the grille-backup.timer unit does, daily). Copy DIR off the machine:
# a backup on the same disk does not survive the disk. Restore: docs/OPERATIONS.md, « Restauration ».
set -euo pipefail

db=/var/lib/grille/server.sqlite
keep=14
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "grille-backup: unknown option $1" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done
[ -n "$dir" ] || { echo "grille-backup: give the backup folder" >&2; exit 2; }
[[ $keep =~ ^[1-9][0-9]*$ ]] || { echo "grille-backup: --keep takes a positive number" >&2; exit 2; }

# grille-server: beside this script once installed, else on the PATH.
server=$(dirname "$(readlink -f "$0")")/grille-server
[ -x "$server" ] || server=$(command -v grille-server) || { echo "grille-backup: grille-server not found" >&2; exit 1; }

umask 077
mkdir -p "$dir"
name=$dir/server-$(date +%Y%m%d-%H%M%S).sqlite
"$server" --db "$db" backup "$name"
cp "$db.key" "$name.key"
if [ -e "$db.journal" ]; then cp "$db.journal" "$name.journal"; fi
"$server" verify "$name" >/dev/null || { echo "grille-backup: $name does not verify: kept for inspection" >&2; exit 1; }
echo "Vérifiée : $name (+ .key$([ -e "$name.journal" ] && echo ", .journal"))"

# Keep the newest $keep backups.
mapfile -t old < <(ls -1 "$dir"/server-*.sqlite 2>/dev/null | sort -r | tail -n +"$((keep + 1))")
for f in "${old[@]}"; do
  rm -f "$f" "$f.key" "$f.journal"
  echo "Supprimée (plus de $keep sauvegardes) : $f"
done
