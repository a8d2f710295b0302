//! ## What it does
//!
//! Reads the shell scripts the repository ships (`source`, `content => file()`/`template()`)
//! and `exec` commands that install binaries, and flags scripts that run without
//! `set -e` (or `set -o errexit`), and downloads that write straight to an executable
//! path with `wget -O` or with `curl -o` and no `-f`.
//!
//! ## Why is this bad?
//!
//! `wget -O target URL` truncates the target to 0 bytes before a failed download and
//! exits non-zero; without `set -e` the script carries on. `curl -o target URL` without
//! `-f` writes the server's error page into the target and exits 0. In both cases the
//! binary a service runs is destroyed in place, and the failure surfaces only at the next
//! restart.
//!
//! ## Example
//!
//! ```bash
//! #!/bin/bash
//! service kube-apiserver stop
//! wget -O /usr/local/bin/kube-apiserver "$URL/$VERSION/kube-apiserver"
//! service kube-apiserver start
//! ```
//!
//! ## Use instead
//!
//! ```bash
//! #!/bin/bash
//! set -euo pipefail
//! tmp=$(mktemp)
//! curl -fsSL -o "$tmp" "$URL/$VERSION/kube-apiserver"
//! echo "$SHA256  $tmp" | sha256sum -c -
//! install -m 0755 "$tmp" /usr/local/bin/kube-apiserver
//! ```
//!
//! Better still, let Puppet download it: `file { … source => 'https://…',
//! checksum => 'sha256', checksum_value => … }` writes atomically and verifies.
//!
//! ## Exceptions
//!
//! Scripts that download to a temporary file and move it into place, or that verify a
//! checksum before installing; these idioms are recognised, so a finding on them is a
//! bug worth reporting.
//!
//! ## References
//!
//! - `wget(1)` `-O`, `curl(1)` `-f`/`--fail`, `bash(1)` `set -e`.
//! - Puppet `file` type: `checksum_value`.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
