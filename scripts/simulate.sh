#!/usr/bin/env bash
# The deterministic simulation of docs/RELIABILITY.md (« Deterministic simulation »), any number of seeds.
#
#   scripts/simulate.sh                       1,000 seeds × 500 steps (the CI run), release build
#   scripts/simulate.sh --seeds 100000        100,000 seeds
#   scripts/simulate.sh --seed 4242           replays seed 4242 alone and prints its step-by-step trace
#   scripts/simulate.sh --seeds 50 --first 9001 --steps 2000 --jobs 2 --debug
#
# Options: --seeds N, --first F (first seed, 1), --seed X (one seed, traced), --steps S (500), --jobs J
# (seeds run at once, each slice in its own child process; the number of processors), --debug (debug build instead of release), --trace (keep
# every run's trace, printed for failures), --no-replay (the journal is lost before a restore, so it does not re-apply the
# revocations and purges decided after the backup), --timing (CPU time per kind of step).
# The settings reach the test through GRILLE_SIM_* environment variables read only by
# Tests/SimulationTests/SimulationRunner.swift. Exit status 0 when every seed passed.
set -euo pipefail
cd "$(dirname "$0")/.."

config=release
unset GRILLE_SIM_SEED GRILLE_SIM_SEEDS GRILLE_SIM_FIRST GRILLE_SIM_STEPS GRILLE_SIM_JOBS GRILLE_SIM_TRACE \
      GRILLE_SIM_NO_REPLAY GRILLE_SIM_TIMING
export GRILLE_SIM_SEEDS=1000 GRILLE_SIM_STEPS=500
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) export GRILLE_SIM_SEEDS="${2:?}"; shift 2 ;;
    --first) export GRILLE_SIM_FIRST="${2:?}"; shift 2 ;;
    --seed) export GRILLE_SIM_SEED="${2:?}"; shift 2 ;;
    --steps) export GRILLE_SIM_STEPS="${2:?}"; shift 2 ;;
    --jobs) export GRILLE_SIM_JOBS="${2:?}"; shift 2 ;;
    --debug) config=debug; shift ;;
    --trace) export GRILLE_SIM_TRACE=1; shift ;;
    --no-replay) export GRILLE_SIM_NO_REPLAY=1; shift ;;
    --timing) export GRILLE_SIM_TIMING=1; shift ;;
    -h|--help) usage ;;
    *) echo "simulate.sh : option inconnue « $1 »" >&2; usage ;;
  esac
done
for value in "$GRILLE_SIM_SEEDS" "$GRILLE_SIM_STEPS" "${GRILLE_SIM_FIRST:-1}" "${GRILLE_SIM_SEED:-1}" "${GRILLE_SIM_JOBS:-1}"; do
  case "$value" in ''|*[!0-9]*) echo "simulate.sh : nombre attendu, pas « $value »" >&2; exit 2 ;; esac
done

# Release test builds need testability for the @testable imports of the test targets.
flags=()
[ "$config" = release ] && flags=(-Xswiftc -enable-testing)
echo "== build ($config, with tests)"
swift build -c "$config" --build-tests "${flags[@]}" 2>&1 | grep -E "error|Build complete|Compiling" | grep -v "^\[" || true
swift build -c "$config" --build-tests "${flags[@]}" >/dev/null 2>&1 || { swift build -c "$config" --build-tests "${flags[@]}"; exit 1; }

echo "== simulation"
log=".build/simulation-$(date +%Y%m%d-%H%M%S).log"
set +e
swift test -c "$config" --skip-build "${flags[@]}" --filter 'SimulationTests.seededRunsLoseAndChangeNoAcknowledgedEvent' 2>&1 | tee "$log" \
  | grep -vE "^(Test Suite|	 Executed|◇|↳)"
status=${PIPESTATUS[0]}
set -e
echo "== log: $log"
exit "$status"
