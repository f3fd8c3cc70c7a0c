#!/usr/bin/env bash
# `make pkg`: builds the npm package into pkg/ — the optimised .wasm (with the default model
# embedded), wasm-bindgen's JavaScript glue and types, the entry points for browsers, Node and
# edge workers, the README and the training data's licence. `npm pack pkg/` packs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cargo build --profile wasm -q -p tastebud-wasm --target wasm32-unknown-unknown
find pkg -mindepth 1 ! -name .gitkeep -delete
mkdir -p target/pkg
# wasm-opt runs before wasm-bindgen: Debian's binaryen (108) reads wasm-bindgen's externref
# table as a funcref table, which breaks the glue, and it predates some features on by
# default in rustc's wasm32 output, so they are named.
wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  target/wasm32-unknown-unknown/wasm/tastebud_wasm.wasm -o target/pkg/tastebud_opt.wasm
wasm-bindgen --target web --weak-refs --out-name tastebud --out-dir pkg target/pkg/tastebud_opt.wasm
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
