//! ## What it does
//!
//! Reports, once per change, the files whose content the checks needed but could not
//! read: objects missing from the object database of a partial clone
//! (`git clone --filter=blob:none` or `--filter=blob:limit=…`), of a mirror that left out
//! large files, or of a damaged repository. Each listed file was left unjudged: the rules
//! that would have read it stay silent about it rather than guess.
//!
//! Content no rule reads (tarballs, images, firmware under `files/`) is never asked for,
//! so its absence is not reported. A missing manifest among the files the change itself
//! touches, a missing commit or a missing tree is not a finding but an error (exit
//! status 2): nothing useful can be said without them.
//!
//! ## Why is this bad?
//!
//! It is not a hazard of the change; it says the check was partial, so that "no findings"
//! is not read as "nothing to worry about" for those files.
//!
//! ## Example
//!
//! A blob-less clone where the unit file a service runs from was never fetched:
//!
//! ```text
//! $ git clone --filter=blob:limit=1k https://git.example.org/puppet.git && cd puppet
//! $ puppet-preflight check
//! info[incomplete-input]: 1 file the checks needed could not be read: modules/app/files/app.service
//! ```
//!
//! ## Use instead
//!
//! Fetch the missing objects (`git fetch --refetch`, or `git cat-file -p <id>` in a
//! partial clone with a promisor remote), or run the check in a full clone.
//!
//! ## Exceptions
//!
//! Ignore it (`--ignore incomplete-input`) in CI jobs that clone with a blob filter on
//! purpose.
//!
//! ## References
//!
//! - git partial clone: `git help clone` (`--filter`), `gitrepository-layout(5)`.

// Produced from the input layer's list of unreadable files, not by a check function.
