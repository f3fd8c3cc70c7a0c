#!/usr/bin/env bash
# `make pkg`: builds the npm package into pkg/ — the optimised .wasm (with the default model
# embedded), wasm-bindgen's JavaScript glue and types, the entry points for browsers, Node and
# edge workers, the README and the training data's licence. `npm pack pkg/` packs it.
#
# `scripts/pkg.sh --no-model DIR` builds the same package without the embedded model into DIR
# (the benchmark measures the code's size with it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out=pkg features=()
if [[ "${1:-}" == --no-model ]]; then
  out="${2:?usage: scripts/pkg.sh --no-model DIR}" features=(--no-default-features)
fi
cargo build --profile wasm -q -p tastebud-wasm --target wasm32-unknown-unknown "${features[@]}"
mkdir -p "$out" target/pkg
find "$out" -mindepth 1 ! -name .gitkeep -delete
# wasm-opt runs before wasm-bindgen: Debian's binaryen (108) reads wasm-bindgen's externref
# table as a funcref table, which breaks the glue, and it predates some features on by
# default in rustc's wasm32 output, so they are named.
wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  target/wasm32-unknown-unknown/wasm/tastebud_wasm.wasm -o target/pkg/tastebud_opt.wasm
wasm-bindgen --target web --weak-refs --out-name tastebud --out-dir "$out" target/pkg/tastebud_opt.wasm
cp bindings/npm/* "$out"/
version="$(cargo metadata --no-deps --format-version 1 | python3 -c \
  'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "tastebud-wasm"))')"
python3 - "$version" "$out" <<'PY'
import json, sys
path = sys.argv[2] + "/package.json"
package = json.load(open(path))
package["version"] = sys.argv[1]
open(path, "w").write(json.dumps(package, indent=2) + "\n")
PY
wasm="$out/tastebud_bg.wasm"
echo "$out/: tastebud $version, $(wc -c < "$wasm") bytes of wasm ($(gzip -9c "$wasm" | wc -c) gzipped)"
