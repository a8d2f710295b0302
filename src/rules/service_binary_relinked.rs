//! ## What it does
//!
//! Flags a service that this change restarts (a `notify`/`subscribe`/`~>` edge from
//! something the change modifies, a unit file change, or `ensure => running` on a new
//! service) when the executable it runs, after following links, is re-pointed, removed
//! or replaced by the same change.
//!
//! ## Why is this bad?
//!
//! Two moving parts are activated by one restart. If the new link is missing, reversed
//! or points at a stale file, the service goes down the moment Puppet restarts it, and
//! the order in which Puppet applies the link and the restart is not guaranteed without
//! an explicit edge. A revert of the change restarts the service once more onto the old
//! path.
//!
//! ## Example
//!
//! ```puppet
//! # the unit template changes ExecStart=/usr/local/bin/foo -> ExecStart=/usr/bin/foo
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! file { '/lib/systemd/system/foo.service':
//!   content => template('foo/foo.service.erb'),
//!   notify  => Service['foo'],
//! }
//! service { 'foo': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! Change the binary first and the service definition in a later change, or order the
//! binary before the service and validate it:
//!
//! ```puppet
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! -> exec { 'foo-version-check': command => '/usr/bin/foo --version', refreshonly => true }
//! ~> service { 'foo': ensure => running }
//! ```
//!
//! ## Exceptions
//!
//! Upgrades that are guarded by a validation step (`validate_cmd`, a version-check exec)
//! ordered between the binary and the service.
//!
//! ## References
//!
//! - Puppet relationships and refresh events (`notify`, `subscribe`, `~>`).
//! - systemd: `Type=simple` reports a successful restart even when the binary cannot run.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
