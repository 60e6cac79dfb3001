#!/usr/bin/env bash
# B8, report: `grille-server report` (the academy view, every part) over a national-size academy, beside
# the sqlite3 CLI running the same SQL statements on the same database file.
#
#   bench/b8-report.sh BIN_DIR WORK_DIR OUT_MD
#
# Set-up (not timed): `grille-bench report-roster` writes the roster CSVs (40,000 candidates, 200
# establishments, 1,334 commissions of 30), `grille-server init` and `roster import` load it as the
# server does, then `grille-bench report-grids` writes the grids' events into the server's log the way
# a push stores them (rows, receipts, Materializer). Timed, each run B8_RUNS times after a warm-up, the best kept:
# the whole `grille-server --db DB report` process (and the time it prints for its computation), and
# `sqlite3 -readonly DB < report.sql` with the statements of bench/b8_report.sql.
# Progress on stderr; the last stdout line is the ratio.
#
# Environment: B8_CANDIDATES (default 40000), B8_RUNS (default 2); BENCH_SMALL=1 makes them 2000 and 1.
set -euo pipefail

if (( $# != 3 )); then echo "usage: bench/b8-report.sh BIN_DIR WORK_DIR OUT_MD" >&2; exit 2; fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)/b8"
out="$3"
if [[ "${BENCH_SMALL:-0}" == 1 ]]; then candidates="${B8_CANDIDATES:-2000}" runs="${B8_RUNS:-1}"
else candidates="${B8_CANDIDATES:-40000}" runs="${B8_RUNS:-2}"; fi
command -v sqlite3 >/dev/null || { echo "b8: sqlite3 missing: run bench/setup.sh" >&2; exit 1; }
[[ -x "$bin/grille-bench" ]] || { echo "b8: no $bin/grille-bench" >&2; exit 1; }

say() { printf '== b8: %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

rm -rf "$work"
mkdir -p "$work"
db="$work/academy.sqlite"
load_before="$(cut -d ' ' -f 1 /proc/loadavg)"

# --- Set-up ----------------------------------------------------------------------------------------
t0="$(now)"
say "roster of $candidates candidates"
roster_line="$("$bin/grille-bench" report-roster "$work/roster" --candidates "$candidates")"
"$bin/grille-server" --db "$db" init --academy "Académie de mesure" --timezone Europe/Paris >/dev/null
say "grille-server roster import"
import_line="$("$bin/grille-server" --db "$db" roster import "$work/roster" --by ev-academy)"
say "$import_line"
say "grids (events written as a push stores them)"
grids_line="$("$bin/grille-bench" report-grids "$db" "$work/roster")"
say "$grids_line"
setup_seconds="$(elapsed "$t0" "$(now)")"
events="$(sqlite3 -readonly "$db" "SELECT count(*) FROM events")"
fields="$(sqlite3 -readonly "$db" "SELECT count(*) FROM state")"
db_bytes="$(sqlite3 -readonly "$db" "PRAGMA page_count" | awk -v s="$(sqlite3 -readonly "$db" "PRAGMA page_size")" '{ print $1 * s }')"
{ "$bin/grille-bench" report-params; cat "$repo/bench/b8_report.sql"; } >"$work/report.sql"

# --- Timed runs ------------------------------------------------------------------------------------
say "warm-up"
"$bin/grille-server" --db "$db" report >"$work/report.txt"
sqlite3 -readonly "$db" <"$work/report.sql" >"$work/sqlite.out"
ours_best=""; ours_inner_best=""; ref_best=""
for run in $(seq "$runs"); do
    t="$(now)"
    "$bin/grille-server" --db "$db" report >"$work/report.txt"
    s="$(elapsed "$t" "$(now)")"
    inner="$(sed -n 's/^(calculé en \([0-9  ]*\) ms)$/\1/p' "$work/report.txt" | tr -d '  ')"
    t="$(now)"
    sqlite3 -readonly "$db" <"$work/report.sql" >"$work/sqlite.out"
    r="$(elapsed "$t" "$(now)")"
    say "run $run: grille-server report ${s} s (computation ${inner} ms), sqlite3 ${r} s"
    if [[ -z "$ours_best" ]] || awk -v a="$s" -v b="$ours_best" 'BEGIN { exit !(a < b) }'; then ours_best="$s"; fi
    if [[ -z "$ours_inner_best" ]] || (( inner < ours_inner_best )); then ours_inner_best="$inner"; fi
    if [[ -z "$ref_best" ]] || awk -v a="$r" -v b="$ref_best" 'BEGIN { exit !(a < b) }'; then ref_best="$r"; fi
done

# --- Where the time goes: the candidates part alone, and its two SQL statements alone --------------------
"$bin/grille-server" --db "$db" report candidates >"$work/candidates.txt"
candidates_ms="$(sed -n 's/^(calculé en \([0-9  ]*\) ms)$/\1/p' "$work/candidates.txt" | tr -d '  ')"
awk '/^-- criteria$/ { exit } { print }' "$work/report.sql" >"$work/candidates.sql"
t="$(now)"
sqlite3 -readonly "$db" <"$work/candidates.sql" >/dev/null
candidates_sql="$(elapsed "$t" "$(now)")"
signed="$(grep -c '^grid/[^|]*$' "$work/sqlite.out" || true)"

# --- Checks: both agree on the candidate counts (enrolled, conforming, NV, AB, unrecorded, started) ------
ours_counts="$(awk '/^Candidats +Inscrits/ { on = 1; next }
    on && /^$/ { exit }
    on && match($0, /\(0[0-9][0-9][0-9][0-9][0-9][0-9][A-Z]\)/) {
        line = substr($0, RSTART + 1, 8); n = split(substr($0, RSTART + RLENGTH), f, / +/); k = 0
        for (i = 1; i <= n && k < 6; i++) { gsub(/[^0-9]/, "", f[i]); if (f[i] != "") { line = line "|" f[i]; k++ } }
        print line }' "$work/report.txt" | grep -v '|0|0|0|0|0|0$' | sort)"
ref_counts="$(grep -E '^0[0-9]{6}[A-Z](\|[0-9]+){6}$' "$work/sqlite.out" | sort)"
if [[ "$ours_counts" == "$ref_counts" && -n "$ours_counts" ]]; then
    agree="yes ($(wc -l <<<"$ours_counts") establishments)"
else
    agree="NO"
    diff <(echo "$ours_counts") <(echo "$ref_counts") | head -n 10 >&2 || true
fi

ratio="$(awk -v a="$ours_best" -v b="$ref_best" 'BEGIN { printf "%.2f", a / b }')"
met="$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5 ? "met" : "missed") }')"
ms() { awk -v s="$1" 'BEGIN { printf "%.0f", s * 1000 }'; }

mkdir -p "$(dirname "$out")"
cat >"$out" <<MD
## B8 report

\`bench/b8-report.sh\`: the academy report over a generated national-size academy: $roster_line.
The roster is imported with \`grille-server roster import\`; the grids' events ($grids_line) are written
into the server's log as a push stores them (rows with receipts, then \`Materializer.refresh\`), following the
generator of \`Tests/ServerTests/ReportAcademyTests.swift\` scaled up. Database: $events events, $fields merged fields,
$(awk -v b="$db_bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB; set-up took $setup_seconds s (not timed). Load average $load_before before the run.

- **Ours**: \`grille-server --db DB report\` (every part, text output), whole process, best of $runs runs after a
  warm-up; it also prints the time of its computation (\`ReportBuilder.build\`).
- **Reference**: \`sqlite3 -readonly DB < report.sql\`, whole process, same runs: the report's SQL statements
  (\`bench/b8_report.sql\`, from \`Report+Queries.swift\` and the device lines) with the same parameters. It does not
  check signatures: the server loads each final grid that holds a signature as a \`GridView\` to compare the
  signature's hash with the grid's content, which SQL cannot compute.
- Check: both give the same candidate counts per establishment with candidates (enrolled, conforming, NV, AB, unrecorded, started): $agree.

| | ms |
| --- | ---: |
| ours, \`grille-server report\` process | $(ms "$ours_best") |
| ours, computation printed by the report | $ours_inner_best |
| sqlite3 CLI, same SQL | $(ms "$ref_best") |

| ratio | value | target | |
| --- | ---: | ---: | --- |
| ours / sqlite3 | $ratio | ≤ 1.5 | $met |

Where the time goes: the candidates part alone (\`report candidates\`) computes in $candidates_ms ms, while its two SQL
statements (candidate counts, signed final grids) take $(ms "$candidates_sql") ms in the sqlite3 CLI; the rest is the
$signed \`GridView\`s of the signed final grids (events of each grid read and parsed again, signature hashes
recomputed) that decide « complet » and « à re-signer ». The other parts are SQL, with the same statements as
the reference. Both sides read the 2 MiB default SQLite page cache of a file much larger than it.

MD
say "written to $out"
echo "ratio report/sqlite3: $ratio (target ≤ 1.5)"
