//! ## What it does
//!
//! Checks every file the manifests of the change read from the repository, at the head
//! revision:
//!
//! - `source => 'puppet:///modules/M/F'` must exist as `M/files/F` in a modulepath entry;
//! - `template('M/T')` and `epp('M/T')` must exist as `M/templates/T`;
//! - `file('M/F')` must exist as `M/files/F`.
//!
//! Matching is case-sensitive, across every modulepath entry (from the configuration,
//! else `environment.conf`, else `modules`). Sources on other mount points
//! (`puppet:///private/…`, `puppet:///volatile/…`) and modules listed in
//! `external_modules` cannot be checked; they are reported as unverifiable (`info`) only
//! with `--strict`, never as missing.
//!
//! ## Why is this bad?
//!
//! A missing `template()`, `epp()` or `file()` is a compile error: the whole catalog
//! fails on every node that evaluates it. A missing `source` fails only that resource, at
//! apply time, even under `--noop`; everything that requires or subscribes to it is
//! skipped and unrelated resources still apply, so the change lands half-applied. In an
//! array of sources the first one that exists wins, so a typo in the first entry silently
//! falls back to the next.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/deploy-master':
//!   source => 'puppet:///modules/role/toollabs/deploy-master.sh',  # the file is .bash
//!   mode   => '0555',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/deploy-master':
//!   source => 'puppet:///modules/role/toollabs/deploy-master.bash',
//!   mode   => '0555',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Files generated on the Puppet server at deploy time, and modules kept in a private
//! repository: list those modules in `external_modules` instead of suppressing.
//!
//! ## References
//!
//! - Puppet file serving: `puppet:///modules/<module>/<file>` maps to
//!   `<modulepath>/<module>/files/<file>`.
//! - Puppet functions `template`, `epp` and `file` (module-relative paths).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
