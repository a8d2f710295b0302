//! ## What it does
//!
//! Flags a link the change declares from A to B when the base revision had the opposite
//! arrangement: a link from B to A, or a real file at A that B pointed to.
//!
//! ## Why is this bad?
//!
//! The path that held the real binary becomes a pointer to the path that used to be the
//! pointer. On hosts where the old link still exists the two links form a loop and every
//! exec through them fails with `ELOOP`. Elsewhere the real binary is deleted (no backup
//! by default from Puppet 7) and replaced by a link to whatever leftover sits at the other
//! path. A service restarted afterwards runs the wrong file or nothing.
//!
//! ## Example
//!
//! ```puppet
//! # base revision
//! file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' }
//!
//! # this change
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! ```
//!
//! ## Use instead
//!
//! Migrate in two steps: first remove the old link explicitly and install the real file
//! at its new place, then add the new link once every host has converged.
//!
//! ```puppet
//! file { '/usr/local/bin/foo':
//!   ensure => file,
//!   source => 'puppet:///modules/foo/foo',
//!   mode   => '0755',
//! }
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! ```
//!
//! ## Exceptions
//!
//! A deliberate migration in which the old link resource is made `absent` in the same
//! change and ordered before the new link.
//!
//! ## References
//!
//! - Puppet `file` type: `ensure => link` replaces a regular file; links are never
//!   backed up.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
