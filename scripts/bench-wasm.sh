#!/usr/bin/env bash
# `make bench`, the package part: builds the package once more without the embedded model (to
# measure the code alone), then times cold start, record and rank in Node and headless Chromium
# (bindings/js/bench.mjs), and what careless calls cost (bindings/js/bench/costs.mjs). Expects
# pkg/ and the catalog built (`make pkg catalog`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/pkg.sh --no-model target/pkg/nomodel
cp target/pkg/nomodel/tastebud_bg.wasm target/pkg/tastebud_nomodel.wasm
node bindings/js/bench.mjs
node bindings/js/bench/costs.mjs
