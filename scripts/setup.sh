#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, from registries only (nothing that
# downloads prebuilt binaries or browsers). Safe to run again: each step checks first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done

# wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' "$root/Cargo.lock")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
if [[ "$have" != "$want" ]]; then
  # Not --locked: a crate in the CLI's own lockfile (webpki-roots 1.0.11) has been yanked.
  cargo install wasm-bindgen-cli --version "$want"
fi

# Debian: wasm-opt (binaryen), headless Chromium and its driver for the browser tests, and
# Mesa's lavapipe (Vulkan on the CPU) with the Vulkan loader for the GPU scorer's tests.
missing=()
command -v wasm-opt >/dev/null || missing+=(binaryen)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
[[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]] || missing+=(mesa-vulkan-drivers libvulkan1)
if ((${#missing[@]})); then
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The JavaScript tests' packages at the versions of their lockfile: playwright-core (drives
# Debian's Chromium), typescript, workerd (ships its binary in an npm package). `npm install
# --no-save` rather than `npm ci`: the lockfile lists workerd's binaries for other platforms,
# which this machine's registry does not serve, and `npm ci` refuses a lockfile without them.
js="$root/bindings/js"
if [[ ! "$js/node_modules/.package-lock.json" -nt "$js/package-lock.json" ]]; then
  npm install --prefix "$js" --no-save --no-audit --no-fund
fi
