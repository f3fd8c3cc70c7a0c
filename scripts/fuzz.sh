#!/usr/bin/env bash
# Fuzzing of every byte and text entry point with cargo-fuzz (libFuzzer); the targets are in
# fuzz/fuzz_targets/, each saying what it checks.
#
#   scripts/fuzz.sh smoke               every target briefly: about a minute in all
#   scripts/fuzz.sh campaign N          N executions per target, one target at a time, then a
#                                       table of executions, seconds, exec/s and crashes
#   scripts/fuzz.sh regressions         every reproducer in fuzz/regressions/<target>/, once
#   scripts/fuzz.sh run TARGET [ARG…]   one target, libFuzzer's ARGs passed through
#   scripts/fuzz.sh cmin                minimise the committed seed corpus (fuzz/corpus/)
#
# FUZZ_TARGETS="a b" picks targets; FUZZ_MAX_TIME caps a campaign target's seconds (default
# 7200); FUZZ_BUILD_FLAGS="-a" builds with debug assertions and overflow checks (default: as
# released, where integer overflow wraps rather than traps). No sanitizer by default: the
# natively built core has no unsafe code, and panics are what the targets look for.
#
# A new corpus grows in fuzz/target/corpus/<target>/ (not committed), seeded from
# fuzz/corpus/<target>/; a crash's input lands in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Nightly if it builds; otherwise stable told to accept nightly flags.
FUZZ=(cargo +nightly fuzz)
build_flags=(--sanitizer "${FUZZ_SANITIZER:-none}" ${FUZZ_BUILD_FLAGS:-})
build() {
    if ! "${FUZZ[@]}" build "${build_flags[@]}" "$@"; then
        echo "fuzz: nightly build failed; trying stable with RUSTC_BOOTSTRAP=1" >&2
        export RUSTC_BOOTSTRAP=1
        FUZZ=(cargo fuzz)
        "${FUZZ[@]}" build "${build_flags[@]}" "$@"
    fi
}

targets() {
    if [[ -n "${FUZZ_TARGETS:-}" ]]; then
        echo "$FUZZ_TARGETS"
    else
        "${FUZZ[@]}" list
    fi
}

# The working corpus of a target: new inputs go there; the committed seeds are read too.
corpus() {
    local dir=fuzz/target/corpus/$1
    mkdir -p "$dir" "fuzz/corpus/$1"
    # The default model is too big to commit as a seed; it is one already.
    if [[ $1 == model_bytes && ! -e $dir/default-model ]]; then
        cp model/model.safetensors "$dir/default-model"
    fi
    echo "$dir fuzz/corpus/$1"
}

# Runs a target with libFuzzer arguments; its log goes to fuzz/target/logs/<target>.log.
fuzz_run() {
    local target=$1
    shift
    mkdir -p fuzz/target/logs "fuzz/artifacts/$target"
    local dict=()
    if [[ $target == *_json || $target == model_header ]]; then
        dict=(-dict="$PWD/fuzz/dict/json.dict")
    fi
    # shellcheck disable=SC2046
    nice -n 10 "${FUZZ[@]}" run "${build_flags[@]}" "$target" $(corpus "$target") -- \
        -print_final_stats=1 "${dict[@]}" "$@" 2>&1 | tee "fuzz/target/logs/$target.log" |
        grep --line-buffered -E 'panicked|Done|ERROR|SUMMARY|Test unit written' || true
    return "${PIPESTATUS[0]}"
}

stat() { sed -n "s/^stat::$1: *//p" "fuzz/target/logs/$2.log" | tail -1; }

case "${1:-}" in
smoke)
    build
    read -ra all <<<"$(targets | tr '\n' ' ')"
    seconds=$(((60 + ${#all[@]} - 1) / ${#all[@]}))
    for t in "${all[@]}"; do
        echo "fuzz: $t for ${seconds}s"
        fuzz_run "$t" -max_total_time="$seconds"
    done
    ;;
campaign)
    runs=${2:?usage: scripts/fuzz.sh campaign N}
    build
    rows=()
    for t in $(targets); do
        echo "fuzz: $t, $runs executions (at most ${FUZZ_MAX_TIME:-7200}s)"
        start=$(date +%s.%N)
        status=0
        fuzz_run "$t" -runs="$runs" -max_total_time="${FUZZ_MAX_TIME:-7200}" || status=$?
        end=$(date +%s.%N)
        execs=$(stat number_of_executed_units "$t")
        crashes=$([[ $status == 0 ]] && echo 0 || echo "1 (exit $status, see fuzz/artifacts/$t)")
        rows+=("$(awk -v t="$t" -v n="${execs:-0}" -v s="$start" -v e="$end" -v c="$crashes" \
            'BEGIN { d = e - s; printf "%-20s %12d %9.0f %9.0f  %s", t, n, d, n / d, c }')")
    done
    printf '%-20s %12s %9s %9s  %s\n' target executions seconds exec/s crashes
    printf '%s\n' "${rows[@]}"
    ;;
regressions)
    build
    failed=0
    for t in $(targets); do
        dir=fuzz/regressions/$t
        [[ -d $dir ]] && [[ -n "$(ls "$dir")" ]] || continue
        for f in "$dir"/*; do
            if "${FUZZ[@]}" run "${build_flags[@]}" "$t" "$f" >/dev/null 2>&1; then
                echo "pass  $f"
            else
                echo "FAIL  $f"
                failed=1
            fi
        done
    done
    exit "$failed"
    ;;
run)
    target=${2:?usage: scripts/fuzz.sh run TARGET [libFuzzer args]}
    shift 2
    build
    fuzz_run "$target" "$@"
    ;;
cmin)
    build
    for t in $(targets); do
        [[ $t == model_bytes ]] && continue
        "${FUZZ[@]}" cmin "${build_flags[@]}" "$t" "fuzz/corpus/$t"
    done
    ;;
*)
    sed -n '2,19s/^# \{0,1\}//p' "$0"
    exit 2
    ;;
esac
