//! ## What it does
//!
//! Flags a change that replaces something at an executable path (content change, `ensure`
//! type change such as file to link, link re-pointed) while the effective `backup` of the
//! `file` resource is off. The effective value is the explicit attribute, else a
//! `File { backup => … }` default in scope, else the Puppet version default:
//! `puppet` (local clientbucket) before Puppet 7, `false` from Puppet 7 (configure the
//! version with `puppet_version`).
//!
//! ## Why is this bad?
//!
//! Whatever Puppet deletes or overwrites at that path is gone, with no clientbucket copy
//! to restore from. In December 2016 the clientbucket was the only way one of the
//! overwritten Kubernetes binaries was recovered. Links are never backed up in any
//! version, so the previous link target is recorded only in the run report.
//!
//! ## Example
//!
//! ```puppet
//! File { backup => false }
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/opt/k8s/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/opt/k8s/bin/kube-apiserver',
//!   backup => 'puppet',
//! }
//! ```
//!
//! or set `File { backup => 'puppet' }` (or a remote `filebucket`) at top scope.
//!
//! ## Exceptions
//!
//! Binaries that can be rebuilt exactly: deployed from the repository
//! (`source => 'puppet:///…'`) or from a pinned package version.
//!
//! ## References
//!
//! - Puppet `file` type, `backup` attribute; PUP-9407 (default `false` from Puppet 7).
//! - `puppet filebucket` (restoring from the clientbucket).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
