//! ## What it does
//!
//! Flags a `file` resource with `ensure => link` (or a `target`) together with
//! `links => follow`, including when `links` comes from resource defaults in scope.
//!
//! ## Why is this bad?
//!
//! With `links => follow` Puppet looks at what the link points to, sees a regular file
//! where it wants a link, deletes the link and creates it again, on every run. Each run
//! reports a change (`ensure changed 'file' to 'link'`), so every service subscribed to
//! the resource is restarted at the run interval.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/foo':
//!   ensure => link,
//!   target => '/opt/foo/bin/foo',
//!   links  => follow,
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/foo':
//!   ensure => link,
//!   target => '/opt/foo/bin/foo',
//! }
//! ```
//!
//! `links` is about how Puppet treats an existing link when it manages a file's content
//! or metadata; a resource that *is* the link needs the default, `manage`.
//!
//! ## Exceptions
//!
//! None known.
//!
//! ## References
//!
//! - Puppet `file` type, `links` attribute (behaviour verified on Puppet 7.23: the link
//!   is re-created on every run).

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
