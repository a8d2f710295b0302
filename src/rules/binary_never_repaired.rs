//! ## What it does
//!
//! Flags `replace => false`, or `checksum => mtime` / `ctime`, on a `file` resource at an
//! executable path.
//!
//! ## Why is this bad?
//!
//! With `replace => false` Puppet considers the file in sync whenever anything exists at
//! the path, even a 0-byte file or a link. With `checksum => mtime` or `ctime` a local
//! file that is *newer* than the source counts as in sync, which is exactly what a binary
//! clobbered by a failed download looks like. Either way Puppet never repairs the broken
//! binary, and the service keeps failing until someone notices.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/agent':
//!   source  => 'puppet:///modules/agent/agent',
//!   mode    => '0755',
//!   replace => false,
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/agent':
//!   source => 'puppet:///modules/agent/agent',
//!   mode   => '0755',
//! }
//! ```
//!
//! The default checksum (sha256 on Puppet 7) compares content and repairs any change.
//!
//! ## Exceptions
//!
//! Seed files meant to be edited locally after the first run; those rarely live on an
//! executable path.
//!
//! ## References
//!
//! - Puppet `file` type: `replace`, `checksum`.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
