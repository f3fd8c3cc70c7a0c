#!/usr/bin/env bash
# `make bench-scale`: shows the trainer at catalog scale — a generated data set of 100k users
# and 100k items (JSONL, the generic format), then `fit` with sampled softmax, the baselines and
# the batched full-ranking evaluation. Prints wall time and peak memory of each step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# GNU time reports peak memory; not every machine has it.
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }
out="$root/.cache/bench/scale"
mkdir -p "$out"
cargo build --release -q -p tastebud-train
bin=target/release/tastebud-train
/usr/bin/time -f "%e %M" -o "$out/generate.time" "$bin" generate --users 100000 --items 100000 --out "$out/data"
/usr/bin/time -f "%e %M" -o "$out/fit.time" "$bin" fit --format jsonl --data "$out/data" --out "$out/model" \
  --epochs "${EPOCHS:-2}" > "$out/fit.log"
read -r gs gkb < "$out/generate.time"
read -r fs fkb < "$out/fit.time"
head -1 "$out/fit.log"
echo "generate: ${gs} s, peak $((gkb / 1024)) MiB"
echo "fit (load, baselines, ${EPOCHS:-2} epochs of sampled-softmax training, evaluation): ${fs} s, peak $((fkb / 1024)) MiB"
grep -E "^  (tastebud|pop|itemknn|markov)" "$out/fit.log" | tail -6
