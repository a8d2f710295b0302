//! Patch input: parse a unified diff (git diff, format-patch, an mbox of several
//! patches, `diff -u`) and apply it in memory to the base tree.

mod apply;
mod base64;
mod parse;

pub use apply::{apply, Applied};
pub use base64::decode_base64;
pub use parse::{parse, FilePatch, Hunk, HunkLine, LineKind, PatchSet};
