//! ## What it does
//!
//! Flags a `file` resource on an executable path (under a `bin`, `sbin` or `libexec`
//! directory, or run by a service) whose effective `mode` has no execute bit at all,
//! including a mode that comes from resource defaults.
//!
//! ## Why is this bad?
//!
//! `execve()` fails with `EACCES`; systemd reports `203/EXEC`. Nothing notices until the
//! service is next started or the script next run.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   source => 'puppet:///modules/tool/tool',
//!   mode   => '0644',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   source => 'puppet:///modules/tool/tool',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Data files that live in a `bin` directory but are never executed (completion
//! snippets, libraries sourced by a shell).
//!
//! ## References
//!
//! - Puppet `file` type, `mode` (octal and symbolic forms).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
