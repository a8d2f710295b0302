#!/bin/sh
# Build the model of the Debian puppet-module corpus (modules side by side as one
# repository) and a one-file change on it, in release mode; print counts and timings.
#
#   scripts/bench-model.sh [CORPUS_DIR]
#
# CORPUS_DIR: the directory scripts/fetch-corpus.sh filled, or its
# usr/share/puppet/modules.available (default: $PREFLIGHT_CORPUS).
set -eu
dir="${1:-${PREFLIGHT_CORPUS:-}}"
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "usage: $0 CORPUS_DIR   (or set PREFLIGHT_CORPUS; fill it with scripts/fetch-corpus.sh)" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
PREFLIGHT_CORPUS="$dir" cargo test --release --quiet --test model_corpus \
    corpus_evaluates_without_panics -- --nocapture --test-threads=1 2>&1 \
    | grep -E '^(corpus|phases|one-file|  restarts)'
