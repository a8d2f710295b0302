//! ## What it does
//!
//! Flags a service whose executable (its `binary`/`start` attribute, the `ExecStart=` of
//! a unit file the repository manages, or `service_binaries` in the configuration) is an
//! absolute path that nothing in the repository provides: no `file`, no package hint, no
//! `exec creates`, no externally managed prefix. When a similarly named path is managed,
//! the message suggests it ("did you mean …"). It is an error when the change restarts
//! the service, a warning otherwise.
//!
//! ## Why is this bad?
//!
//! The service runs whatever happens to be at that path on each host: a hand-copied
//! build, a leftover from an older deployment, or nothing. A typo in the path looks
//! exactly the same until the next restart fails.
//!
//! ## Example
//!
//! ```puppet
//! file { '/lib/systemd/system/exporter.service':
//!   content => "[Service]\nExecStart=/usr/local/bin/exporterd\n",  # managed: /usr/local/bin/exporter
//!   notify  => Service['exporter'],
//! }
//! service { 'exporter': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! Point the unit at the managed binary, or manage the binary it runs:
//!
//! ```puppet
//! file { '/usr/local/bin/exporterd':
//!   ensure => file,
//!   source => 'puppet:///modules/exporter/exporterd',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Binaries installed by a package the repository does not know about: add the package's
//! paths to `package_paths`, or the service to `service_binaries`, in the configuration.
//!
//! ## References
//!
//! - systemd.service(5): `ExecStart=`.
//! - Puppet `service` type: `binary`, `start`.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
