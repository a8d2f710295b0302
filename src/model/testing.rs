//! Models of one-manifest snippets, for the unit tests of the model and the rules.

use std::sync::Arc;

use super::{Model, ModelOptions, ParseCache};
use crate::input::{Blob, EntryKind, Tree, TreeEntry};

/// `pp` as the only file of a tree, at `path`, evaluated with `opts`.
pub(crate) fn model_at(path: &str, pp: &str, opts: &ModelOptions) -> Model {
    let mut tree = Tree::default();
    tree.files.insert(
        path.into(),
        TreeEntry {
            kind: EntryKind::File,
            blob: Arc::new(Blob::new(None, pp.as_bytes().to_vec())),
        },
    );
    Model::build(&tree, opts, &ParseCache::new())
}

/// `pp` as `manifests/site.pp`, evaluated with the default options.
pub(crate) fn model_of(pp: &str) -> Model {
    model_at("manifests/site.pp", pp, &ModelOptions::default())
}
