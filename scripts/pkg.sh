#!/usr/bin/env bash
# `make pkg`: builds the npm package into pkg/ — the optimised .wasm (with the default model
# embedded), wasm-bindgen's JavaScript glue and types, the entry points for browsers, Node and
# edge workers, the README and the training data's licence. `npm pack pkg/` packs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cargo build --release -q -p tastebud-wasm --target wasm32-unknown-unknown
find pkg -mindepth 1 ! -name .gitkeep -delete
wasm-bindgen --target web --weak-refs --out-name tastebud --out-dir pkg \
  target/wasm32-unknown-unknown/release/tastebud_wasm.wasm
# Debian's binaryen (108) predates some features on by default in rustc's wasm32 output, so
# they are named; wasm-opt fails rather than mis-optimise if one is missing.
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/tastebud_bg.wasm -o pkg/tastebud_bg.wasm
cp bindings/npm/* pkg/
version="$(cargo metadata --no-deps --format-version 1 | python3 -c \
  'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "tastebud-wasm"))')"
python3 - "$version" <<'PY'
import json, sys
path = "pkg/package.json"
package = json.load(open(path))
package["version"] = sys.argv[1]
open(path, "w").write(json.dumps(package, indent=2) + "\n")
PY
echo "pkg/: tastebud $version, $(wc -c < pkg/tastebud_bg.wasm) bytes of wasm ($(gzip -9c pkg/tastebud_bg.wasm | wc -c) gzipped)"
