//! ## What it does
//!
//! Flags `include`, `require`, `contain` and resource-like `class { 'x': }` of a class
//! that exists in no module of the modulepath (nor in `external_modules`). A name that
//! looks like a package (`require('kubernetes-master')`) gets a hint that a package
//! function was probably meant.
//!
//! ## Why is this bad?
//!
//! The catalog fails to compile ("Could not find class") on every node that takes that
//! code path. Because the path is often behind a hiera flag, the nodes that break are
//! not the ones the author tested.
//!
//! ## Example
//!
//! ```puppet
//! if $use_package {
//!   require('kubernetes-master')   # a package name, not a class
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! if $use_package {
//!   ensure_packages(['kubernetes-master'])
//! }
//! ```
//!
//! ## Exceptions
//!
//! Classes from modules outside the repository (Puppetfile, private repository): list
//! them in `external_modules`.
//!
//! ## References
//!
//! - Puppet functions `include`, `require`, `contain`; class autoloading
//!   (`<module>/manifests/<name>.pp`).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
