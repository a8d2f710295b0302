//! Parsed manifests shared between the two sides of a change.
//!
//! Keyed by the git blob id when there is one, else by a hash of the content, so a file
//! unchanged between "before" and "after" is parsed once. Parsing runs in parallel (rayon).

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::eval::FileWalk;
use super::hiera::LayerData;
use super::FxMap;
use crate::input::{is_manifest, Blob, EntryKind, Tree};
use crate::parser::{self, Parsed};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A git object id, as bytes: a check keys every manifest of both sides several
    /// times, and a copy of the hex text was an allocation each time.
    Oid([u8; 20]),
    /// An id that is not a SHA-1 in hex (none is expected).
    Id(String),
    Content(u64, usize),
}

/// The 20 bytes of a SHA-1 object id written in hex.
fn oid_bytes(id: &str) -> Option<[u8; 20]> {
    let hex = id.as_bytes();
    if hex.len() != 40 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 20];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

fn key_of(blob: &Blob) -> Key {
    // A lookup by id tells what the content is without reading it.
    blob.note_use();
    match &blob.id {
        Some(id) => oid_bytes(id).map_or_else(|| Key::Id(id.clone()), Key::Oid),
        // Content without an id was made in memory (from disk or a patch) and is always
        // readable; `None` cannot happen and would key the empty content.
        None => {
            let data = blob.data().unwrap_or_default();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            data.hash(&mut h);
            Key::Content(h.finish(), data.len())
        }
    }
}

/// A parse result with what the evaluation takes from a walk of the whole file.
pub(crate) type Walked = (Arc<Parsed>, Arc<FileWalk>);

/// A thread-safe cache of parse results.
#[derive(Debug, Default)]
pub struct ParseCache {
    map: Mutex<FxMap<Key, Walked>>,
    parsed: Mutex<usize>,
    /// Hiera data files read, keyed like the manifests.
    hiera: Mutex<FxMap<Key, Arc<LayerData>>>,
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many files were actually parsed (cache misses) so far.
    pub fn parse_count(&self) -> usize {
        self.parsed.lock().map(|g| *g).unwrap_or(0)
    }

    /// Parse every blob not yet in the cache (in parallel) and return all results, in order.
    /// Blobs that are not UTF-8, or cannot be read (kept as unreadable on the blob), yield
    /// `None`.
    pub fn parse_all(&self, blobs: &[&Arc<Blob>]) -> Vec<Option<Arc<Parsed>>> {
        self.parse_all_walked(blobs)
            .into_iter()
            .map(|p| p.map(|(parsed, _)| parsed))
            .collect()
    }

    /// [`ParseCache::parse_all`] with what the evaluation takes from a walk of each file
    /// ([`FileWalk`]), made along with the parse.
    pub(crate) fn parse_all_walked(&self, blobs: &[&Arc<Blob>]) -> Vec<Option<Walked>> {
        let keys: Vec<Key> = blobs.iter().map(|b| key_of(b)).collect();
        let missing: Vec<(usize, &Arc<Blob>)> = {
            let map = match self.map.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            let mut seen = std::collections::HashSet::new();
            blobs
                .iter()
                .enumerate()
                .filter(|(i, _)| !map.contains_key(&keys[*i]) && seen.insert(keys[*i].clone()))
                .map(|(i, b)| (i, *b))
                .collect()
        };
        let fresh: Vec<(usize, Option<Walked>)> = missing
            .par_iter()
            .map(|(i, b)| {
                let parsed = b.text().map(|t| {
                    let p = parser::parse(t);
                    let walk = FileWalk::of(&p);
                    (Arc::new(p), Arc::new(walk))
                });
                (*i, parsed)
            })
            .collect();
        let mut map = match self.map.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if let Ok(mut n) = self.parsed.lock() {
            *n += fresh.len();
        }
        for (i, p) in fresh {
            if let Some(p) = p {
                map.insert(keys[i].clone(), p);
            }
        }
        keys.iter().map(|k| map.get(k).cloned()).collect()
    }

    /// The hiera data of `blob`: from the cache, else `read` (outside the lock; two
    /// threads that miss at once both read, with the same result).
    pub(crate) fn hiera_data(
        &self,
        blob: &Blob,
        read: impl FnOnce() -> LayerData,
    ) -> Arc<LayerData> {
        let key = key_of(blob);
        let lock = || match self.hiera.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if let Some(d) = lock().get(&key) {
            return d.clone();
        }
        let d = Arc::new(read());
        lock().entry(key).or_insert(d).clone()
    }

    /// Parse the manifests of every tree in one parallel pass, before the sides are
    /// evaluated concurrently. Without it both sides miss the cache at the same time and
    /// each parses every shared file.
    pub fn prefetch(&self, trees: &[&Tree]) {
        let mut seen = std::collections::HashSet::new();
        let blobs: Vec<&Arc<Blob>> = trees
            .iter()
            .flat_map(|t| t.files.iter())
            .filter(|(p, e)| is_manifest(p) && e.kind != EntryKind::Symlink)
            .map(|(_, e)| &e.blob)
            .filter(|b| seen.insert(Arc::as_ptr(b)))
            .collect();
        self.parse_all(&blobs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_key_by_their_bytes() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        let bytes = oid_bytes(id).unwrap();
        assert_eq!(bytes[0], 0x01);
        assert_eq!(bytes[7], 0xef);
        assert_eq!(bytes[19], 0x67);
        assert_eq!(oid_bytes("0123"), None);
        assert_eq!(oid_bytes(&"g".repeat(40)), None);
        let a = Blob::new(Some(id.to_string()), b"class a {}".to_vec());
        let b = Blob::new(Some("x".to_string()), b"class a {}".to_vec());
        assert_eq!(key_of(&a), Key::Oid(bytes));
        assert_eq!(key_of(&b), Key::Id("x".to_string()));
    }
}
