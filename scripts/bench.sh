#!/usr/bin/env bash
# `make bench`: trains on ml-100k with the default settings and prints the wall time, the peak
# memory and the test metrics of tastebud against the baselines (from metrics.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# GNU time reports peak memory; not every machine has it.
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }
out="$root/.cache/bench/ml-100k"
mkdir -p "$out"
cargo build --release -q -p tastebud-train
/usr/bin/time -f "%e %M" -o "$out/time.txt" \
  target/release/tastebud-train fit --format recbole --data .cache/ml-100k --out "$out" > "$out/log.txt"
read -r seconds kb < "$out/time.txt"
python3 - "$out/metrics.json" "$seconds" "$kb" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
seconds, kb = float(sys.argv[2]), int(sys.argv[3])
print(f"ml-100k fit: {seconds:.0f} s wall (bar: < 180 s), peak memory {kb/1024:.0f} MiB, {m['params']} parameters")
best = max(v["ndcg@10"] for b, v in m["models"].items() if b in ("pop", "itemknn", "markov", "recent"))
for name, v in m["models"].items():
    print(f"  {name:<22} ndcg@10 {v['ndcg@10']:.4f}  hr@10 {v['hr@10']:.4f}  mrr@10 {v['mrr@10']:.4f}")
t = m['models']['tastebud']['ndcg@10']
print(f"tastebud ndcg@10 {t:.4f} (bar: >= 0.116, 1.05x a textbook SASRec's 0.110) = {t / best:.2f}x best baseline")
PY
if [[ -f model/metrics.json ]]; then
  python3 - model/metrics.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
best = max(v["ndcg@10"] for b, v in m["models"].items() if b in ("pop", "itemknn", "markov", "recent"))
print(f"default model (Online Retail, from `make model`): trained in {m['train_seconds']:.0f} s; "
      f"ndcg@10 {m['models']['tastebud']['ndcg@10']:.4f} = {m['models']['tastebud']['ndcg@10'] / best:.3f}x best baseline (bar: >= 1.08x)")
PY
fi
# A page's clicks through the default model, on real OTTO sessions (issue bar: a lower mean rank
# of the ordered items with the clicks than without them).
cargo run --release -q -p tastebud-train --example otto_replay | tail -n 1 | sed 's/$/ (bar: lower with the clicks)/'
