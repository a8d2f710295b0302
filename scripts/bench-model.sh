#!/bin/sh
# Build the model of the Debian puppet-module corpus (modules side by side as one
# repository) and a one-file change on it, in release mode; print counts and timings.
#
#   scripts/bench-model.sh [MODULES_AVAILABLE_DIR]
#
# Default corpus: /work/corpus/raw/usr/share/puppet/modules.available
# (unpack with `apt-get download puppet-module-*` and `dpkg-deb -x`).
set -eu
dir="${1:-${PREFLIGHT_CORPUS:-/work/corpus/raw/usr/share/puppet/modules.available}}"
if [ ! -d "$dir" ]; then
    echo "bench-model: no corpus at $dir" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
PREFLIGHT_CORPUS="$dir" cargo test --release --quiet --test model_corpus \
    corpus_evaluates_without_panics -- --nocapture --test-threads=1 2>&1 \
    | grep -E '^(corpus|phases|one-file|  restarts)'
