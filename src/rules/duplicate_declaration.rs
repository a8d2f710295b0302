//! ## What it does
//!
//! Flags two declarations of the same resource, the same type and normalised title or
//! path, that can end up in one catalog: not in exclusive branches of the same condition.
//! Paths are compared after removing a trailing `/` and collapsing `//`. Declarations
//! through `ensure_resource` / `ensure_packages` count, when their parameters differ from
//! the other declaration.
//!
//! ## Why is this bad?
//!
//! A duplicate declaration is a compile error ("Duplicate declaration", or "Cannot alias"
//! for two titles with the same path): every node that includes both classes gets no
//! catalog at all. `ensure_resource` with different parameters fails the same way, and
//! with a subset of parameters it silently takes the attributes of whichever declaration
//! was evaluated first.
//!
//! ## Example
//!
//! ```puppet
//! class k8s::apiserver {
//!   file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }
//! }
//! class profile::k8s {
//!   file { '/usr/bin/kube-apiserver/': ensure => file }   # same path
//! }
//! ```
//!
//! ## Use instead
//!
//! Declare the resource once, in the class that owns it, and have the others depend on
//! that class:
//!
//! ```puppet
//! class profile::k8s {
//!   require k8s::apiserver
//! }
//! ```
//!
//! ## Exceptions
//!
//! Classes that can never be included on the same node (different roles or operating
//! systems) when the tool cannot see it. Suppress with the reason.
//!
//! ## References
//!
//! - Puppet language: resource uniqueness (title and `namevar`/path aliases).
//! - stdlib `ensure_resource`, `ensure_packages`.

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
