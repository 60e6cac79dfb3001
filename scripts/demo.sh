#!/usr/bin/env bash
# Installs what is missing, builds release binaries and runs the demo academy: a coordinator server on a
# local SQLite file and two evaluators' laptops that work offline and sync. Data lands in ./demo-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "== Building release binaries"
start=$(date +%s)
swift build -c release 2>&1 | tail -1
echo "   ($(( $(date +%s) - start )) s)"
bin=$(swift build -c release --show-bin-path)
data="$PWD/demo-data"
rm -rf "$data"; mkdir -p "$data"
db="$data/server.sqlite"
teacher="$data/laptop-ev-0101"   # Claire Lambert, bloc-1 teacher
pro="$data/laptop-ev-0102"       # Karim Benali, professional on the same jury
server() { echo "\$ grille-server $*" >&2; "$bin/grille-server" --db "$db" "$@"; }
agent() { local dir=$1; shift; echo "\$ grille-agent $*   [$(basename "$dir")]" >&2; "$bin/grille-agent" --data "$dir" "$@"; }

echo; echo "== The academy creates its server, imports the roster and starts serving"
server init --academy "Académie de démonstration" --timezone Europe/Paris
server roster import demo/roster --by ev-0112
"$bin/grille-server" --db "$db" serve --listen 127.0.0.1:0 >"$data/server.out" 2>"$data/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "http://" "$data/server.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o "http://127.0.0.1:[0-9]*" "$data/server.out")
echo "   server listening on $url (log: $data/server.log)"

echo; echo "== Each laptop is enrolled with a one-time code, then syncs its commissions"
agent "$teacher" enroll --server "$url" --code "$(server enroll ev-0101 --by ev-0112 2>/dev/null)"
agent "$pro" enroll --server "$url" --code "$(server enroll ev-0102 --by ev-0112 2>/dev/null)"
agent "$teacher" sync
agent "$pro" sync

echo; echo "== Offline: the teacher records an 'au fil de l'eau' interview (situation A)"
a1=$(agent "$teacher" grid new --candidate 02614001 --template ndrc-e4-ccf --situation A)
agent "$teacher" grid set "$a1" prospection.1 I
agent "$teacher" grid field "$a1" recommendations "Qualifier davantage les prospects avant la relance."

echo; echo "== Offline, on both laptops: the jury fills the same final grid (option évènement)"
final=grid/ndrc-e4-ccf/2026/02614001/final
agent "$teacher" grid new --candidate 02614001 --template ndrc-e4-ccf --situation final --option evenement >/dev/null
for pair in prospection.1:S prospection.2:TS prospection.3:S prospection.4:I evenement.1:S; do
  agent "$teacher" grid set "$final" "${pair%%:*}" "${pair##*:}" >/dev/null
done
agent "$pro" grid new --candidate 02614001 --template ndrc-e4-ccf --situation final --option evenement >/dev/null
for pair in evenement.2:TS evenement.3:S information.1:S information.2:S evenement.1:TS; do
  agent "$pro" grid set "$final" "${pair%%:*}" "${pair##*:}" >/dev/null
done
agent "$teacher" grid field "$final" appreciation-A "Prospection méthodique ; réseau professionnel encore à développer."
agent "$pro" grid field "$final" appreciation-B "Évènement bien organisé, bilan chiffré précis."
agent "$teacher" grid field "$final" note "14,5"

echo; echo "== A bad input is refused with a French message and nothing is written"
agent "$teacher" grid set "$final" negociation.1 S || echo "(exit $?)"

echo; echo "== Back online: both sync; evenement.1 was set by both without seeing the other: a conflict"
agent "$teacher" sync; agent "$pro" sync; agent "$teacher" sync
agent "$teacher" grid show "$final" | tail -8
agent "$teacher" grid sign "$final" || echo "(exit $?: signing waits for the conflict to be settled)"

echo; echo "== The teacher settles it (having seen both values), both sign, both sync"
agent "$teacher" grid set "$final" evenement.1 TS
agent "$teacher" sync; agent "$pro" sync
agent "$teacher" grid sign "$final"
agent "$teacher" sync; agent "$pro" sync
agent "$pro" grid sign "$final"
agent "$pro" sync; agent "$teacher" sync
agent "$pro" grid show "$final"
agent "$pro" grid history "$final" --criterion evenement.1

echo; echo "== Everyone holds the same grid: state hashes of the final grid"
echo "   server:  $(server hash --prefix "$final")"
echo "   teacher: $(agent "$teacher" hash --prefix "$final")"
echo "   pro:     $(agent "$pro" hash --prefix "$final")"

echo
echo "Where to look:"
echo "  $db            the academy's database (tables events, state, devices, quarantine)"
echo "  $data/server.log       one line per HTTP request"
echo "  $teacher/agent.sqlite   a laptop: event log (events) and merged state (state)"
echo "  $bin/grille-agent --data $teacher status"
echo "  $bin/grille-server --db $db devices"
echo "  $bin/grille-server --db $db report --session 2026"
echo
echo "The web interfaces (each runs until Ctrl-C):"
echo "  $bin/grille-server --db $db serve --listen 127.0.0.1:8080"
echo "      then, in another terminal:"
echo "  echo 'demo-coordination-2026' | $bin/grille-server --db $db coordinator password ev-0112"
echo "      and open http://127.0.0.1:8080/dashboard (identifiant ev-0112)"
echo "  $bin/grille-agent --data $teacher serve     the evaluator's interface: open the URL it prints"
