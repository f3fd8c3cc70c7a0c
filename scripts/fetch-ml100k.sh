#!/usr/bin/env bash
# Fetches MovieLens 100K in RecBole's atomic format (ml-100k.inter, ml-100k.item) into
# .cache/ml-100k/, taken from the recbole 1.2.1 wheel on PyPI, which ships it as an example.
#
# MovieLens 100K, GroupLens Research (F. Maxwell Harper and Joseph A. Konstan. 2015. The
# MovieLens Datasets: History and Context. ACM TiiS 5, 4). Research use only; redistribution
# is not permitted, so these files are never committed (.cache/ is gitignored).
#
# Usage: scripts/fetch-ml100k.sh        (idempotent: does nothing if the files are there)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/ml-100k"
if [[ -s "$dest/ml-100k.inter" && -s "$dest/ml-100k.item" ]]; then
    echo "ml-100k already in $dest"
    exit 0
fi

python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$python" -m pip download --quiet --no-deps --only-binary=:all: recbole==1.2.1 -d "$tmp"
wheel="$(find "$tmp" -maxdepth 1 -name 'recbole-1.2.1-*.whl' -print -quit)"
if [[ -z "$wheel" ]]; then
    echo "error: pip did not download the recbole 1.2.1 wheel" >&2
    exit 1
fi

# A wheel is a zip; unzip may be missing, Python's zipfile is always there.
mkdir -p "$dest"
"$python" - "$wheel" "$dest" <<'PY'
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "recbole/dataset_example/ml-100k/"
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = name[len(prefix):]
        if name.startswith(prefix) and base and "/" not in base:
            tmp = os.path.join(dest, base + ".part")
            with z.open(name) as src, open(tmp, "wb") as out:
                out.write(src.read())
            os.replace(tmp, os.path.join(dest, base))
            n += 1
if n == 0:
    sys.exit(f"error: {prefix} not found in {wheel}")
PY

for f in ml-100k.inter ml-100k.item; do
    if [[ ! -s "$dest/$f" ]]; then
        echo "error: $dest/$f is missing after extraction" >&2
        exit 1
    fi
done
echo "ml-100k written to $dest"
