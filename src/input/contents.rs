//! What packages ship, from files on this host (`--package-contents`, the configuration's
//! `package_contents`): Debian `Contents-<arch>` indexes, plain or gzip, as a Debian mirror
//! serves them (`usr/bin/git<whitespace>vcs/git,…`: a path without its leading `/`, then the
//! comma-separated `[area/]section/package` that ship it; old files open with a free-text
//! header ending in a `FILE  LOCATION` line), and `dpkg -L`-style lists (one absolute path
//! per line) named `<package>.list` as in `/var/lib/dpkg/info`.
//!
//! A full index is large (about 150 MB uncompressed per architecture of Debian main), so
//! nothing is kept but the entries of the packages asked for ([`PackageContents::shipped`],
//! the packages a repository declares): each file is streamed once per new set of
//! packages, and every line is checked on the way, so a malformed file is an error (exit
//! status 2) whatever the repository declares.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::InputError;

/// The package-contents files of a run, and what has been read from them so far.
#[derive(Debug)]
pub struct PackageContents {
    files: Vec<PathBuf>,
    loaded: Mutex<Option<Loaded>>,
}

/// Package -> paths it ships, for the packages `wanted` (read so far).
#[derive(Debug, Default)]
struct Loaded {
    wanted: BTreeSet<String>,
    paths: BTreeMap<String, Vec<String>>,
    /// Package -> the file (name only) that lists it first.
    source: BTreeMap<String, String>,
}

/// What [`PackageContents::shipped`] answers: the paths of each package asked for that a
/// file lists, and which file said so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shipped {
    pub paths: BTreeMap<String, Vec<String>>,
    pub source: BTreeMap<String, String>,
}

impl PackageContents {
    /// The files, checked to exist and be readable (their lines are checked on the first
    /// [`shipped`](Self::shipped)).
    pub fn open(files: &[PathBuf]) -> Result<PackageContents, InputError> {
        for f in files {
            File::open(f).map_err(|e| InputError::PackageContents {
                path: f.display().to_string(),
                message: e.to_string(),
            })?;
        }
        Ok(PackageContents {
            files: files.to_vec(),
            loaded: Mutex::new(None),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The files and their state (size, modification time), one per line: what a result
    /// computed with them depends on, for a cache key.
    pub fn identity(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let meta = std::fs::metadata(f).ok();
            let size = meta.as_ref().map(|m| m.len());
            let modified = meta
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos());
            out.push_str(&format!("{} {size:?} {modified:?}\n", f.display()));
        }
        out
    }

    /// The paths each of `packages` ships, by the files. Reads the files when a package
    /// was not asked for before (the first call always reads them).
    pub fn shipped(&self, packages: &BTreeSet<String>) -> Result<Shipped, InputError> {
        let mut guard = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = match &*guard {
            Some(l) => !packages.is_subset(&l.wanted),
            None => true,
        };
        if fresh {
            let mut wanted = guard.take().map(|l| l.wanted).unwrap_or_default();
            wanted.extend(packages.iter().cloned());
            let mut loaded = Loaded {
                wanted,
                ..Loaded::default()
            };
            for f in &self.files {
                read_file(f, &mut loaded)?;
            }
            *guard = Some(loaded);
        }
        let l = guard.as_ref().expect("loaded above");
        let mut out = Shipped::default();
        for p in packages {
            if let Some(paths) = l.paths.get(p) {
                out.paths.insert(p.clone(), paths.clone());
                if let Some(s) = l.source.get(p) {
                    out.source.insert(p.clone(), s.clone());
                }
            }
        }
        Ok(out)
    }
}

fn malformed(path: &Path, line: usize, what: &str) -> InputError {
    InputError::PackageContents {
        path: path.display().to_string(),
        message: format!("line {line}: {what}"),
    }
}

/// Stream one file into `l`.
fn read_file(path: &Path, l: &mut Loaded) -> Result<(), InputError> {
    let io = |e: std::io::Error| InputError::PackageContents {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io)?);
    let gzip = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(file),
        ))
    } else {
        Box::new(file)
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_lines(reader, path, &name, l)
}

/// The lines of a Contents index or a dpkg list (told apart by the first line that is
/// not blank: an absolute path starts a dpkg list).
fn read_lines(
    mut r: impl BufRead,
    path: &Path,
    name: &str,
    l: &mut Loaded,
) -> Result<(), InputError> {
    let mut buf = Vec::with_capacity(256);
    let mut n = 0usize;
    let mut kind: Option<Kind> = None;
    // Lines of an old index before its `FILE  LOCATION` line are a header.
    let mut header: Vec<usize> = Vec::new();
    loop {
        buf.clear();
        let read = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| InputError::PackageContents {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        let Ok(line) = std::str::from_utf8(&buf) else {
            return Err(malformed(path, n, "not UTF-8 text"));
        };
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let k = match &kind {
            Some(k) => k.clone(),
            None => {
                let k = if line.starts_with('/') {
                    let pkg = name
                        .strip_suffix(".list")
                        .map(|s| s.split(':').next().unwrap_or(s))
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| {
                            malformed(
                                path,
                                n,
                                "an absolute path starts a dpkg -L list, whose package is named \
                                 by the file: call it <package>.list",
                            )
                        })?;
                    Kind::Dpkg(pkg.to_string())
                } else {
                    Kind::Contents
                };
                kind = Some(k.clone());
                k
            }
        };
        match k {
            Kind::Dpkg(ref pkg) => {
                // `dpkg -L` also prints diversions ("diverted by x to: /y").
                if line.contains("divert") && line.contains(": ") {
                    continue;
                }
                if !line.starts_with('/') {
                    return Err(malformed(
                        path,
                        n,
                        &format!(
                            "expected an absolute path (a dpkg -L list), found `{}`",
                            short(line)
                        ),
                    ));
                }
                if l.wanted.contains(pkg) && line != "/." {
                    add(l, pkg, line, name);
                }
            }
            Kind::Contents => {
                if line.starts_with("FILE") && line[4..].trim() == "LOCATION" {
                    header.clear();
                    continue;
                }
                let Some(cut) = line.rfind([' ', '\t']) else {
                    header.push(n);
                    continue;
                };
                let (file, locations) = (line[..cut].trim_end(), &line[cut + 1..]);
                let well_formed = !file.is_empty()
                    && locations.split(',').all(|loc| {
                        loc.contains('/') && !loc.ends_with('/') && !loc.starts_with('/')
                    });
                if !well_formed {
                    header.push(n);
                    continue;
                }
                for loc in locations.split(',') {
                    let pkg = loc.rsplit('/').next().unwrap_or(loc);
                    if l.wanted.contains(pkg) {
                        add(l, pkg, &format!("/{}", file.trim_start_matches('/')), name);
                    }
                }
            }
        }
        // A header is free text, but only before the first entry.
        if header.len() > 64 {
            break;
        }
    }
    if let (Some(Kind::Contents), Some(&first)) = (&kind, header.first()) {
        return Err(malformed(
            path,
            first,
            "expected `path section/package[,section/package…]` (a Debian Contents index) or an \
             absolute path (a dpkg -L list)",
        ));
    }
    Ok(())
}

fn add(l: &mut Loaded, pkg: &str, p: &str, source: &str) {
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        return;
    }
    l.paths
        .entry(pkg.to_string())
        .or_default()
        .push(p.to_string());
    l.source
        .entry(pkg.to_string())
        .or_insert_with(|| source.to_string());
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

#[derive(Clone, Debug)]
enum Kind {
    Contents,
    Dpkg(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn wanted(ps: &[&str]) -> BTreeSet<String> {
        ps.iter().map(|p| p.to_string()).collect()
    }

    fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    const INDEX: &str = "usr/bin/git                       vcs/git\n\
        usr/lib/git-core/git-daemon       vcs/git\n\
        usr/sbin/nginx                    httpd/nginx-core,httpd/nginx-light\n\
        usr/share/doc/a file with spaces  doc/docs\n\
        opt/x                             non-free/utils/xtool\n";

    #[test]
    fn contents_index_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let plain = write(dir.path(), "Contents-amd64", INDEX.as_bytes());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(INDEX.as_bytes()).unwrap();
        let gz = write(dir.path(), "Contents-amd64.gz", &gz.finish().unwrap());
        for f in [plain, gz] {
            let c = PackageContents::open(&[f]).unwrap();
            let s = c
                .shipped(&wanted(&["git", "nginx-light", "docs", "xtool"]))
                .unwrap();
            assert_eq!(
                s.paths["git"],
                ["/usr/bin/git", "/usr/lib/git-core/git-daemon"]
            );
            assert_eq!(s.paths["nginx-light"], ["/usr/sbin/nginx"]);
            assert_eq!(s.paths["docs"], ["/usr/share/doc/a file with spaces"]);
            assert_eq!(s.paths["xtool"], ["/opt/x"]);
            assert!(s.source["git"].starts_with("Contents-amd64"));
            // Only what is asked for is kept; a new package reads the files again.
            assert!(!s.paths.contains_key("nginx-core"));
            let s = c.shipped(&wanted(&["nginx-core"])).unwrap();
            assert_eq!(s.paths["nginx-core"], ["/usr/sbin/nginx"]);
        }
    }

    #[test]
    fn old_header_and_dpkg_lists() {
        let dir = tempfile::tempdir().unwrap();
        let old = format!(
            "This file maps each file available in the Debian GNU/Linux system to\n\
             the package from which it originates.\n\nFILE                                    LOCATION\n{INDEX}"
        );
        let f = write(dir.path(), "Contents-i386", old.as_bytes());
        let s = PackageContents::open(&[f])
            .unwrap()
            .shipped(&wanted(&["git"]))
            .unwrap();
        assert_eq!(s.paths["git"].len(), 2);
        let f = write(
            dir.path(),
            "git:amd64.list",
            b"/.\n/usr\n/usr/bin/git\n/usr/lib/git-core/git-daemon\n",
        );
        let s = PackageContents::open(&[f])
            .unwrap()
            .shipped(&wanted(&["git"]))
            .unwrap();
        assert_eq!(
            s.paths["git"],
            ["/usr", "/usr/bin/git", "/usr/lib/git-core/git-daemon"]
        );
        assert_eq!(s.source["git"], "git:amd64.list");
    }

    #[test]
    fn malformed_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = PackageContents::open(&[missing]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let f = write(
            dir.path(),
            "Contents-amd64",
            b"usr/bin/git vcs/git\nusr/bin/x\n",
        );
        let e = PackageContents::open(&[f])
            .unwrap()
            .shipped(&wanted(&[]))
            .unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let f = write(dir.path(), "git.txt", b"/usr/bin/git\n");
        let e = PackageContents::open(&[f])
            .unwrap()
            .shipped(&wanted(&["git"]))
            .unwrap_err();
        assert!(e.to_string().contains("<package>.list"), "{e}");
        let f = write(dir.path(), "git.list", b"/usr/bin/git\nusr/bin/x\n");
        let e = PackageContents::open(&[f])
            .unwrap()
            .shipped(&wanted(&["git"]))
            .unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let f = write(dir.path(), "bin.gz", &[0x1f, 0x8b, 0, 1, 2, 3]);
        assert!(PackageContents::open(&[f])
            .unwrap()
            .shipped(&wanted(&[]))
            .is_err());
    }
}
