//! `puppet-preflight resources`: the model the tool extracts from a revision, for users
//! (what did it understand?) and for tests.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::LineIndex;
use crate::error::Error;
use crate::input::{self, EntryKind, InputError, Tree};
use crate::model::change::display_name;
use crate::model::{file_state, BinarySource, Content, FileState, Model, ModelOptions, ParseCache};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read this git revision (commit, branch, tag) instead of files on disk.
    #[arg(long)]
    pub rev: Option<String>,
    /// The repository root (default: the current directory, or the single directory given).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Files or directories. With --repo or --rev they only filter what is shown.
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let (tree, filters) = load(&args)?;
    let cache = ParseCache::new();
    let model = Model::build(&tree, &ModelOptions::default(), &cache);
    for (path, entry) in &tree.files {
        if path.ends_with(".pp")
            && entry.kind != EntryKind::Submodule
            && entry.blob.text().is_none()
        {
            match entry.blob.failure() {
                Some(why) => eprintln!("warning: {path} cannot be read and was skipped: {why}"),
                None => eprintln!(
                    "warning: {path} is not valid UTF-8 and was skipped (Puppet rejects it too)"
                ),
            }
        }
    }
    let shown =
        |file: &str| filters.is_empty() || filters.iter().any(|f| file.starts_with(f.as_str()));
    match args.format {
        Format::Json => {
            let list = to_json(&model, &tree, &shown);
            let text =
                serde_json::to_string_pretty(&list).map_err(|e| Error::Usage(e.to_string()))?;
            println!("{text}");
        }
        Format::Human => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = print_human(&model, &tree, &shown, &mut out).and_then(|()| out.flush());
            match written {
                // `| head`: the reader has what it wanted.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(Error::Usage(format!("cannot write the listing: {e}")).into()),
                Ok(()) => {}
            }
        }
    }
    // The process ends here: freeing the model and every parsed manifest would only cost
    // time.
    std::mem::forget((model, cache, tree));
    Ok(0)
}

/// The tree to model and the repository-relative prefixes to show. The input layer reads
/// it: a revision from the object database, a directory, or the files named.
fn load(args: &Args) -> Result<(Tree, Vec<String>), InputError> {
    if let Some(rev) = &args.rev {
        let root = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
        let tree = input::read_revision(Some(&root), rev)?;
        let filters = args.paths.iter().map(|p| rel_str(p)).collect();
        return Ok((tree, filters));
    }
    if let Some(root) = &args.repo {
        let tree = input::read_directory(root)?;
        let filters = args
            .paths
            .iter()
            .map(|p| rel_str(p.strip_prefix(root).unwrap_or(p)))
            .collect();
        return Ok((tree, filters));
    }
    match args.paths.as_slice() {
        [] => Ok((input::read_directory(Path::new("."))?, Vec::new())),
        [one] if one.is_dir() => Ok((input::read_directory(one)?, Vec::new())),
        many => Ok((input::read_paths(many)?, Vec::new())),
    }
}

fn rel_str(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.trim_start_matches("./").to_string()
}

/// Every file under `root` (hidden entries such as `.git` skipped), paths relative to
/// `root`: [`input::read_directory`].
pub fn tree_from_dir(root: &Path) -> Result<Tree, InputError> {
    input::read_directory(root)
}

/// Line (1-based) of a byte offset in a file of the tree.
struct Lines<'t> {
    tree: &'t Tree,
    cache: BTreeMap<String, LineIndex>,
}

impl<'t> Lines<'t> {
    fn line(&mut self, file: &str, offset: u32) -> usize {
        let tree = self.tree;
        let idx = self
            .cache
            .entry(file.to_string())
            .or_insert_with(|| LineIndex::new(tree.text(file).unwrap_or("")));
        idx.line_of(offset) + 1
    }
}

/// The JSON list of `resources --format json` (its fields are a contract: `tests/resources_cli.rs`).
pub fn to_json(model: &Model, tree: &Tree, shown: &dyn Fn(&str) -> bool) -> serde_json::Value {
    use serde_json::json;
    let mut lines = Lines {
        tree,
        cache: BTreeMap::new(),
    };
    let mut out = Vec::new();
    for (id, r) in model.resources.iter().enumerate() {
        if !shown(&r.file) {
            continue;
        }
        let mut attrs = serde_json::Map::new();
        for a in &r.attrs {
            attrs.insert(a.name.to_string(), a.value.to_json());
        }
        let guard: Vec<String> = r.guard.iter().map(|g| model.guard_text(g)).collect();
        let mut o = json!({
            "type": r.ty,
            "title": r.title.to_json(),
            "file": &*r.file,
            "line": lines.line(&r.file, r.span.start),
            "attributes": attrs,
            "guard": guard,
            "scope": r.scope.to_string(),
        });
        if let Some(m) = o.as_object_mut() {
            if r.form != crate::ast::ResourceForm::Regular {
                let form = if r.form == crate::ast::ResourceForm::Virtual {
                    "virtual"
                } else {
                    "exported"
                };
                m.insert("form".into(), json!(form));
                m.insert("realized".into(), json!(r.realized));
            }
            if !r.define_chain.is_empty() {
                let chain: Vec<String> = r
                    .define_chain
                    .iter()
                    .map(|&d| model.get(d).display_ref())
                    .collect();
                m.insert("define_chain".into(), json!(chain));
            }
            let rels: Vec<serde_json::Value> = model
                .edges_from(id)
                .map(|e| json!({"op": if e.refresh { "~>" } else { "->" }, "to": model.get(e.to).display_ref()}))
                .collect();
            if !rels.is_empty() {
                m.insert("relationships".into(), json!(rels));
            }
            let origin = match r.origin {
                crate::model::Origin::Declared => None,
                crate::model::Origin::EnsureResource => Some("ensure_resource"),
                crate::model::Origin::CreateResources => Some("create_resources"),
                crate::model::Origin::Undeclared => Some("undeclared"),
            };
            if let Some(o) = origin {
                m.insert("origin".into(), json!(o));
            }
            for (k, v) in facts_json(model, id) {
                m.insert(k.into(), v);
            }
            if let Some(why) = executes_why(model, id, &mut lines) {
                m.insert("executes_because".into(), json!(why.json));
            }
        }
        out.push(o);
    }
    serde_json::Value::Array(out)
}

fn print_human(
    model: &Model,
    tree: &Tree,
    shown: &dyn Fn(&str) -> bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut lines = Lines {
        tree,
        cache: BTreeMap::new(),
    };
    let mut count = 0;
    for (id, r) in model.resources.iter().enumerate() {
        if !shown(&r.file) {
            continue;
        }
        count += 1;
        let line = lines.line(&r.file, r.span.start);
        let mut head = format!("{}  {}:{}  ({})", r.display_ref(), r.file, line, r.scope);
        if r.form != crate::ast::ResourceForm::Regular {
            head.push_str(if r.realized {
                "  [virtual, realized]"
            } else {
                "  [virtual]"
            });
        }
        writeln!(out, "{head}")?;
        for g in &r.guard {
            writeln!(out, "    when {}", model.guard_text(g))?;
        }
        for a in &r.attrs {
            writeln!(out, "    {} => {}", a.name, a.value)?;
        }
        if let Some(text) = facts_text(model, id) {
            match executes_why(model, id, &mut lines) {
                Some(why) => writeln!(out, "    {text}, {}", why.text)?,
                None => writeln!(out, "    {text}")?,
            }
        } else if r.ty == "service" {
            writeln!(out, "    {NO_BINARY}")?;
        }
        for e in model.edges_from(id) {
            writeln!(
                out,
                "    {} {}",
                if e.refresh { "~>" } else { "->" },
                model.get(e.to).display_ref()
            )?;
        }
    }
    let s = &model.stats;
    writeln!(
            out,
        "\n{count} resources shown ({} in the model, {} symbolic values, {} relationships) from {} manifests",
        s.resources, s.symbolic_values, s.edges, s.manifests
    )?;
    if s.manifests_with_syntax_errors > 0 {
        writeln!(
            out,
            "{} manifests have syntax errors; what could be parsed was evaluated (run `puppet-preflight parse` for details)",
            s.manifests_with_syntax_errors
        )?;
    }
    Ok(())
}

/// What the model's facts say of a resource, as JSON fields: a file's `state` (`link`,
/// `file`, `directory`, `absent`, `metadata`, `unknown`) with its `content` (`known`,
/// `empty`, `unknown`) or `link_target`; a service's `executes` (the binary) and
/// `executes_through` (the paths it resolves through, when links are on the way).
fn facts_json(model: &Model, id: usize) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let r = model.get(id);
    let mut out = Vec::new();
    match r.ty.as_str() {
        "file" => {
            let state = file_state(r);
            out.push(("state", json!(state_name(&state))));
            match state {
                FileState::Regular { content } => {
                    out.push(("content", json!(content_name(content))));
                }
                FileState::Link {
                    resolved: Some(t), ..
                } => out.push(("link_target", json!(t))),
                _ => {}
            }
        }
        "service" => {
            if let Some(bin) = model.facts.binary(id) {
                out.push(("executes", json!(bin)));
                let chain = model.facts.resolve(bin);
                if chain.paths.len() > 1 {
                    out.push(("executes_through", json!(chain.paths)));
                }
            }
        }
        _ => {}
    }
    out
}

/// The same facts as one line of the human listing.
fn facts_text(model: &Model, id: usize) -> Option<String> {
    let r = model.get(id);
    match r.ty.as_str() {
        "file" => Some(match file_state(r) {
            FileState::Regular { content } => {
                format!("is a file (content {})", content_name(content))
            }
            FileState::Link {
                resolved: Some(t), ..
            } => format!("is a link to {t}"),
            s => format!(
                "is {}",
                match s {
                    FileState::Link { .. } => "a link (target unknown)",
                    FileState::Directory => "a directory",
                    FileState::Absent => "absent",
                    FileState::Metadata => "left as it is (only owner, group or mode managed)",
                    _ => "unknown (ensure not known)",
                }
            ),
        }),
        "service" => {
            let bin = model.facts.binary(id)?;
            let chain = model.facts.resolve(bin);
            Some(if chain.paths.len() > 1 {
                format!("executes {}", chain.paths.join(" -> "))
            } else {
                format!("executes {bin}")
            })
        }
        _ => None,
    }
}

/// What `resources` says of a service whose binary the model does not know.
const NO_BINARY: &str = "executes a path the model does not know: no `binary` or `start` \
attribute, no ExecStart= in a unit file the repository manages, no service_binaries entry";

/// Why the model says a service executes its binary: where the path was read.
struct ExecutesWhy {
    text: String,
    json: serde_json::Value,
}

fn executes_why(model: &Model, id: usize, lines: &mut Lines<'_>) -> Option<ExecutesWhy> {
    use serde_json::json;
    model.facts.binary(id)?;
    let info = model
        .index
        .services
        .values()
        .flatten()
        .find(|s| s.res == id)?;
    let b = info.binary.as_ref()?;
    let at =
        b.at.as_ref()
            .map(|(file, span)| (file.clone(), lines.line(file, span.start)));
    let unit = b.unit.map(|u| display_name(model, u));
    let text = match b.from {
        BinarySource::Binary => "from its `binary` attribute".to_string(),
        BinarySource::Start => "from its `start` command".to_string(),
        BinarySource::Hint => "from service_binaries in the configuration".to_string(),
        BinarySource::Unit => {
            let mut t = "the first ExecStart= of".to_string();
            match &unit {
                Some(u) => t.push_str(&format!(" its unit {u}")),
                None => t.push_str(" its unit"),
            }
            if let Some((file, line)) = &at {
                t.push_str(&format!(" ({file}:{line})"));
            }
            t
        }
    };
    let mut o = json!({ "source": b.from.as_str() });
    if let Some(m) = o.as_object_mut() {
        if let Some(u) = unit {
            m.insert("unit".into(), json!(u));
        }
        if let Some((file, line)) = at {
            m.insert("file".into(), json!(file));
            m.insert("line".into(), json!(line));
        }
    }
    Some(ExecutesWhy { text, json: o })
}

fn state_name(s: &FileState) -> &'static str {
    match s {
        FileState::Link { .. } => "link",
        FileState::Regular { .. } => "file",
        FileState::Directory => "directory",
        FileState::Absent => "absent",
        FileState::Metadata => "metadata",
        FileState::Unknown => "unknown",
    }
}

fn content_name(c: Content) -> &'static str {
    match c {
        Content::Known => "known",
        Content::Empty => "empty",
        Content::Unknown => "unknown",
    }
}
