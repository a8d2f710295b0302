//! ## What it does
//!
//! Flags a resource reference used in a relationship or metaparameter
//! (`require => File['/x']`, `Service['y'] ~> …`, `Class['z']`) that names a resource or
//! class declared nowhere in the repository, nor in `external_modules`.
//!
//! ## Why is this bad?
//!
//! Puppet cannot build the relationship graph and the catalog fails to compile ("Could
//! not find resource … for relationship"), so nothing is applied on any node that
//! evaluates the reference.
//!
//! ## Example
//!
//! ```puppet
//! service { 'kube-scheduler':
//!   ensure  => running,
//!   require => File['/usr/bin/kube-schedular'],   # typo
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! service { 'kube-scheduler':
//!   ensure  => running,
//!   require => File['/usr/bin/kube-scheduler'],
//! }
//! ```
//!
//! ## Exceptions
//!
//! Resources declared by modules outside the repository: list the modules in
//! `external_modules`.
//!
//! ## References
//!
//! - Puppet language: relationships and ordering; resource references.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
