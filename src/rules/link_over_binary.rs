//! ## What it does
//!
//! Flags a `file` resource that the change makes a symbolic link (`ensure => link`, or a
//! `target` with no `ensure`) at a path that holds, or is expected to hold, a real
//! executable. It is an error when the path:
//!
//! - is managed elsewhere in the repository as a regular file (`ensure => file`,
//!   `content`, `source`);
//! - was a managed regular file in the base revision;
//! - is the binary some `service` runs (its `binary`/`start`, the `ExecStart=` of a unit
//!   file the repository manages, or `service_binaries` in the configuration);
//! - is shipped by a package the repository declares, according to `package_paths`.
//!
//! It is a warning when the only evidence is the directory: a package-managed system
//! directory (`/usr/bin`, `/usr/sbin`, `/bin`, `/sbin`).
//!
//! ## Why is this bad?
//!
//! With the default `links => manage`, Puppet deletes whatever regular file is at the
//! path and puts the link in its place. From Puppet 7 the default `backup` is `false`, so
//! the binary is simply gone; before 7 it went to the local clientbucket. If a package
//! ships the path, the next package upgrade makes dpkg replace the link with its file
//! again, Puppet puts the link back on the following run, and every flip is a change
//! event that restarts the subscribed services. A conditional such as
//! `if $use_package { package } else { link }` hides the conflict until the flag flips
//! on some host.
//!
//! ## Example
//!
//! ```puppet
//! package { 'kubernetes-master': ensure => present }   # ships /usr/bin/kube-apiserver
//! file { '/usr/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! Let exactly one thing own the path. Either install the package and drop the link, or
//! put the locally built binary where the service expects it and manage it as a file:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => file,
//!   source => 'puppet:///modules/k8s/kube-apiserver',
//!   mode   => '0755',
//! }
//! ```
//!
//! A link in `/usr/local/bin` pointing at a binary the repository manages (for example
//! `/opt/tool/bin/tool`) is the normal way to expose a tool and is not flagged.
//!
//! ## Exceptions
//!
//! `dpkg-divert` or `update-alternatives` setups built to coexist with the package, where
//! the link is the intended owner of the path. Suppress on the resource with the reason.
//!
//! ## References
//!
//! - Puppet `file` type: `ensure`, `links`, `backup` (PUP-9407: `backup` defaults to
//!   `false` from Puppet 7).
//! - dpkg replaces a symlink with the regular file it ships.
//! - The Toolforge Kubernetes outage of December 2016 started with such links.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
