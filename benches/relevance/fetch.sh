#!/usr/bin/env bash
# Builds the relevance corpus: downloads the three Debian packages whose FAQ documents
# make it (perl-doc, python3.11-doc, debian-faq), extracts the FAQ files, and converts
# them into .cache/corpus.jsonl for `parley import`. Safe to run again: packages already
# downloaded are reused, the extraction and the corpus are rebuilt. Runs as root, with no
# standard input.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache"
packages=(perl-doc python3.11-doc debian-faq)
mkdir -p "$cache/debs"
exec </dev/null

missing=()
for p in "${packages[@]}"; do
    compgen -G "$cache/debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
    # apt-get download writes into the current directory; as root it warns that the
    # _apt user cannot write there, which is harmless.
    if ! (cd "$cache/debs" && apt-get download "${missing[@]}"); then
        echo "apt-get download failed; updating the package lists and trying again" >&2
        apt-get update
        (cd "$cache/debs" && apt-get download "${missing[@]}")
    fi
fi

root="$cache/root"
rm -rf "$root"
mkdir -p "$root"
# The files each package contributes, as tar patterns.
declare -A wanted=(
    [perl-doc]='usr/share/perl/*/pod/perlfaq*.pod'
    [python3.11-doc]='usr/share/doc/python3.11/html/_sources/faq/*.rst.txt'
    [debian-faq]='usr/share/doc/debian/FAQ/*.en.html'
)
for p in "${packages[@]}"; do
    deb="$(ls -1v "$cache/debs/${p}"_*.deb | tail -n 1)"
    echo "$p $(dpkg-deb -f "$deb" Version)"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --wildcards --no-anchored \
        "${wanted[$p]}" "usr/share/doc/$p/copyright"
done

python3 "$here/corpus.py" "$root" "$cache/corpus.jsonl"
