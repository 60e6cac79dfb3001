#!/usr/bin/env bash
# Push throughput of grille-server against the floor of SQLite inserts, in one run on this machine.
#
#   bench/push-throughput.sh [EVENTS]        (default 20000)
#
# Ours: events per second to durable acknowledgement, pushed in batches of 1,000 over HTTP on loopback
# to a release `grille-server serve` (bench/push_throughput.py is the client). The floor: the same rows
# inserted into the server's events table by bench/floor/insert.c, same pragmas, same transactions.
# Prints the results and writes them to bench/results/push-throughput.md.
#
# Environment: BENCH_BATCH (default 1000); BENCH_REF=COMMIT builds and measures that commit (exported
# with `git archive` under .build-bench/) instead of the working tree, e.g. BENCH_REF=HEAD while the
# tree is being edited; BENCH_KEEP=1 keeps the temporary folder; TMPDIR picks where it is made (put it
# on the disk you want to measure: both databases live there).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events="${1:-20000}"
batch="${BENCH_BATCH:-1000}"
if ! [[ "$events" =~ ^[1-9][0-9]*$ && "$batch" =~ ^[1-9][0-9]*$ ]] || (( batch > 5000 )); then
    echo "usage: bench/push-throughput.sh [EVENTS]   (EVENTS a positive integer; BENCH_BATCH 1 to 5000)" >&2
    exit 2
fi
scratch="$repo/.build-bench"
results="$repo/bench/results/push-throughput.md"

say() { printf '== %s\n' "$*" >&2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/grille-bench.XXXXXX")"
server_pid=""
client_pid=""

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

cleanup() {
    if [[ -n "$client_pid" ]]; then
        kill -TERM "$client_pid" 2>/dev/null || true
        wait "$client_pid" 2>/dev/null || true
    fi
    stop_server
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "temporary folder kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Build (a separate scratch path, so a build in .build is never locked) ---------------------------
# src: the package measured (templates and demo roster are read from it too).
src="$repo"
if [[ -n "${BENCH_REF:-}" ]]; then
    rev="$(git -C "$repo" rev-parse --verify "${BENCH_REF}^{commit}")"
    src="$scratch/src-${rev:0:12}"
    scratch="$scratch/ref"
    if [[ ! -f "$src/Package.swift" ]]; then
        mkdir -p "$src.tmp"
        git -C "$repo" archive "$rev" | tar -x -C "$src.tmp"
        mv "$src.tmp" "$src"
    fi
fi
say "release build of $src in $scratch"
built=0
for attempt in 1 2 3; do
    # Sources edited during the build make it fail; try again.
    if swift build -c release --package-path "$src" --scratch-path "$scratch" >"$work/build.log" 2>&1; then built=1; break; fi
    say "build attempt $attempt failed"
    sleep 5
done
if (( ! built )); then tail -n 30 "$work/build.log" >&2; exit 1; fi
bin="$(swift build -c release --package-path "$src" --scratch-path "$scratch" --show-bin-path)"
server="$bin/grille-server"
cc -O2 -Wall -Wextra -o "$work/insert" "$repo/bench/floor/insert.c" -lsqlite3

load_before="$(cut -d ' ' -f 1 /proc/loadavg)"

# --- Server set-up ---------------------------------------------------------------------------------
db="$work/server.sqlite"
say "server database in $work"
"$server" --db "$db" init --academy "Banc d'essai" --timezone Europe/Paris >/dev/null
"$server" --db "$db" roster import "$src/demo/roster" --by ev-0112 >/dev/null
code="$("$server" --db "$db" enroll ev-0101 --by ev-0112 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"

"$server" --db "$db" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
port=""
for _ in $(seq 200); do
    port="$(head -n 1 "$work/serve.out" | sed -n 's|.*http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p')"
    [[ -n "$port" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.err" >&2; echo "grille-server serve stopped" >&2; exit 1; fi
    sleep 0.05
done
[[ -n "$port" ]] || { echo "grille-server serve printed no port within 10 s" >&2; exit 1; }

# --- Ours ------------------------------------------------------------------------------------------
say "ours: $events events in batches of $batch to http://127.0.0.1:$port"
# In the background with `wait`, so a signal runs the trap at once instead of after the client.
python3 "$repo/bench/push_throughput.py" run --port "$port" --code "$code" --key-file "$db.key" \
    --events "$events" --batch "$batch" --work "$work" --repo "$src" --server-pid "$server_pid" &
client_pid=$!
wait "$client_pid"
client_pid=""
stop_server

# --- The floor -------------------------------------------------------------------------------------
say "floor: the same rows with bench/floor/insert.c"
floor_line="$("$work/insert" "$work/floor.sqlite" "$work/rows.tsv" "$batch")"
python3 "$repo/bench/push_throughput.py" compare "$db" "$work/floor.sqlite" >&2

# --- Report ----------------------------------------------------------------------------------------
if [[ -n "${BENCH_REF:-}" ]]; then
    commit="${rev:0:7}"
else
    commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    if [[ -n "$(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null)" ]]; then
        commit="$commit + uncommitted changes in Sources"
    fi
fi
mkdir -p "$(dirname "$results")"
echo
python3 "$repo/bench/push_throughput.py" report --work "$work" --floor-line "$floor_line" --out "$results" \
    --repo "$src" --nproc "$(nproc)" \
    --cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    --date "$(date '+%Y-%m-%d %H:%M %Z')" --commit "$commit" --kernel "$(uname -sr)" \
    --fs "$(df -PT "$work" | awk 'NR == 2 { print $2 }')" \
    --load-before "$load_before" --load-after "$(cut -d ' ' -f 1 /proc/loadavg)"
echo
say "written to ${results#"$repo"/}"
