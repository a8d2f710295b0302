//! `puppet-preflight snapshot`: record what a host holds at the paths that matter, as the
//! JSON `check --host-snapshot` reads ([`crate::hosts`]); and the glue `check` uses to
//! load snapshots and to word what they say for `--summary`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Error;
use crate::hosts::{self, walk, Hosts};
use crate::input;
use crate::model::{file_state, Model, ModelOptions, ParseCache};
use crate::report::{Effect, EffectKind};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory that stands for `/`: a mounted image or a test tree. Paths are
    /// recorded as the host sees them; links never lead out of it.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The host name recorded (default: the root's /etc/hostname, or the kernel's for /).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Write the snapshot to FILE (atomically: a temporary file renamed into place)
    /// instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record every absolute path the Puppet repository REPO names (managed files,
    /// link targets, service binaries), read at HEAD, or from disk when REPO is not a git
    /// repository.
    #[arg(long, value_name = "REPO")]
    pub paths_from: Option<PathBuf>,
    /// A directory to walk (repeatable); replaces the defaults (/usr/bin /usr/sbin
    /// /usr/local/bin /usr/local/sbin /opt /lib/systemd/system /etc/systemd/system).
    #[arg(long = "dir", value_name = "DIR")]
    pub dirs: Vec<String>,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let usage = |m: String| Error::Usage(m);
    if !args.root.is_dir() {
        return Err(usage(format!(
            "--root {} is not a directory; give the directory that stands for / on the host \
             (a mounted image, or / itself)",
            args.root.display()
        ))
        .into());
    }
    let host = match &args.host {
        Some(h) => h.clone(),
        None => host_name(&args.root).ok_or_else(|| {
            usage(format!(
                "cannot tell the host's name: {} holds no readable etc/hostname; give it \
                 with --host NAME",
                args.root.display()
            ))
        })?,
    };
    hosts::read::validate_host(&host).map_err(|m| usage(format!("--host: {m}")))?;
    let mut dirs = Vec::new();
    for d in &args.dirs {
        if !d.starts_with('/') {
            return Err(usage(format!(
                "--dir {d} is not an absolute path; directories are named as the host sees \
                 them (/usr/local/bin), even with --root"
            ))
            .into());
        }
        dirs.push(d.clone());
    }
    if dirs.is_empty() {
        dirs = walk::DEFAULT_DIRS
            .iter()
            .map(|d| (*d).to_string())
            .collect();
    }
    let extra = match &args.paths_from {
        Some(repo) => repository_paths(repo)?,
        None => Vec::new(),
    };
    let opts = walk::Options {
        root: args.root.clone(),
        dirs,
        extra,
        host,
        now: hosts::time::now(),
    };
    let snap = walk::take(&opts).map_err(|e| usage(e.0))?;
    let text = walk::to_json(&snap);
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => super::print_stdout(&text)?,
    }
    Ok(0)
}

/// The host's name: the root's `/etc/hostname`, or for `/` the kernel's.
fn host_name(root: &Path) -> Option<String> {
    let mut files = Vec::new();
    if root == Path::new("/") {
        files.push(PathBuf::from("/proc/sys/kernel/hostname"));
    }
    files.extend(walk::resolve_in_root(root, "/etc/hostname"));
    files.into_iter().find_map(|f| {
        let text = std::fs::read_to_string(f).ok()?;
        let name = text.lines().next()?.trim().to_string();
        (!name.is_empty()).then_some(name)
    })
}

/// Every absolute path the repository's model names: managed paths, link targets, the
/// binaries services run.
fn repository_paths(repo: &Path) -> Result<Vec<String>, Error> {
    let tree = match input::read_revision(Some(repo), "HEAD") {
        Ok(t) => t,
        Err(_) if repo.is_dir() => input::read_directory(repo)
            .map_err(|e| Error::Usage(format!("--paths-from {}: {e}", repo.display())))?,
        Err(e) => {
            return Err(Error::Usage(format!(
                "--paths-from {}: {e}",
                repo.display()
            )))
        }
    };
    // A configuration that cannot be read only costs its model options here.
    let opts = Config::from_tree(&tree)
        .map(|c| c.model_options())
        .unwrap_or_else(|_| ModelOptions::default());
    let model = Model::build(&tree, &opts, &ParseCache::new());
    Ok(model_paths(&model))
}

/// The absolute paths `m` names.
pub fn model_paths(m: &Model) -> Vec<String> {
    let mut out: Vec<String> = m.index.paths.keys().cloned().collect();
    for ids in m.index.paths.values() {
        for &id in ids {
            if let Some(t) = file_state(m.get(id)).link_target() {
                out.push(t.to_string());
            }
        }
    }
    for infos in m.index.services.values() {
        for s in infos {
            out.extend(m.facts.binary(s.res).map(str::to_owned));
        }
    }
    out.retain(|p| p.starts_with('/') && !p.chars().any(char::is_control));
    out.sort();
    out.dedup();
    out
}

/// Writes `data` to `path` through a temporary file in the same directory renamed into
/// place: a reader never sees half a snapshot.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        err: e,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Usage(format!("--output {} names no file", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// The snapshots `check` judges the change against: `--host-snapshot` when given, else
/// the configuration's `host_snapshots`.
pub fn load_hosts(given: &[PathBuf], config: &Config) -> Result<Hosts, Error> {
    let paths: Vec<PathBuf> = if given.is_empty() {
        config.host_snapshots.iter().map(PathBuf::from).collect()
    } else {
        given.to_vec()
    };
    if paths.is_empty() {
        return Ok(Hosts::default());
    }
    hosts::load(&paths, hosts::time::now(), config.host_snapshot_max_age)
        .map_err(|e| Error::HostSnapshot(Box::new(e)))
}

/// The `--summary` lines about the hosts: which snapshots were read, and what each host
/// holds at the file every restarted service will run and at the end of every link the
/// change creates.
pub fn host_effects(cx: &crate::rules::Context<'_>) -> Vec<Effect> {
    use crate::rules::common::touched_links;
    use crate::rules::on_hosts::deployer;
    let hosts = cx.hosts;
    if hosts.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let names: Vec<&str> = hosts.snapshots.iter().map(|s| s.host.as_str()).collect();
    let oldest = hosts.snapshots.iter().map(|s| s.age).max().unwrap_or(0);
    out.push(Effect {
        kind: EffectKind::OnHosts,
        subject: format!(
            "{} snapshot{} read",
            names.len(),
            if names.len() == 1 { "" } else { "s" }
        ),
        detail: Some(format!(
            "{}{}; the oldest taken {} ago",
            names.iter().take(5).copied().collect::<Vec<_>>().join(", "),
            match names.len().saturating_sub(5) {
                0 => String::new(),
                n => format!(" and {n} more"),
            },
            hosts::time::describe_age(oldest),
        )),
        location: None,
    });
    let mut judged: Vec<(String, String)> = Vec::new();
    for r in &cx.diff.restarts {
        let Some(bin) = cx.after.facts.binary(r.service) else {
            continue;
        };
        let chain = cx.after.facts.resolve(bin);
        if chain.cycle {
            continue;
        }
        let who = format!(
            "{} will run {}",
            cx.after.get(r.service).display_ref(),
            chain.last()
        );
        judged.push((who, chain.last().to_string()));
    }
    for (id, path) in touched_links(cx) {
        let chain = cx.after.facts.resolve(&path);
        if chain.cycle || chain.paths.len() < 2 {
            continue;
        }
        let who = format!(
            "{} leads to {}",
            cx.after.get(id).display_ref(),
            chain.last()
        );
        judged.push((who, chain.last().to_string()));
    }
    for (who, path) in judged {
        let detail = match deployer(cx.after, &path) {
            Some(f) => format!(
                "{} deploys it in the same run",
                cx.after.get(f).display_ref()
            ),
            None => {
                let mut groups: std::collections::BTreeMap<String, Vec<&str>> =
                    std::collections::BTreeMap::new();
                for s in &hosts.snapshots {
                    groups
                        .entry(describe_at(s, &path))
                        .or_default()
                        .push(&s.host);
                }
                groups
                    .iter()
                    .map(|(what, hs)| format!("{what} {}", hosts.on_hosts(hs)))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        };
        out.push(Effect {
            kind: EffectKind::OnHosts,
            subject: who,
            detail: Some(detail),
            location: None,
        });
    }
    out
}

/// What one host holds at `path`, in a few words.
fn describe_at(s: &hosts::Snapshot, path: &str) -> String {
    use crate::hosts::schema::ContentKind;
    use crate::hosts::{EntryType, State};
    let r = s.resolve(path);
    if r.cycle {
        return "a loop of links".into();
    }
    match r.state {
        State::Unknown => "not covered by the snapshot".into(),
        State::Missing if r.links.is_empty() => "missing".into(),
        State::Missing => format!("a link to the missing {}", r.path),
        State::Present(e) => match e.kind {
            EntryType::Dir => "a directory".into(),
            EntryType::File if e.size == Some(0) => "empty (0 bytes)".into(),
            EntryType::File if e.mode.is_some_and(|m| m & 0o111 == 0) => {
                "a file without execute bits".into()
            }
            EntryType::File => match e.content {
                Some(ContentKind::Elf) => "an ELF executable".into(),
                Some(ContentKind::Script) => {
                    format!("a script (#!{})", e.interpreter.as_deref().unwrap_or("?"))
                }
                _ => "a file".into(),
            },
            _ => "a special file".into(),
        },
    }
}
