#!/bin/sh
# Fetch the Debian puppet-module corpus: every package named puppet-module-* that
# `apt-cache search` knows (94 at the time of writing, about 2,040 manifests), downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x` into DIR.
#
# usage: scripts/fetch-corpus.sh DIR [NAME-REGEX]
#   DIR         where to unpack (packages are kept in DIR/.debs); created if missing
#   NAME-REGEX  package-name pattern for apt-cache (default '^puppet-module-')
#
# Idempotent: packages already downloaded or unpacked are skipped, so a second run does
# no network access. Needs apt package lists (run `apt-get update` first on a fresh system)
# and dpkg-deb; no root is needed (apt-get download writes to the current directory).
# Then: PREFLIGHT_CORPUS=DIR cargo test   (the corpus checks run too)
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 DIR [NAME-REGEX]" >&2
    exit 2
fi
dir=$1
pattern=${2:-'^puppet-module-'}
command -v apt-cache >/dev/null 2>&1 || { echo "$0: apt-cache not found (Debian/Ubuntu needed)" >&2; exit 2; }
command -v dpkg-deb >/dev/null 2>&1 || { echo "$0: dpkg-deb not found" >&2; exit 2; }

mkdir -p "$dir/.debs"
dir=$(cd "$dir" && pwd)
pkgs=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort)
if [ -z "$pkgs" ]; then
    echo "$0: apt-cache knows no package matching '$pattern' (run apt-get update?)" >&2
    exit 2
fi

cd "$dir/.debs"
fetched=0
for p in $pkgs; do
    if ! ls "${p}"_*.deb >/dev/null 2>&1; then
        apt-get download -q "$p" >/dev/null
        fetched=$((fetched + 1))
    fi
done
unpacked=0
for deb in *.deb; do
    stamp=".$deb.unpacked"
    if [ ! -e "$stamp" ]; then
        dpkg-deb -x "$deb" "$dir"
        touch "$stamp"
        unpacked=$((unpacked + 1))
    fi
done
count=$(find "$dir" -name '*.pp' -type f | wc -l)
echo "$(echo "$pkgs" | wc -l) packages ($fetched downloaded, $unpacked unpacked now); $count .pp files under $dir"
