//! ## What it does
//!
//! Flags attribute values a built-in type rejects, or treats as something the author
//! did not mean: an unknown `ensure` value, a `mode` that is neither octal nor symbolic,
//! a malformed `source` URL (`puppet://modules/…` with two slashes, a relative path), and
//! `${…}` inside a single-quoted string, which Puppet does not interpolate.
//!
//! ## Why is this bad?
//!
//! An invalid value fails the resource, or the whole catalog, at compile or apply time on
//! every node. A single-quoted `'${dir}/bin'` is taken literally and silently manages a
//! path with `${dir}` in its name.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   ensure => 'executable',
//!   mode   => '755x',
//!   source => 'puppet://modules/tool/tool',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   ensure => file,
//!   mode   => '0755',
//!   source => 'puppet:///modules/tool/tool',
//! }
//! ```
//!
//! ## Exceptions
//!
//! None known for built-in types.
//!
//! ## References
//!
//! - Puppet `file` type reference (`ensure`, `mode`, `source`).
//! - Puppet language: strings (single quotes do not interpolate).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
