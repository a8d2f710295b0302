//! ## What it does
//!
//! Flags a service that is running or enabled in the head revision while the binary it
//! runs, the package that provides it, or its unit file is removed (`ensure => absent`
//! or `purged`, or a link on its path pointing at a removed file).
//!
//! ## Why is this bad?
//!
//! The next start or restart of the service fails. If the unit came from the removed
//! package, the unit file disappears too and `ensure => running` errors on every run.
//!
//! ## Example
//!
//! ```puppet
//! package { 'prometheus-node-exporter': ensure => absent }
//! service { 'prometheus-node-exporter':
//!   ensure => running,
//!   enable => true,
//! }
//! ```
//!
//! ## Use instead
//!
//! Stop and disable the service in the same change that removes its binary:
//!
//! ```puppet
//! service { 'prometheus-node-exporter':
//!   ensure => stopped,
//!   enable => false,
//! }
//! -> package { 'prometheus-node-exporter': ensure => absent }
//! ```
//!
//! ## Exceptions
//!
//! The binary is replaced by another provider in the same change (package removed, a
//! managed file added at the same path): the rule checks the resolved chain, not single
//! resources, so this should not be reported; suppress if it is.
//!
//! ## References
//!
//! - Puppet `service` and `package` types; `ensure => absent` / `purged`.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
