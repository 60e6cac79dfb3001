#!/usr/bin/env bash
# Installs what is missing, builds release binaries and runs the offline demo: a jury fills the E4 final
# grid of one candidate on the demo roster, signs it, and reads its history. Data lands in ./demo-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "== Building release binaries"
start=$(date +%s)
swift build -c release 2>&1 | tail -1
echo "   ($(( $(date +%s) - start )) s)"
bin=$(swift build -c release --show-bin-path)
data="$PWD/demo-data"
rm -rf "$data"
teacher="$data/ev-0101"       # Claire Lambert, bloc-1 teacher
pro="$data/ev-0102"           # Karim Benali, professional on the jury
agent() { local dir=$1; shift; echo "\$ grille-agent $*" >&2; "$bin/grille-agent" --data "$dir" "$@"; }

echo; echo "== Each laptop imports the demo roster and takes its evaluator's identity"
agent "$teacher" roster import demo/roster
agent "$teacher" whoami --as ev-0101
agent "$pro" roster import demo/roster
agent "$pro" whoami --as ev-0102

echo; echo "== The teacher records two 'au fil de l'eau' interviews (situation A)"
a1=$(agent "$teacher" grid new --candidate 02614001 --template ndrc-e4-ccf --situation A)
agent "$teacher" grid set "$a1" prospection.1 I
agent "$teacher" grid set "$a1" information.1 S
agent "$teacher" grid field "$a1" recommendations "Qualifier davantage les prospects avant la relance."

echo; echo "== The jury fills the final grid (option évènement) on the teacher's laptop"
final=$(agent "$teacher" grid new --candidate 02614001 --template ndrc-e4-ccf --situation final --option evenement)
for pair in prospection.1:S prospection.2:TS prospection.3:S prospection.4:I evenement.1:S evenement.2:TS evenement.3:S information.1:TI information.2:S; do
  agent "$teacher" grid set "$final" "${pair%%:*}" "${pair##*:}" >/dev/null
done
agent "$teacher" grid set "$final" information.1 S          # the jury changes its mind: the history keeps TI
agent "$teacher" grid comment "$final" evenement.2 "Animation dynamique, bonne gestion du temps."
agent "$teacher" grid field "$final" appreciation-A "Prospection méthodique ; réseau professionnel encore à développer."
agent "$teacher" grid field "$final" appreciation-B "Évènement bien organisé, bilan chiffré précis."
agent "$teacher" grid field "$final" note "14,5"

echo; echo "== A bad input is refused with a French message and nothing is written"
agent "$teacher" grid set "$final" negociation.1 S || echo "(exit $?)"
agent "$teacher" grid field "$final" note "14,3" || echo "(exit $?)"

echo; echo "== The professional's laptop sees the same commission's candidates"
agent "$pro" candidates | head -3

echo; echo "== Signing, then the grid and the history of one criterion"
agent "$teacher" grid sign "$final"
agent "$teacher" grid show "$final"
agent "$teacher" grid history "$final" --criterion information.1
agent "$teacher" rebuild

echo
echo "Where to look:"
echo "  $teacher/agent.sqlite   the teacher's laptop: event log (table events) and merged state (table state)"
echo "  $bin/grille-agent --data $teacher log      every event written"
echo "  $bin/grille-agent --data $teacher grid show $final --json"
echo "The server and the sync between laptops come with the next milestone (docs/ARCHITECTURE.md)."
