//! ## What it does
//!
//! Flags a `file` resource on an executable path that will be an empty file:
//! `ensure => file` or `present` with neither `content` nor `source`, or
//! `content => ''` (directly, or through a variable whose known value is `''`). Resource
//! defaults and collector overrides that supply content are taken into account.
//!
//! An executable path is one under a `bin`, `sbin` or `libexec` directory (configurable
//! with `executable_dirs`), one declared with an execute bit in `mode`, or one a service
//! runs.
//!
//! ## Why is this bad?
//!
//! On a host where the file does not exist yet, Puppet creates a 0-byte file with the
//! given mode. If the path is currently a symlink (an alternatives link, a link to a
//! packaged binary), the link is replaced by that empty file. `content => ''` truncates
//! an existing binary while keeping its mode. systemd then fails to start the service
//! (`203/EXEC`, "Exec format error"), while a shell that runs the file treats it as an
//! empty script and exits 0, so wrappers "succeed" doing nothing.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => file,
//!   owner  => 'kubernetes',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Use instead
//!
//! Give the file its content, or manage only what you mean to manage:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => file,
//!   source => 'puppet:///modules/k8s/kube-apiserver',
//!   owner  => 'kubernetes',
//!   mode   => '0755',
//! }
//! ```
//!
//! To manage only the mode of a binary a package installs, order the file after the
//! package (`require => Package['kubernetes-master']`) so it never creates the file.
//!
//! ## Exceptions
//!
//! Resources that only adjust the owner or mode of a binary a package always installs
//! first. Still risky on hosts missing the package: keep the ordering edge and suppress
//! with that reason.
//!
//! ## References
//!
//! - Puppet `file` type, `ensure => file` with neither `content` nor `source` creates an
//!   empty file (verified on Puppet 7.23).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
