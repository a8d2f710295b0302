//! ## What it does
//!
//! Flags a link the change adds or re-points whose target nothing in the repository
//! manages: no `file` resource with content, source or checksum, no package hint from the
//! configuration's `package_paths`, no `exec` whose `creates` is that path, and no
//! externally managed prefix (`external_prefixes`). Chains are resolved first (a link to
//! a directory that is itself a link), and the last hop is judged. A target that is only
//! partly known (`/opt/${app}/bin/x`) is matched against the repository's files and the
//! message says the match was inferred; a fully unknown target is not reported.
//!
//! ## Why is this bad?
//!
//! Puppet creates a link to a missing path without any warning. When the target does
//! exist on a host, nothing says what it holds: a stale leftover, a truncated download, a
//! hand-copied build. Everything that runs through the link (a service's `ExecStart`, a
//! cron job) inherits that uncertainty, and a later restart runs it.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',   # nothing manages this path
//! }
//! ```
//!
//! ## Use instead
//!
//! Manage the target in the same change, or point the link at something that is
//! managed:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-scheduler':
//!   ensure => file,
//!   source => 'puppet:///modules/k8s/kube-scheduler',
//!   mode   => '0755',
//! }
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Targets another tool deploys on purpose (scap or git-deploy trees under
//! `/srv/deployment`, container runtimes). Add their prefix to `external_prefixes` in the
//! configuration rather than suppressing each link.
//!
//! ## References
//!
//! - Puppet `file` type, `ensure => link` and `target`: dangling links are created
//!   silently.
//! - The `file` type autorequires its `target` only when the target is in the catalog.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
