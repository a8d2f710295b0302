//! ## What it does
//!
//! For each service the change restarts, follows the chain of resources that provide its
//! binary (the file or link at the path, the link's target, the package) and its
//! environment files, and flags the restart when one of them has no ordering edge
//! (`require`, `before`, `->`, `~>`, containment) to the service.
//!
//! ## Why is this bad?
//!
//! Services have no autorequire on their binary. Without an edge the restart may run
//! before the link, file or package is in place: on Puppet 3 resources without
//! relationships ran in title-hash order; from Puppet 4 they run in manifest order, which
//! changes with unrelated edits. An edge also protects the service: when the binary's
//! resource fails, Puppet skips the restart instead of restarting onto a broken file.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' }
//! file { '/lib/systemd/system/kube-scheduler.service':
//!   content => template('k8s/kube-scheduler.service.erb'),
//!   notify  => Service['kube-scheduler'],
//! }
//! service { 'kube-scheduler': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//!   before => Service['kube-scheduler'],
//! }
//! ```
//!
//! ## Exceptions
//!
//! Puppet 4 or later with the binary declared before the service in the same class works
//! by manifest order; suppress with that reason if you rely on it.
//!
//! ## References
//!
//! - Puppet relationships and ordering (`ordering` setting history: title-hash in 3.x,
//!   manifest order from 4.0).
//! - Puppet `service` type: no autorequire.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
