#!/usr/bin/env bash
# `make pkg`: builds the npm package into pkg/ — the optimised .wasm (with the default model
# embedded), wasm-bindgen's JavaScript glue and types, the entry points for browsers, Node and
# edge workers, the README and the training data's licence. `npm pack pkg/` packs it. Beside the
# default .wasm (`tastebud`) it builds a second one with the `gpu` feature (`tastebud_gpu`: the
# same code plus `rankCatalogAsync` and `backend()` on WebGPU), for the browser entry
# `tastebud/gpu`; the default one does not change for it.
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
mkdir -p "$out" target/pkg
find "$out" -mindepth 1 ! -name .gitkeep -delete

# One .wasm and its glue: `wasm NAME [CARGO FEATURE FLAGS…]` writes NAME.js, NAME.d.ts and
# NAME_bg.wasm into $out.
wasm() {
  local name="$1"
  shift
  cargo build --profile wasm -q -p tastebud-wasm --target wasm32-unknown-unknown "$@"
  # wasm-opt runs before wasm-bindgen: Debian's binaryen (108) reads wasm-bindgen's externref
  # table as a funcref table, which breaks the glue, and it predates some features on by
  # default in rustc's wasm32 output, so they are named.
  wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    target/wasm32-unknown-unknown/wasm/tastebud_wasm.wasm -o "target/pkg/${name}_opt.wasm"
  wasm-bindgen --target web --weak-refs --out-name "$name" --out-dir "$out" "target/pkg/${name}_opt.wasm"
}
wasm tastebud "${features[@]}"
wasm tastebud_gpu "${features[@]}" --features gpu

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
size() { echo "$(wc -c < "$1") bytes of wasm ($(gzip -9c "$1" | wc -c) gzipped)"; }
echo "$out/: tastebud $version, $(size "$out/tastebud_bg.wasm")"
echo "$out/: tastebud/gpu, $(size "$out/tastebud_gpu_bg.wasm")"
