#!/usr/bin/env bash
# B6, HTTP: requests per second and p99 latency of grille-server under wrk, beside a minimal C server.
#
#   bench/b6-http.sh BIN_DIR WORK_DIR OUT_MD
#
# wrk -t2 -c64 -d10s --latency on (1) GET /v1/health and (2) an authenticated one-event
# POST /v1/sync/push with a fresh event id per request (bench/b6_push.lua), against a release
# `grille-server serve` on loopback with the demo roster and a device enrolled for ev-0101; then the
# same two loads against bench/floor/http.c, which answers a fixed response. After the push run, the
# script checks that every push was stored (events of the device) and none refused.
# Needs bench/setup.sh (wrk). Progress on stderr; the last stdout line is the health ratio.
#
# Environment: B6_DURATION (wrk -d, default 10s; 2s with BENCH_SMALL=1), B6_CONNECTIONS (default 64).
set -euo pipefail

if (( $# != 3 )); then echo "usage: bench/b6-http.sh BIN_DIR WORK_DIR OUT_MD" >&2; exit 2; fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)/b6"
out="$3"
if [[ "${BENCH_SMALL:-0}" == 1 ]]; then duration="${B6_DURATION:-2s}"; else duration="${B6_DURATION:-10s}"; fi
connections="${B6_CONNECTIONS:-64}"
threads=2
command -v wrk >/dev/null || { echo "b6: wrk missing: run bench/setup.sh" >&2; exit 1; }

say() { printf '== b6: %s\n' "$*" >&2; }

rm -rf "$work"
mkdir -p "$work"
server_pid=""
floor_pid=""

stop() { # stop PID: TERM, then KILL after 10 s
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$server_pid"
    stop "$floor_pid"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_of() { # port_of FILE PID: the port printed as http://127.0.0.1:PORT on the first line of FILE
    local port=""
    for _ in $(seq 200); do
        port="$(head -n 1 "$1" | sed -n 's|.*http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p')"
        [[ -n "$port" ]] && { echo "$port"; return 0; }
        kill -0 "$2" 2>/dev/null || { echo "b6: the server stopped" >&2; return 1; }
        sleep 0.05
    done
    echo "b6: no port printed within 10 s" >&2
    return 1
}

# wrk's figures: "req/s p50_ms p99_ms requests non2xx errors"
figures() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        / requests in / { n = $1 }
        /Non-2xx or 3xx responses:/ { bad = $5 }
        /Socket errors:/ { err = $0; gsub(/.*errors: /, "", err); gsub(/ /, "", err) }
        END { printf "%.0f %.2f %.2f %d %d %s\n", rps, p50, p99, n, bad + 0, (err == "" ? "none" : err) }
    ' "$1"
}

cc -O2 -Wall -Wextra -pthread -o "$work/http" "$repo/bench/floor/http.c"
load_before="$(cut -d ' ' -f 1 /proc/loadavg)"

# --- Ours ------------------------------------------------------------------------------------------
db="$work/server.sqlite"
server="$bin/grille-server"
"$server" --db "$db" init --academy "Banc d'essai" --timezone Europe/Paris >/dev/null
"$server" --db "$db" roster import "$repo/demo/roster" --by ev-0112 >/dev/null
code="$("$server" --db "$db" enroll ev-0101 --by ev-0112 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"
"$server" --db "$db" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
port="$(port_of "$work/serve.out" "$server_pid")"
# Enrollment over HTTP with bench/lib/grillebench.py; prints TOKEN DEVICE and the comment fields.
read -r token device fields < <(python3 - "$port" "$code" "$repo" <<'PY'
import secrets, sys
sys.path.insert(0, sys.argv[3] + "/bench/lib")
import grillebench as gb
device = "dev-" + secrets.token_hex(8)
client = gb.Client(int(sys.argv[1]))
token = client.enroll(sys.argv[2], device, "ev-0101")
print(token, device, ",".join(gb.text_fields(sys.argv[3])))
PY
)
candidates="$(seq -f '026140%02g' 1 12 | paste -sd, -)"
wall="$(date +%s%3N)"

say "ours: GET /v1/health, wrk -t$threads -c$connections -d$duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port/v1/health" >"$work/ours-health.txt"
say "ours: POST /v1/sync/push (one event per request)"
B6_THREADS=$threads wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$repo/bench/b6_push.lua" \
    "http://127.0.0.1:$port/v1/sync/push" -- "$token" "$device" ev-0101 "$wall" "$candidates" "$fields" >"$work/ours-push.txt"
stop "$server_pid"
server_pid=""
stored="$(sqlite3 -readonly "$db" "SELECT count(*) FROM events WHERE device = '$device'")"
refused="$(sqlite3 -readonly "$db" "SELECT count(*) FROM rejections WHERE device = '$device'")"
heads="$(sqlite3 -readonly "$db" "SELECT max(json_array_length(heads)) FROM state WHERE entity LIKE 'grid/%'")"

# --- The floor -------------------------------------------------------------------------------------
"$work/http" 0 >"$work/floor.out" &
floor_pid=$!
fport="$(port_of "$work/floor.out" "$floor_pid")"
say "floor: GET, wrk -t$threads -c$connections -d$duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$fport/v1/health" >"$work/floor-health.txt"
say "floor: POST of the same push requests"
B6_THREADS=$threads wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$repo/bench/b6_push.lua" \
    "http://127.0.0.1:$fport/v1/sync/push" -- "$token" "$device" ev-0101 "$wall" "$candidates" "$fields" >"$work/floor-push.txt"
stop "$floor_pid"
floor_pid=""

read -r oh_rps oh_p50 oh_p99 oh_n oh_bad oh_err < <(figures "$work/ours-health.txt")
read -r op_rps op_p50 op_p99 op_n op_bad op_err < <(figures "$work/ours-push.txt")
read -r fh_rps fh_p50 fh_p99 fh_n fh_bad fh_err < <(figures "$work/floor-health.txt")
read -r fp_rps fp_p50 fp_p99 fp_n fp_bad fp_err < <(figures "$work/floor-push.txt")
for f in ours-health ours-push floor-health floor-push; do sed "s/^/   $f | /" "$work/$f.txt" >&2; done
(( oh_bad == 0 && op_bad == 0 )) || { echo "b6: non-2xx answers from grille-server (health $oh_bad, push $op_bad)" >&2; exit 1; }
(( refused == 0 )) || { echo "b6: the server refused $refused pushed events" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
health_ratio="$(ratio "$oh_rps" "$fh_rps")"
push_ratio="$(ratio "$op_rps" "$fp_rps")"
met="$(awk -v r="$health_ratio" 'BEGIN { print (r >= 0.25 ? "met" : "missed") }')"

mkdir -p "$(dirname "$out")"
cat >"$out" <<MD
## B6 HTTP

\`bench/b6-http.sh\`: \`wrk -t$threads -c$connections -d$duration --latency\` on loopback, client and server sharing the
machine's $(nproc) CPUs (load average $load_before before the run).

- **Ours**: a release \`grille-server serve\` (one thread per connection, a request log line per request on stderr)
  with the demo roster. \`GET /v1/health\`, then an authenticated \`POST /v1/sync/push\` of one event per request
  (\`bench/b6_push.lua\`: device enrolled for ev-0101, a fresh event id per request, comments of the 12 grids of
  commission cm-e4-01, each wrk thread listing its previous write of the field in \`prev\`).
  After the run: $stored events of the device stored, $refused refused, at most $heads head(s) per field.
- **Reference**: \`bench/floor/http.c\`, one thread per connection, blocking sockets, keep-alive, answers every
  request with a fixed 200 JSON response of the health answer's size (no routing, parsing beyond the head and
  Content-Length, logging, JSON or database). The same two loads.

| | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
| ours, \`GET /v1/health\` | $oh_rps | $oh_p50 | $oh_p99 | $oh_n | $oh_bad | $oh_err |
| ours, \`POST /v1/sync/push\` (1 event) | $op_rps | $op_p50 | $op_p99 | $op_n | $op_bad | $op_err |
| C floor, GET | $fh_rps | $fh_p50 | $fh_p99 | $fh_n | $fh_bad | $fh_err |
| C floor, POST (same bodies) | $fp_rps | $fp_p50 | $fp_p99 | $fp_n | $fp_bad | $fp_err |

| ratio | value | target | |
| --- | ---: | ---: | --- |
| health / C floor | $health_ratio | ≥ 0.25 | $met |
| push / C floor | $push_ratio | none | |

What limits \`/v1/health\` (perf on the server under this load, code as of this benchmark): every request starts a
new thread for its handler (\`HTTPConnection.callHandler\`, which waits for it with a timeout): clone3 alone is about
11 % of the samples, plus thread start, exit and stack unmapping; then every handler enters the store's serial
queue (\`ServerCore.run\`: \`DispatchQueue.sync\`, where 64 connection threads queue up: 17 % in its slow path, futex wake-ups), and
there runs \`PRAGMA data_version\` and two \`meta\` queries (a SQLite read transaction each, with its shm
locks); each request also writes a log line. The route's own work is under 5 % of the samples. A push adds
a durable commit (WAL, \`synchronous=FULL\`: one fsync per request, one request at a time on that queue).

MD
say "written to $out"
echo "ratio push/floor: $push_ratio (no target)"
echo "ratio health/floor: $health_ratio (target ≥ 0.25)"
