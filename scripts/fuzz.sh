#!/usr/bin/env bash
# Coverage-guided fuzzing of Grille's parsers with libFuzzer (docs/RELIABILITY.md, "Fuzzing").
#
#   scripts/fuzz.sh TARGET SECONDS   build (cached) and fuzz TARGET for SECONDS on its committed corpus
#   scripts/fuzz.sh all SECONDS      the same for every target, one after the other
#   scripts/fuzz.sh TARGET FILE...   run TARGET once on each FILE (reproduce a crash, replay a corpus)
#   scripts/fuzz.sh build [TARGET]   only build
#   scripts/fuzz.sh list             print the targets
#
# Targets are the files of Tests/Fuzz/Targets: http, sync, csv, roster, template.
#
# Everything is built with swiftc directly into .build-fuzz (git-ignored), never through SwiftPM's
# .build, so fuzzing does not lock anyone's `swift build`. Module Shared is compiled once with
# `-sanitize=fuzzer,address` (plus Tests/Fuzz/SharedShim, which supplies the `Bundle.module` SwiftPM
# would generate), then each target is linked against it. Builds are cached on a hash of the sources.
#
# New corpus entries go to a temporary directory (printed), never to Tests/Fuzz/corpus: copy the
# interesting ones there by hand. A crash, a broken invariant, a timeout or an out-of-memory stops the
# run, prints the reproducer's path and makes this script exit 1.
#
# Environment: FUZZ_BUILD_DIR (default .build-fuzz), FUZZ_JOBS (swiftc threads, default 2),
# FUZZ_ARGS (extra libFuzzer flags), FUZZ_KEEP_CORPUS=DIR (where new corpus entries go),
# FUZZ_REV=COMMIT (fuzz Sources/Shared as committed there instead of the work tree).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${FUZZ_BUILD_DIR:-$ROOT/.build-fuzz}
JOBS=${FUZZ_JOBS:-2}
TARGETS=(http sync csv roster template)
export SWIFT_BACKTRACE=enable=no
# Swift's runtime keeps some allocations for the life of the process: leak reports would be noise.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

find_swiftc() {
    if command -v swiftc >/dev/null 2>&1; then command -v swiftc
    elif [ -x /opt/swift/usr/bin/swiftc ]; then echo /opt/swift/usr/bin/swiftc
    else echo "fuzz.sh: swiftc not found (put the Swift toolchain on PATH)" >&2; exit 2
    fi
}
SWIFTC=$(find_swiftc)

# Same language settings as Package.swift's `strict` list.
SWIFT_FLAGS=(-swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility
    -O -sanitize=fuzzer,address -parse-as-library -I "$ROOT/Sources/CSQLite")

sources_hash() {
    { "$SWIFTC" --version 2>&1; printf '%s\n' "${SWIFT_FLAGS[@]}"; cat "$@"; } | sha256sum | cut -d' ' -f1
}

# Sources/Shared of the work tree, or of commit FUZZ_REV when set (so a long run is not disturbed by
# edits in progress, and says which commit it fuzzed); the shim always comes from the work tree.
shared_sources() {
    local tree=$ROOT
    if [ -n "${FUZZ_REV:-}" ]; then
        local commit
        commit=$(git -C "$ROOT" rev-parse --verify "$FUZZ_REV^{commit}")
        tree="$OUT/src/$commit"
        if [ ! -d "$tree/Sources/Shared" ]; then
            mkdir -p "$tree"
            git -C "$ROOT" archive "$commit" Sources/Shared | tar -x -C "$tree"
        fi
    fi
    find "$tree/Sources/Shared" "$ROOT/Tests/Fuzz/SharedShim" -name '*.swift' | LC_ALL=C sort
}

# Module Shared as a static library with fuzzer coverage and ASan, built with testing enabled so
# targets can reach internal entry points through `@testable import`.
build_shared() {
    local stamp="$OUT/shared/stamp" hash
    mkdir -p "$OUT/shared"
    mapfile -t sources < <(shared_sources)
    hash=$(sources_hash "${sources[@]}")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -f "$OUT/shared/libShared.a" ]; then return; fi
    echo "fuzz.sh: building module Shared (${#sources[@]} files) into $OUT/shared" >&2
    rm -f "$stamp"
    (cd "$OUT/shared" && "$SWIFTC" "${SWIFT_FLAGS[@]}" -enable-testing -module-name Shared \
        -emit-library -static -emit-module -emit-module-path "$OUT/shared/Shared.swiftmodule" \
        -wmo -num-threads "$JOBS" -o "$OUT/shared/libShared.a" "${sources[@]}")
    echo "$hash" >"$stamp"
}

build_target() {
    local target=$1 source="$ROOT/Tests/Fuzz/Targets/$1.swift" binary="$OUT/fuzz-$1" stamp="$OUT/fuzz-$1.stamp" hash
    [ -f "$source" ] || { echo "fuzz.sh: unknown target '$target' (targets: ${TARGETS[*]})" >&2; exit 2; }
    build_shared
    mapfile -t support < <(find "$ROOT/Tests/Fuzz/Support" -name '*.swift' | LC_ALL=C sort)
    hash=$(sources_hash "$source" "${support[@]}" "$OUT/shared/stamp")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -x "$binary" ]; then return; fi
    echo "fuzz.sh: building target $target" >&2
    rm -f "$stamp"
    "$SWIFTC" "${SWIFT_FLAGS[@]}" -module-name "Fuzz_$target" -I "$OUT/shared" \
        -use-ld=lld "$source" "${support[@]}" "$OUT/shared/libShared.a" -lsqlite3 -o "$binary"
    echo "$hash" >"$stamp"
}

# Builds under a lock, so two fuzz.sh started together do not write the same files.
build() {
    mkdir -p "$OUT"
    (
        flock 9
        for target in "$@"; do build_target "$target"; done
    ) 9>"$OUT/build.lock"
}

# Fuzzes one target; prints the figures; returns 1 on a finding.
run_target() {
    local target=$1 seconds=$2 corpus="$ROOT/Tests/Fuzz/corpus/$1" log work status
    local artifacts="$OUT/artifacts/$target"
    mkdir -p "$artifacts"
    work=${FUZZ_KEEP_CORPUS:-$(mktemp -d "${TMPDIR:-/tmp}/grille-fuzz-$target.XXXXXX")}
    mkdir -p "$work"
    log="$artifacts/run-$(date +%Y%m%d-%H%M%S)-$$.log"
    echo "fuzz.sh: $target for ${seconds}s, seeds $corpus, new corpus entries in $work" >&2
    local dictionary="$ROOT/Tests/Fuzz/dict/$target.dict" dict_flag=()
    [ "$target" = roster ] && dictionary="$ROOT/Tests/Fuzz/dict/csv.dict"
    [ -f "$dictionary" ] && dict_flag=(-dict="$dictionary")
    status=0
    # -timeout: one input taking 10 s is a hang worth reporting (a parser must be linear).
    # shellcheck disable=SC2086
    "$OUT/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "${dict_flag[@]}" \
        -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$work" "$corpus" >"$log" 2>&1 || status=$?
    local execs cov ft corp
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
    corp=$(grep -Eo 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2 || true)
    echo "$target: ${seconds}s, execs ${execs:-?}, cov ${cov:-?} edges, ft ${ft:-?} features, corpus ${corp:-?} (log $log)"
    if [ "$status" -ne 0 ]; then
        local reproducer
        reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        grep -E 'ERROR: (libFuzzer|AddressSanitizer)|Fatal error|fuzz invariant|SUMMARY' "$log" | head -5 >&2 || true
        echo "$target: FAILED (libFuzzer exit $status); reproducer: ${reproducer:-none written, see $log}" >&2
        echo "  reproduce with: scripts/fuzz.sh $target ${reproducer:-FILE}" >&2
        return 1
    fi
}

# The whole command is one function called on the last line, so editing this file while it runs
# (a long fuzzing session) does not change what the running copy does next.
main() {
    [ $# -ge 1 ] || usage
    case $1 in
    list)
        printf '%s\n' "${TARGETS[@]}"
        ;;
    build)
        shift
        if [ $# -eq 0 ]; then build "${TARGETS[@]}"; else build "$@"; fi
        ;;
    all)
        [ $# -eq 2 ] || usage
        build "${TARGETS[@]}"
        failed=()
        for target in "${TARGETS[@]}"; do
            run_target "$target" "$2" || failed+=("$target")
        done
        if [ ${#failed[@]} -gt 0 ]; then
            echo "fuzz.sh: findings in ${failed[*]}" >&2
            exit 1
        fi
        ;;
    *)
        [ $# -ge 2 ] || usage
        target=$1
        shift
        build "$target"
        if [[ $# -eq 1 && $1 =~ ^[0-9]+$ ]]; then
            run_target "$target" "$1" || exit 1
        else
            # Reproduce: run the inputs once each, without fuzzing.
            "$OUT/fuzz-$target" -runs=1 "$@"
        fi
        ;;
    esac
}

main "$@"; exit
