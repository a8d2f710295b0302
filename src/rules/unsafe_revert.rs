//! ## What it does
//!
//! Checks the change in reverse: the diff that `git revert` of this change would produce
//! (head back to base) is run through the error-level rules, and any finding it would
//! raise is reported on the forward change.
//!
//! ## Why is this bad?
//!
//! A revert is not an undo. It is a new change that triggers the same restarts again,
//! points services back at the previous binary path, and leaves behind on the hosts
//! whatever the forward change created. If the previous binary path is unmanaged, empty
//! or truncated by the time of the revert, the revert itself causes the outage. This is
//! how the December 2016 Toolforge incident escalated: a rollback restarted the API server
//! onto a file a deploy script had truncated.
//!
//! ## Example
//!
//! ```puppet
//! # this change: ExecStart moves from /usr/local/bin/kube-apiserver to /usr/bin/kube-apiserver
//! # reverting it restarts the service onto /usr/local/bin/kube-apiserver, which nothing manages
//! file { '/usr/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! Make the old path safe before relying on a revert: manage it (content and mode), or
//! keep the old resources with `ensure => absent` for a transition period so a revert
//! has a defined state to return to.
//!
//! ## Exceptions
//!
//! Many reverts are harmless; this rule only reports what an error-level rule would say
//! about the reverse diff. Suppress when a roll-back plan other than `git revert` exists.
//!
//! ## References
//!
//! - `git revert`; Puppet ignores resources that leave the catalog (they stay on disk).
