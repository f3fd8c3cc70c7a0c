#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, from registries only (nothing that
# downloads prebuilt binaries or browsers). Safe to run again: each step checks first.
set -euo pipefail

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done
