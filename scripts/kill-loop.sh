#!/usr/bin/env bash
# kill -9 loop on the real binaries: one grille-server and two grille-agent laptops (the jury of one
# candidate) write, sync, and are killed with SIGKILL at random moments, alternately an agent (during
# `sync` or during a grid write) and the server (during both agents' pushes, then restarted on the same
# port). At the end the server is up, every laptop syncs until nothing is pending, and the script checks:
#   1. every event the server acknowledged (an agent held it as accepted at some point) is on the server;
#   2. every comment written by an agent command that exited 0 is on the server exactly once;
#   3. nothing is pending and the state hashes of the grid agree (server and both laptops);
#   4. every database passes integrity_check.
#
# Usage: scripts/kill-loop.sh [KILLS]          KILLS kills that land on a running process (default 100)
# Environment: GRILLE_BIN_DIR=DIR uses the binaries in DIR; KILL_LOOP_RELEASE=1 builds release binaries
# (--scratch-path .build-faults-release); otherwise the debug build (`swift build`) is used.
# KILL_LOOP_SEED=N fixes bash's $RANDOM; KILL_LOOP_KEEP=1 keeps the work folder.
set -uo pipefail

KILLS=${1:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -n "${GRILLE_BIN_DIR:-}" ]; then
    BIN=$GRILLE_BIN_DIR
elif [ "${KILL_LOOP_RELEASE:-0}" = 1 ]; then
    swift build -c release --scratch-path .build-faults-release --product grille-server >&2 || exit 1
    swift build -c release --scratch-path .build-faults-release --product grille-agent >&2 || exit 1
    BIN=$(swift build -c release --scratch-path .build-faults-release --show-bin-path)
else
    swift build --product grille-server >&2 || exit 1
    swift build --product grille-agent >&2 || exit 1
    BIN=$(swift build --show-bin-path)
fi
command -v python3 >/dev/null || { echo "python3 is needed for the final checks" >&2; exit 1; }
RANDOM=${KILL_LOOP_SEED:-$$}

WORK=$(mktemp -d /tmp/grille-kill-loop.XXXXXX)
DB=$WORK/server.sqlite
GRID=grid/ndrc-e4-ccf/2026/02614001/final
AGENTS=(ev-0101 ev-0102)
: >"$WORK/written.tsv"      # evaluator <TAB> text, for every comment command that exited 0
: >"$WORK/acked.txt"        # event ids some agent held as accepted by the server
SERVER_PID=
PORT=0

cleanup() {
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
    if [ "${KILL_LOOP_KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

server() { "$BIN/grille-server" --db "$DB" "$@"; }
agent() { local who=$1; shift; "$BIN/grille-agent" --data "$WORK/agent-$who" "$@"; }

start_server() {
    : >"$WORK/server.out"
    "$BIN/grille-server" --db "$DB" serve --listen "127.0.0.1:$PORT" >"$WORK/server.out" 2>>"$WORK/server.log" &
    SERVER_PID=$!
    for _ in $(seq 1 400); do
        local url
        url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/server.out" | head -1)
        if [ -n "$url" ]; then PORT=${url##*:}; return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.025
    done
    echo "grille-server did not start" >&2
    cat "$WORK/server.log" >&2
    exit 1
}

# True while the process runs (a finished but unreaped child is a zombie, which `kill` still reaches).
alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

random_delay() {   # 0 to $1 milliseconds
    local ms=$((RANDOM % ($1 + 1)))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}

# Appends the ids an agent holds as accepted.
collect_acked() {
    local who
    for who in "${AGENTS[@]}"; do
        agent "$who" log --json 2>/dev/null | python3 -c '
import json, sys
try: rows = json.load(sys.stdin)
except Exception: sys.exit(0)
for row in rows:
    if row.get("sync_state") == "accepted": print(row["id"])' >>"$WORK/acked.txt"
    done
}

# One comment write; records it when the command exits 0. $3 = "bg" runs it in the background
# (its pid in WRITE_PID, recorded later by finish_write).
NEXT=0
write_comment() {
    local who=$1 criterion=$2
    NEXT=$((NEXT + 1))
    WRITE_TEXT="$who écrit n°$NEXT"
    WRITE_WHO=$who
    if [ "${3:-}" = bg ]; then
        agent "$who" grid comment "$GRID" "$criterion" "$WRITE_TEXT" >/dev/null 2>>"$WORK/agent-errors.log" &
        WRITE_PID=$!
    elif agent "$who" grid comment "$GRID" "$criterion" "$WRITE_TEXT" >/dev/null 2>>"$WORK/agent-errors.log"; then
        printf '%s\t%s\n' "$who" "$WRITE_TEXT" >>"$WORK/written.tsv"
    fi
}

# --- setup ---------------------------------------------------------------------------------------
started_at=$(date +%s)
server init --academy "Académie de démonstration" >/dev/null || exit 1
server roster import "$ROOT/demo/roster" --by ev-0112 >/dev/null || exit 1
start_server
for who in "${AGENTS[@]}"; do
    code=$(server enroll "$who" --by ev-0112 2>/dev/null) || exit 1
    agent "$who" enroll --server "http://127.0.0.1:$PORT" --code "$code" >/dev/null || exit 1
    agent "$who" sync >/dev/null || exit 1
done
agent ev-0101 grid new --candidate 02614001 --template ndrc-e4-ccf --situation final --option evenement >/dev/null || exit 1
agent ev-0101 sync >/dev/null || exit 1
agent ev-0102 sync >/dev/null || exit 1

# --- the loop ------------------------------------------------------------------------------------
landed=0; missed=0; rounds=0
kills_server=0; kills_sync=0; kills_write=0
max_rounds=$((KILLS * 4))
while [ "$landed" -lt "$KILLS" ] && [ "$rounds" -lt "$max_rounds" ]; do
    rounds=$((rounds + 1))
    for who in "${AGENTS[@]}"; do
        crit=$([ "$who" = ev-0101 ] && echo prospection || echo information)
        for _ in $(seq 1 $((RANDOM % 3 + 1))); do write_comment "$who" "$crit.$((RANDOM % 2 + 1))"; done
    done
    sync_pids=()
    for who in "${AGENTS[@]}"; do
        agent "$who" sync >/dev/null 2>>"$WORK/agent-errors.log" &
        sync_pids+=($!)
    done
    if [ $((rounds % 2)) = 0 ]; then
        # The server, during both pushes.
        random_delay 300
        if alive "$SERVER_PID" && kill -9 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null
            landed=$((landed + 1)); kills_server=$((kills_server + 1))
        else
            missed=$((missed + 1))
        fi
        start_server
    else
        victim=$((RANDOM % 2))
        who=${AGENTS[$victim]}
        if [ $((RANDOM % 2)) = 0 ]; then
            # An agent during its sync.
            random_delay 400
            if alive "${sync_pids[$victim]}" && kill -9 "${sync_pids[$victim]}" 2>/dev/null; then
                landed=$((landed + 1)); kills_sync=$((kills_sync + 1))
            else
                missed=$((missed + 1))
            fi
        else
            # An agent during a grid write (beside its own sync).
            write_comment "$who" "$([ "$who" = ev-0101 ] && echo prospection || echo information).3" bg
            random_delay 150
            if alive "$WRITE_PID" && kill -9 "$WRITE_PID" 2>/dev/null; then
                wait "$WRITE_PID" 2>/dev/null
                landed=$((landed + 1)); kills_write=$((kills_write + 1))
            else
                missed=$((missed + 1))
                if wait "$WRITE_PID"; then printf '%s\t%s\n' "$WRITE_WHO" "$WRITE_TEXT" >>"$WORK/written.tsv"; fi
            fi
        fi
    fi
    for pid in "${sync_pids[@]}"; do wait "$pid" 2>/dev/null; done
    collect_acked
    if [ $((rounds % 10)) = 0 ]; then echo "round $rounds: $landed kills landed ($kills_server server, $kills_sync agent sync, $kills_write agent write), $missed missed" >&2; fi
done

# --- converge and check --------------------------------------------------------------------------
kill -0 "$SERVER_PID" 2>/dev/null || start_server
for _ in 1 2 3 4 5; do
    pending=0
    for who in "${AGENTS[@]}"; do
        agent "$who" sync >/dev/null 2>>"$WORK/agent-errors.log"
        n=$(agent "$who" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pending"])')
        pending=$((pending + n))
    done
    [ "$pending" = 0 ] && break
done
collect_acked
server_hash=$(server hash --prefix "$GRID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')
hashes=""
for who in "${AGENTS[@]}"; do
    hashes="$hashes $who=$(agent "$who" hash --prefix "$GRID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')"
done
kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
elapsed=$(($(date +%s) - started_at))

python3 - "$WORK" "$DB" "$server_hash" "$pending" "$GRID" $hashes <<'EOF'
import json, sqlite3, sys
work, db, server_hash, pending, grid = sys.argv[1:6]
agent_hashes = dict(a.split("=", 1) for a in sys.argv[6:])
violations = []
con = sqlite3.connect(db)
ids = {row[0] for row in con.execute("SELECT id FROM events")}
acked = {line.strip() for line in open(f"{work}/acked.txt") if line.strip()}
missing = acked - ids
if missing: violations.append(f"{len(missing)} acknowledged event(s) missing on the server")
texts = {}
for author, body in con.execute("SELECT author, body FROM events WHERE entity = ? AND field LIKE 'comment/%'", (grid,)):
    value = json.loads(body).get("value")
    texts[(author, value)] = texts.get((author, value), 0) + 1
written = [tuple(line.rstrip("\n").split("\t", 1)) for line in open(f"{work}/written.tsv") if line.strip()]
for key in written:
    if texts.get(key, 0) != 1: violations.append(f"written comment {key} is on the server {texts.get(key, 0)} time(s)")
if int(pending) != 0: violations.append(f"{pending} event(s) still pending")
for who, h in agent_hashes.items():
    if h != server_hash: violations.append(f"{who}: hash {h} != server {server_hash}")
for path in [db] + [f"{work}/agent-{who}/agent.sqlite" for who in agent_hashes]:
    result = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]: violations.append(f"{path}: {result}")
print(f"events on the server: {len(ids)}; acknowledged ids checked: {len(acked)}; "
      f"successful comment writes checked: {len(written)}; state hash {server_hash[:16]}… on the server and both laptops"
      if not violations else f"events on the server: {len(ids)}")
for v in violations[:50]: print("VIOLATION:", v)
sys.exit(1 if violations else 0)
EOF
status=$?
echo "kills landed: $landed (server $kills_server, agent during sync $kills_sync, agent during a write $kills_write); missed (process already done): $missed; rounds: $rounds; time: ${elapsed}s"
if [ "$status" = 0 ]; then echo "kill-loop: OK, 0 violations"; else echo "kill-loop: FAILED"; fi
exit "$status"
