//! ## What it does
//!
//! Follows the links the repository manages (including links to directories that are
//! parents of another link's path) and flags a change that makes them resolve into a
//! cycle.
//!
//! ## Why is this bad?
//!
//! Puppet creates each link of a cycle without complaint. Resolving any path on the
//! cycle then fails with `ELOOP` ("Too many levels of symbolic links"), so a service or
//! script that runs one of those paths cannot start.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/tool':          ensure => link, target => '/opt/tool/current/bin/tool' }
//! file { '/opt/tool/current':      ensure => link, target => '/opt/tool/releases/1.2' }
//! file { '/opt/tool/releases/1.2/bin/tool': ensure => link, target => '/usr/bin/tool' }
//! ```
//!
//! ## Use instead
//!
//! End every chain in a managed regular file:
//!
//! ```puppet
//! file { '/opt/tool/releases/1.2/bin/tool':
//!   ensure => file,
//!   source => 'puppet:///modules/tool/tool-1.2',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Exceptions
//!
//! None known; a cycle never resolves.
//!
//! ## References
//!
//! - Puppet `file` type, `ensure => link` (cycles are created without error, verified
//!   on Puppet 7.23).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
