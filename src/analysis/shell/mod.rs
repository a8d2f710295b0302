//! What a deploy script does to the files it writes (the analysis behind
//! `deploy-script-unsafe`).
//!
//! [`analyze`] lexes a script (a module file deployed with `source =>`, a template or
//! heredoc used as `content =>`, or an `exec` command string), flattens it into simple
//! commands in source order, follows literal variable assignments and `for` loops over
//! literal word lists, and reports with spans:
//!
//! * whether errexit is on (`set -e`, `set -o errexit`, `set -eu…`, a shebang such as
//!   `#!/bin/bash -e`; `set +e` turns it off again), and pipefail;
//! * every download (`wget`, `curl`) with the path it writes (`-O`/`--output-document`,
//!   `-o`/`--output`, `> PATH`, `| tee PATH`), whether it fails on HTTP errors, whether a
//!   failure truncates the target, what happens after a failure (`|| true`, `&&`, `if`,
//!   errexit), and whether it writes the final path directly or a temporary file that is
//!   then moved (`mv`/`install`/`cp`) onto it, with or without a checksum check between;
//! * service stops and starts (`systemctl stop X`, `service X stop`, `/etc/init.d/X stop`,
//!   `invoke-rc.d X stop`), moves and checksum checks.
//!
//! [`ScriptReport::hazards`] turns that into the hazards for the paths a rule cares about
//! (the executables some service runs). The facts behind them were verified against a
//! local HTTP server returning 404 (puppet-semantics §1.7): `wget -O target` exits 8 and
//! leaves the target **0 bytes**; `curl -o target` without `-f` exits **0** and writes the
//! error page; `curl -f -o target` exits 22 and leaves the target alone; a shell `>`
//! redirection truncates the target before the command even runs. (Re-checked for this
//! module against `python3 -m http.server`: wget exit 8 and 0 bytes; curl exit 0 and the
//! 335-byte error page; curl `-f` exit 22 and the old content intact. `set -e` does not see
//! a failure before the last stage of a pipeline unless `set -o pipefail`.)
//!
//! It is a heuristic: functions are read inline (as if called where defined), `case`
//! branches and `if` branches are all taken (in a template, every `<% if %>` branch too,
//! so a `set -e` inside one counts), a variable assigned in a way we cannot follow stays
//! `$name` and template output stays `…` (both matched loosely against paths and reported
//! as inexact), and commands held in variables (`$DL "$URL"`) are not seen.

pub mod lexer;

use crate::analysis::template::{mask, span, TemplateKind};
use crate::ast::Span;
use lexer::{lex, Op, Part, RedirOp, ShWord, Token};
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------
// Report types

/// The download tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Wget,
    Curl,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Wget => "wget",
            Tool::Curl => "curl",
        }
    }
}

/// A path as far as the script tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShPath {
    /// The path with unresolved variables kept as `$name` (and unknown parts as `…`).
    pub text: String,
    /// No unresolved part.
    pub exact: bool,
    /// Looks like a temporary file: from `mktemp`, under `/tmp`, `/var/tmp`, `$TMPDIR`, or
    /// named `*.tmp`, `*.new`, `*.part`, `*.download`.
    pub temp: bool,
    pub span: Span,
}

/// Where a download writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    File(ShPath),
    /// `-O -`, or curl without `-o`: standard output (piped or redirected elsewhere).
    Stdout,
    /// wget without `-O`, curl `-O`: a file named after the URL in the current directory.
    Implied,
}

/// What the script does when the download fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// errexit is on and nothing masks the status: the script stops there.
    Stops,
    /// Tested (`if`, `&&`, `|| exit 1`): the failure is handled.
    Handled,
    /// `|| true`, `|| :`, `|| echo …`: the failure is deliberately ignored.
    Ignored,
    /// No errexit and no test: the script carries on as if it had worked.
    Continues,
}

/// One `wget`/`curl` invocation (one per value when inside a `for` loop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    pub tool: Tool,
    pub target: Target,
    pub url: Option<String>,
    /// The tool exits non-zero on an HTTP error (wget always; curl with `-f`/`--fail`).
    pub fails_on_http_error: bool,
    /// A failed download leaves the target truncated or holding an error page (wget
    /// `-O`, curl without `-f`, any `>` redirection).
    pub damages_target_on_failure: bool,
    /// Writes the final path itself rather than a temporary file moved there later.
    pub direct_to_target: bool,
    /// Where the data ends up: the target, or the destinations of the moves of it.
    pub final_paths: Vec<ShPath>,
    /// A checksum or signature check runs after the download and before the move.
    pub checksum_verified: bool,
    pub errexit: bool,
    pub on_failure: OnFailure,
    /// The whole command.
    pub span: Span,
    /// Position in the script's command order.
    pub order: usize,
}

/// `stop`, `start`, `restart` of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceVerb {
    Stop,
    Start,
    Restart,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAction {
    pub service: String,
    pub verb: ServiceVerb,
    pub span: Span,
    pub order: usize,
}

/// `mv`, `install` or `cp` of one file onto another path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub tool: String,
    pub from: ShPath,
    pub to: ShPath,
    pub span: Span,
    pub order: usize,
}

/// `sha256sum -c`, `gpg --verify`, …
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksum {
    pub tool: String,
    pub span: Span,
    pub order: usize,
}

/// A `>`/`>>` redirection onto a file by a command that is not a download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub command: String,
    pub path: ShPath,
    pub truncates: bool,
    pub span: Span,
    pub order: usize,
}

/// A command the script runs by its absolute path (after wrappers such as `exec`,
/// `nohup`, `sudo -u x`), written out in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub path: String,
    /// Where the executable word is.
    pub span: Span,
    /// It only runs on a condition, or its failure is handled: it is the test of an
    /// `if`/`while`, sits in a branch of an `if` or `case`, follows `&&`/`||`, or is
    /// followed by `||`.
    pub conditional: bool,
    /// Run through `exec`: the script becomes this program.
    pub exec: bool,
}

/// Everything [`analyze`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptReport {
    /// errexit is on at the end of the top level (or was set before the first download).
    pub errexit: bool,
    /// Where errexit is first turned on.
    pub errexit_span: Option<Span>,
    pub pipefail: bool,
    pub downloads: Vec<Download>,
    pub moves: Vec<Move>,
    pub service_actions: Vec<ServiceAction>,
    pub checksums: Vec<Checksum>,
    pub writes: Vec<Write>,
    /// Unterminated quotes, substitutions, here-documents.
    pub lex_errors: Vec<lexer::LexError>,
    /// Commands run by absolute path, in order.
    pub runs: Vec<Run>,
    /// Absolute paths the script tests (`[ -x PATH ]`, `test -f PATH`, `[[ -e PATH ]]`).
    pub tested: Vec<String>,
}

impl ScriptReport {
    /// The service stops, in order.
    pub fn stops_services(&self) -> Vec<&ServiceAction> {
        self.service_actions
            .iter()
            .filter(|a| a.verb == ServiceVerb::Stop)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Commands

#[derive(Clone, Debug)]
struct Redirect {
    op: RedirOp,
    target: Option<ShWord>,
}

#[derive(Clone, Debug)]
struct Command {
    assignments: Vec<(String, ShWord)>,
    words: Vec<ShWord>,
    redirects: Vec<Redirect>,
    span: Span,
    before: Option<Op>,
    after: Option<Op>,
    condition: bool,
    /// Inside the body of an `if` or `case` (the `then`/`else` part, a `case` option).
    in_branch: bool,
    /// `for` loops around it: (variable, literal values) — `None` when not literal.
    loops: Vec<(String, Option<Vec<String>>)>,
    /// Index into the flat command list of the command right after `||`/`&&`.
    order: usize,
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "esac",
];

/// `for` loops tracked around a command; deeper ones are treated as unknown lists.
const MAX_OPEN_LOOPS: usize = 16;

/// Flattens the token stream into simple commands.
struct Flattener<'t> {
    text: &'t str,
    commands: Vec<Command>,
    loops: Vec<Option<(String, Option<Vec<String>>)>>,
    condition: bool,
    /// Open `if` and `case` statements around the current command.
    branches: usize,
    paren_depth: usize,
    errors: Vec<lexer::LexError>,
}

impl<'t> Flattener<'t> {
    fn run(&mut self, range: std::ops::Range<usize>, depth: usize) {
        let lexed = lex(self.text, range);
        self.errors.extend(lexed.errors);
        let mut seg: Vec<Token> = Vec::new();
        let mut before: Option<Op> = None;
        for tok in lexed.tokens {
            match tok {
                Token::Op(op, _) => {
                    let is_case_pattern = op == Op::RParen && self.paren_depth == 0;
                    if op == Op::LParen {
                        self.paren_depth += 1;
                    } else if op == Op::RParen {
                        self.paren_depth = self.paren_depth.saturating_sub(1);
                    }
                    if is_case_pattern {
                        // `case $x in start) …` on one line: the statement opens here.
                        let opens = matches!(seg.first(), Some(Token::Word(w))
                            if w.literal().as_deref() == Some("case"));
                        if opens {
                            self.branches += 1;
                        }
                        seg.clear();
                        continue;
                    }
                    let seg_taken = std::mem::take(&mut seg);
                    self.segment(seg_taken, before, Some(op), depth);
                    before = Some(op);
                }
                other => seg.push(other),
            }
        }
        let seg_taken = std::mem::take(&mut seg);
        self.segment(seg_taken, before, None, depth);
    }

    fn segment(&mut self, toks: Vec<Token>, before: Option<Op>, after: Option<Op>, depth: usize) {
        let mut words: Vec<ShWord> = Vec::new();
        let mut redirects = Vec::new();
        let mut it = toks.into_iter().peekable();
        let mut first_span: Option<Span> = None;
        let mut last_span: Option<Span> = None;
        while let Some(t) = it.next() {
            match t {
                Token::Word(w) => {
                    first_span.get_or_insert(w.span);
                    last_span = Some(w.span);
                    words.push(w);
                }
                Token::Redir(op, s) => {
                    first_span.get_or_insert(s);
                    last_span = Some(s);
                    let target = match it.peek() {
                        Some(Token::Word(_)) => match it.next() {
                            Some(Token::Word(w)) => {
                                last_span = Some(w.span);
                                Some(w)
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    redirects.push(Redirect { op, target });
                }
                Token::Op(..) => {}
            }
        }
        // Leading reserved words set the context.
        let mut idx = 0;
        while let Some(w) = words.get(idx) {
            let Some(t) = w.literal() else { break };
            if !RESERVED.contains(&t.as_str()) || w.has_quotes() {
                break;
            }
            match t.as_str() {
                "if" | "elif" | "while" | "until" | "!" => self.condition = true,
                "then" | "do" | "else" => self.condition = false,
                _ => {}
            }
            match t.as_str() {
                "if" => self.branches += 1,
                "fi" | "esac" => self.branches = self.branches.saturating_sub(1),
                _ => {}
            }
            match t.as_str() {
                "while" | "until" => self.loops.push(None),
                "done" => {
                    self.loops.pop();
                }
                _ => {}
            }
            idx += 1;
        }
        let words: Vec<ShWord> = words.split_off(idx.min(words.len()));
        if let Some(first) = words.first().and_then(|w| w.literal()) {
            if first == "for" {
                let var = words.get(1).and_then(|w| w.literal()).unwrap_or_default();
                let has_in = words.get(2).and_then(|w| w.literal()).as_deref() == Some("in");
                // `has_in`: `words` has at least three words.
                let values = if has_in {
                    self.loop_values(&words[3..])
                } else {
                    None
                };
                // Every command copies the loops around it: past a nesting no script
                // has, stop tracking (the entry keeps `done` balanced).
                let tracked = self.loops.len() < MAX_OPEN_LOOPS;
                self.loops.push(tracked.then_some((var, values)));
                return;
            }
            if first == "case" {
                self.branches += 1;
                return;
            }
            if first == "function" {
                return;
            }
        }
        if words.is_empty() && redirects.is_empty() {
            return;
        }
        let mut assignments = Vec::new();
        let mut rest = Vec::new();
        for w in words {
            if rest.is_empty() {
                if let Some((name, value)) = split_assignment(&w) {
                    assignments.push((name, value));
                    continue;
                }
            }
            rest.push(w);
        }
        let span = match (first_span, last_span) {
            (Some(a), Some(b)) => a.to(b),
            _ => Span::default(),
        };
        let loops = self.loops.iter().flatten().cloned().collect();
        let order = self.commands.len();
        let cmd = Command {
            assignments,
            words: rest,
            redirects,
            span,
            before,
            after,
            condition: self.condition,
            in_branch: self.branches > 0,
            loops,
            order,
        };
        // Commands inside `$(…)` run too (mktemp, sha256sum…): flatten them first.
        let substs: Vec<Span> = cmd
            .assignments
            .iter()
            .map(|(_, w)| w)
            .chain(cmd.words.iter())
            .flat_map(|w| w.parts.iter())
            .filter_map(|p| match p {
                Part::Subst(s) => Some(*s),
                _ => None,
            })
            .collect();
        if depth < 4 {
            let saved = (self.condition, self.paren_depth);
            for s in substs {
                self.condition = true;
                self.paren_depth = 0;
                self.run(s.range(), depth + 1);
            }
            (self.condition, self.paren_depth) = saved;
        }
        let mut cmd = cmd;
        cmd.order = self.commands.len();
        self.commands.push(cmd);
    }

    fn loop_values(&self, words: &[ShWord]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for w in words {
            out.push(w.literal()?);
        }
        Some(out)
    }
}

/// `NAME=value` as the first words of a command.
fn split_assignment(w: &ShWord) -> Option<(String, ShWord)> {
    let Some(Part::Lit(first)) = w.parts.first() else {
        return None;
    };
    let eq = first.find('=')?;
    let name = &first[..eq];
    let valid = !name.is_empty()
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if !valid {
        return None;
    }
    let mut parts = Vec::new();
    let rest = &first[eq + 1..];
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_string()));
    }
    parts.extend(w.parts[1..].iter().cloned());
    Some((
        name.to_string(),
        ShWord {
            parts,
            span: w.span,
        },
    ))
}

// ---------------------------------------------------------------------------------------
// Evaluation

#[derive(Clone, Debug)]
enum VarValue {
    Known(String),
    /// From `mktemp`: a temporary path.
    Temp(String),
}

struct Env {
    vars: HashMap<String, VarValue>,
    /// The working directory after a literal `cd`, to resolve relative paths.
    cwd: Option<String>,
}

impl Env {
    fn resolve(&self, w: &ShWord, bindings: &HashMap<String, String>) -> ShPath {
        let mut text = String::new();
        let mut exact = true;
        let mut temp = false;
        for p in &w.parts {
            match p {
                Part::Lit(t) | Part::Quoted(t) => text.push_str(t),
                Part::Var {
                    name,
                    default,
                    modified,
                } => {
                    if *modified {
                        exact = false;
                        text.push('$');
                        text.push_str(name);
                    } else if let Some(v) = bindings.get(name) {
                        text.push_str(v);
                    } else {
                        match (self.vars.get(name), default) {
                            (Some(VarValue::Known(v)), _) => text.push_str(v),
                            (Some(VarValue::Temp(v)), _) => {
                                temp = true;
                                text.push_str(v);
                            }
                            (None, Some(d)) if name == "TMPDIR" => {
                                temp = true;
                                text.push_str(d);
                            }
                            (None, _) => {
                                if name == "TMPDIR" {
                                    temp = true;
                                }
                                exact = false;
                                text.push('$');
                                text.push_str(name);
                            }
                        }
                    }
                }
                Part::Subst(s) => {
                    exact = false;
                    text.push_str("$(…)");
                    let _ = s;
                }
                Part::Unknown => {
                    exact = false;
                    text.push('…');
                }
            }
        }
        temp = temp || looks_temporary(&text);
        ShPath {
            text,
            exact,
            temp,
            span: w.span,
        }
    }

    /// A relative file operand resolved against a known working directory.
    fn absolute(&self, mut p: ShPath) -> ShPath {
        let relative =
            !p.text.is_empty() && p.text != "-" && !p.text.starts_with(['/', '$', '…', '~']);
        if let (true, Some(cwd)) = (relative, &self.cwd) {
            let rel = p.text.trim_start_matches("./");
            p.text = format!("{}/{rel}", cwd.trim_end_matches('/'));
            p.temp = p.temp || looks_temporary(&p.text);
        }
        p
    }
}

fn looks_temporary(p: &str) -> bool {
    let name = p.rsplit('/').next().unwrap_or(p);
    p.starts_with("/tmp/")
        || p.starts_with("/var/tmp/")
        || p.starts_with("/dev/shm/")
        || [".tmp", ".new", ".part", ".partial", ".download", ".dl", "~"]
            .iter()
            .any(|s| name.ends_with(s))
        || name.contains(".tmp.")
}

/// Analyzes a script; `kind` says whether it is an ERB/EPP template (tags are masked).
pub fn analyze(text: &str, kind: TemplateKind) -> ScriptReport {
    let masked = mask(text, kind);
    let body = masked.text.as_str();
    let mut report = ScriptReport::default();
    let mut errexit = false;
    if let Some(first) = body.lines().next() {
        if let Some(shebang) = first.strip_prefix("#!") {
            if shebang
                .split_whitespace()
                .skip(1)
                .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('e'))
            {
                errexit = true;
                report.errexit_span = Some(span(0, first.len()));
            }
        }
    }
    let mut fl = Flattener {
        text: body,
        commands: Vec::new(),
        loops: Vec::new(),
        condition: false,
        branches: 0,
        paren_depth: 0,
        errors: Vec::new(),
    };
    fl.run(0..body.len(), 0);
    report.lex_errors = fl.errors;
    let commands = fl.commands;
    let mut env = Env {
        vars: HashMap::new(),
        cwd: None,
    };
    let mut errexit_at_first_download: Option<bool> = None;
    for (ci, cmd) in commands.iter().enumerate() {
        // Assignments without a command change the script's variables.
        let name = cmd.words.first().and_then(|w| w.literal());
        let declares = matches!(
            name.as_deref(),
            Some("export" | "local" | "readonly" | "declare" | "typeset")
        );
        if cmd.words.is_empty() || declares {
            let mut assigns = cmd.assignments.clone();
            if declares {
                assigns.extend(cmd.words[1..].iter().filter_map(split_assignment));
            }
            for (n, w) in assigns {
                let value = if w
                    .parts
                    .iter()
                    .any(|p| matches!(p, Part::Subst(s) if body[s.range()].trim_start().starts_with("mktemp")))
                {
                    Some(VarValue::Temp(format!("${n}")))
                } else {
                    let r = env.resolve(&w, &HashMap::new());
                    if r.exact {
                        Some(if r.temp {
                            VarValue::Temp(r.text)
                        } else {
                            VarValue::Known(r.text)
                        })
                    } else if r.temp {
                        Some(VarValue::Temp(r.text))
                    } else {
                        None
                    }
                };
                match value {
                    Some(v) => env.vars.insert(n, v),
                    None => env.vars.remove(&n),
                };
            }
            if cmd.words.is_empty() {
                continue;
            }
        }
        let Some(name) = name else { continue };
        let base = name.rsplit('/').next().unwrap_or(&name).to_string();
        if base == "set" {
            apply_set(cmd, &mut errexit, &mut report);
            continue;
        }
        let on_failure = on_failure(&commands, ci, errexit, report.pipefail);
        for bindings in loop_bindings(cmd) {
            let all: Vec<ShPath> = cmd
                .words
                .iter()
                .map(|w| env.resolve(w, &bindings))
                .collect();
            // `sudo wget …`, `env X=1 curl …`, `timeout 60 wget …`: the real command (none
            // when a wrapper ends the words: `command -v timeout`, `sudo -u`).
            let wrappers = wrapper_len(&all);
            let words = all.get(wrappers..).unwrap_or_default();
            let Some(first) = words.first() else { continue };
            let name = first.text.clone();
            let base = name.rsplit('/').next().unwrap_or(&name).to_string();
            let args: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
            if first.exact && name.starts_with('/') {
                report.runs.push(Run {
                    path: name.clone(),
                    span: first.span,
                    conditional: cmd.condition
                        || cmd.in_branch
                        || matches!(cmd.before, Some(Op::AndIf | Op::OrIf))
                        || cmd.after == Some(Op::OrIf),
                    exec: all[..wrappers].iter().any(|w| w.text == "exec"),
                });
            }
            if matches!(base.as_str(), "[" | "[[" | "test") {
                report.tested.extend(
                    words[1..]
                        .iter()
                        .filter(|w| w.exact && w.text.starts_with('/'))
                        .map(|w| w.text.clone()),
                );
            }
            let redirect_target = cmd.redirects.iter().rev().find_map(|r| {
                (r.op.writes() && r.op.fd.unwrap_or(1) == 1)
                    .then(|| {
                        r.target
                            .as_ref()
                            .map(|t| (env.resolve(t, &bindings), r.op.truncates()))
                    })
                    .flatten()
            });
            match base.as_str() {
                "wget" | "curl" => {
                    let tool = if base == "wget" {
                        Tool::Wget
                    } else {
                        Tool::Curl
                    };
                    let mut d = download(tool, words, cmd, on_failure, errexit);
                    if let Some((path, truncates)) = redirect_target {
                        if d.target == Target::Stdout {
                            d.target = Target::File(path);
                            d.damages_target_on_failure = truncates || !d.fails_on_http_error;
                        }
                    }
                    if d.target == Target::Stdout {
                        if let Some(path) = tee_target(&commands, ci, &env, &bindings) {
                            d.damages_target_on_failure = true;
                            d.target = Target::File(path);
                        }
                    }
                    if let Target::File(p) = d.target {
                        d.target = Target::File(env.absolute(p));
                    }
                    errexit_at_first_download.get_or_insert(errexit);
                    report.downloads.push(d);
                }
                "cd" | "pushd" => {
                    let dir = words[1..].iter().find(|w| !w.text.starts_with('-'));
                    env.cwd = match dir {
                        Some(d) if d.exact => {
                            let d = env.absolute(d.clone());
                            d.text.starts_with('/').then_some(d.text)
                        }
                        _ => None,
                    };
                }
                "mv" | "cp" | "install" => {
                    if let Some((from, to)) = move_operands(&base, &words[1..]) {
                        let from = env.absolute(from);
                        let mut to = env.absolute(to);
                        // `mv /tmp/tool /usr/local/bin/`: into the directory, same name.
                        if to.text.ends_with('/') {
                            let name = from.text.rsplit('/').next().unwrap_or_default();
                            to.text.push_str(name);
                        }
                        report.moves.push(Move {
                            tool: base.clone(),
                            from,
                            to,
                            span: cmd.span,
                            order: cmd.order,
                        });
                    }
                }
                "systemctl" | "service" | "invoke-rc.d" => {
                    report
                        .service_actions
                        .extend(service_actions(&base, &args[1..], cmd));
                }
                "sha1sum" | "sha224sum" | "sha256sum" | "sha384sum" | "sha512sum" | "md5sum"
                | "b2sum" | "shasum"
                    if args[1..]
                        .iter()
                        .any(|a| *a == "-c" || *a == "--check" || short_flags(a).contains('c')) =>
                {
                    report.checksums.push(Checksum {
                        tool: base.clone(),
                        span: cmd.span,
                        order: cmd.order,
                    });
                }
                "gpg" | "gpg2" | "gpgv" | "minisign" | "cosign" | "signify"
                    if base == "gpgv"
                        || args.iter().any(|a| {
                            a.starts_with("--verify") || *a == "-V" || *a == "verify-blob"
                        }) =>
                {
                    report.checksums.push(Checksum {
                        tool: base.clone(),
                        span: cmd.span,
                        order: cmd.order,
                    });
                }
                _ => {
                    if name.starts_with("/etc/init.d/") && args.len() > 1 {
                        let svc = base.clone();
                        if let Some(verb) = verb_of(args[1]) {
                            report.service_actions.push(ServiceAction {
                                service: svc,
                                verb,
                                span: cmd.span,
                                order: cmd.order,
                            });
                        }
                    }
                    if let Some((path, truncates)) = redirect_target {
                        report.writes.push(Write {
                            command: base.clone(),
                            path: env.absolute(path),
                            truncates,
                            span: cmd.span,
                            order: cmd.order,
                        });
                    }
                }
            }
        }
    }
    report.errexit = errexit_at_first_download.unwrap_or(errexit);
    link_moves_and_checksums(&mut report);
    report
}

/// How many leading words are wrappers that run the next words as the command (`sudo`,
/// `env`, `command`, `exec`, `nohup`, `nice`, `ionice`, `timeout`, `stdbuf`, `time`).
///
/// Never more than `words.len()`: a wrapper that ends the command (`timeout` alone,
/// `sudo -u`, `timeout -k 5`) leaves no command, and `command -v NAME` (`-V`) only looks
/// `NAME` up, so it runs nothing either.
fn wrapper_len(words: &[ShPath]) -> usize {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let base = w.text.rsplit('/').next().unwrap_or(&w.text);
        let with_arg: &[&str] = match base {
            "sudo" | "doas" => &["-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D"],
            "env" => &["-u", "-C", "-S"],
            "nice" => &["-n"],
            "ionice" => &["-c", "-n", "-p"],
            "timeout" => &["-s", "-k"],
            "stdbuf" => &["-i", "-o", "-e"],
            "command" | "exec" | "nohup" | "time" | "builtin" => &[],
            _ => return i,
        };
        i += 1;
        while let Some(o) = words.get(i) {
            let t = o.text.as_str();
            let option = t.starts_with('-') && t.len() > 1;
            let assignment = base == "env" && t.contains('=') && !t.starts_with('=');
            if !option && !assignment {
                break;
            }
            if base == "command" && !t.starts_with("--") && t.contains(['v', 'V']) {
                return words.len();
            }
            i += 1 + usize::from(with_arg.contains(&t));
        }
        if base == "timeout" {
            i += 1; // the duration
        }
    }
    // An option's argument or the duration may be missing at the end.
    i.min(words.len())
}

fn apply_set(cmd: &Command, errexit: &mut bool, report: &mut ScriptReport) {
    let args: Vec<String> = cmd.words[1..].iter().filter_map(|w| w.literal()).collect();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-o" || a == "+o" {
            let on = a == "-o";
            match args.get(i + 1).map(String::as_str) {
                Some("errexit") => set_errexit(on, errexit, report, cmd.span),
                Some("pipefail") => report.pipefail = on,
                _ => {}
            }
            i += 2;
            continue;
        }
        if let Some(flags) = a.strip_prefix('-') {
            if !flags.starts_with('-') {
                if flags.contains('e') {
                    set_errexit(true, errexit, report, cmd.span);
                }
                // `set -eo pipefail`: the `o` takes the next argument.
                if flags.ends_with('o') && args.get(i + 1).map(String::as_str) == Some("pipefail") {
                    report.pipefail = true;
                    i += 1;
                }
            }
        } else if let Some(flags) = a.strip_prefix('+') {
            if flags.contains('e') {
                set_errexit(false, errexit, report, cmd.span);
            }
        }
        i += 1;
    }
}

fn set_errexit(on: bool, errexit: &mut bool, report: &mut ScriptReport, at: Span) {
    if on && report.errexit_span.is_none() {
        report.errexit_span = Some(at);
    }
    *errexit = on;
}

/// Every combination of values of the loop variables the command uses (one empty map when
/// it uses none, or when a loop's list is not literal).
fn loop_bindings(cmd: &Command) -> Vec<HashMap<String, String>> {
    let used: Vec<&str> = cmd
        .words
        .iter()
        .chain(cmd.redirects.iter().filter_map(|r| r.target.as_ref()))
        .flat_map(|w| w.parts.iter())
        .filter_map(|p| match p {
            Part::Var { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let mut out = vec![HashMap::new()];
    // Innermost binding of each variable wins.
    let mut seen = Vec::new();
    for (var, values) in cmd.loops.iter().rev() {
        if seen.contains(&var.as_str()) || !used.contains(&var.as_str()) {
            continue;
        }
        seen.push(var.as_str());
        let Some(values) = values else { continue };
        let mut next = Vec::new();
        for m in &out {
            for v in values {
                let mut m = m.clone();
                m.insert(var.clone(), v.clone());
                next.push(m);
            }
        }
        if next.len() > 256 {
            break;
        }
        out = next;
    }
    out
}

fn short_flags(a: &str) -> &str {
    match a.strip_prefix('-') {
        Some(f) if !f.starts_with('-') => f,
        _ => "",
    }
}

/// curl options that take an argument (short form).
const CURL_ARG_SHORT: &str = "AbcCdDeEFHKmoPQrtTuUwxXyYz";
/// wget options that take an argument (short form).
const WGET_ARG_SHORT: &str = "aABDeiIloOPQRtTUwX";

fn download(
    tool: Tool,
    words: &[ShPath],
    cmd: &Command,
    on_failure: OnFailure,
    errexit: bool,
) -> Download {
    let arg_short = match tool {
        Tool::Wget => WGET_ARG_SHORT,
        Tool::Curl => CURL_ARG_SHORT,
    };
    let mut output: Option<ShPath> = None;
    let mut remote_name = false;
    let mut fail = tool == Tool::Wget;
    let mut url = None;
    let mut i = 1;
    while i < words.len() {
        let a = words[i].text.as_str();
        let next = words.get(i + 1);
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let takes = |o: &str| name == o;
            if takes("output-document") || (tool == Tool::Curl && takes("output")) {
                match inline {
                    Some(v) => {
                        let mut p = words[i].clone();
                        p.text = v.to_string();
                        p.temp = p.temp || looks_temporary(v);
                        output = Some(p);
                    }
                    None => {
                        output = next.cloned();
                        i += 1;
                    }
                }
            } else if tool == Tool::Curl && (name == "fail" || name == "fail-with-body") {
                fail = true;
            } else if tool == Tool::Curl && name == "remote-name" {
                remote_name = true;
            } else if inline.is_none()
                && next.is_some_and(|n| !n.text.starts_with('-'))
                && LONG_WITH_ARG.contains(&name)
            {
                i += 1;
            }
        } else if a.len() > 1 && a.starts_with('-') {
            let flags = &a[1..];
            for (k, c) in flags.char_indices() {
                if tool == Tool::Curl && c == 'f' {
                    fail = true;
                }
                if tool == Tool::Curl && c == 'O' {
                    remote_name = true;
                    continue;
                }
                if arg_short.contains(c) {
                    let rest = &flags[k + c.len_utf8()..];
                    let value = if rest.is_empty() {
                        i += 1;
                        next.cloned()
                    } else {
                        let mut p = words[i].clone();
                        p.text = rest.to_string();
                        p.temp = looks_temporary(rest);
                        Some(p)
                    };
                    if (tool == Tool::Wget && c == 'O') || (tool == Tool::Curl && c == 'o') {
                        output = value;
                    }
                    break;
                }
            }
        } else if url.is_none() {
            url = Some(a.to_string());
        }
        i += 1;
    }
    let target = match output {
        Some(p) if p.text == "-" || p.text == "/dev/stdout" => Target::Stdout,
        Some(p) => Target::File(p),
        None if tool == Tool::Wget || remote_name => Target::Implied,
        None => Target::Stdout,
    };
    let damages = match (&target, tool) {
        (Target::File(_), Tool::Wget) => true,
        (Target::File(_), Tool::Curl) => !fail,
        _ => false,
    };
    Download {
        tool,
        target,
        url,
        fails_on_http_error: fail,
        damages_target_on_failure: damages,
        direct_to_target: true,
        final_paths: Vec::new(),
        checksum_verified: false,
        errexit,
        on_failure,
        span: cmd.span,
        order: cmd.order,
    }
}

/// Long options (curl and wget) that take a separate argument.
const LONG_WITH_ARG: &[&str] = &[
    "header",
    "user",
    "user-agent",
    "data",
    "data-binary",
    "request",
    "retry",
    "max-time",
    "connect-timeout",
    "cacert",
    "cert",
    "key",
    "proxy",
    "referer",
    "cookie",
    "output-dir",
    "config",
    "tries",
    "timeout",
    "wait",
    "directory-prefix",
    "append-output",
    "output-file",
    "limit-rate",
    "http-user",
    "http-password",
    "password",
    "ca-certificate",
    "certificate",
    "private-key",
    "retry-delay",
    "retry-max-time",
    "write-out",
    "form",
    "resolve",
];

/// `curl URL | tee PATH` (also `sudo tee`): the path tee writes.
fn tee_target(
    commands: &[Command],
    ci: usize,
    env: &Env,
    bindings: &HashMap<String, String>,
) -> Option<ShPath> {
    let cmd = &commands[ci];
    if cmd.after != Some(Op::Pipe) {
        return None;
    }
    let next = commands[ci + 1..]
        .iter()
        .find(|c| c.before == Some(Op::Pipe))?;
    let mut words = next
        .words
        .iter()
        .skip_while(|w| matches!(w.literal().as_deref(), Some("sudo" | "command" | "env")));
    let tee = words.next()?.literal()?;
    if tee != "tee" && !tee.ends_with("/tee") {
        return None;
    }
    words
        .find(|w| !w.literal().is_some_and(|t| t.starts_with('-')))
        .map(|w| env.resolve(w, bindings))
}

/// What happens when command `ci` fails.
fn on_failure(commands: &[Command], ci: usize, errexit: bool, pipefail: bool) -> OnFailure {
    let cmd = &commands[ci];
    if cmd.condition {
        return OnFailure::Handled;
    }
    // Not the last stage of a pipeline: without pipefail its status is lost, and the
    // script carries on even under errexit (`curl … | tee PATH`).
    if matches!(cmd.after, Some(Op::Pipe | Op::PipeAmp)) && !pipefail {
        return OnFailure::Continues;
    }
    match cmd.after {
        Some(Op::AndIf) => OnFailure::Handled,
        Some(Op::OrIf) => {
            let next = commands[ci + 1..]
                .iter()
                .find(|c| c.before == Some(Op::OrIf) && !c.words.is_empty());
            let name = next
                .and_then(|c| c.words.first())
                .and_then(|w| w.literal())
                .unwrap_or_default();
            match name.as_str() {
                "exit" | "return" | "die" | "fail" | "abort" | "fatal" | "error" | "false"
                | "panic" => OnFailure::Handled,
                _ => OnFailure::Ignored,
            }
        }
        _ if errexit => OnFailure::Stops,
        _ => OnFailure::Continues,
    }
}

fn move_operands(tool: &str, args: &[ShPath]) -> Option<(ShPath, ShPath)> {
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].text.as_str();
        if a == "--" {
            operands.extend(args[i + 1..].iter().cloned());
            break;
        }
        if a.starts_with('-') && a.len() > 1 {
            // install -m MODE -o USER -g GROUP take an argument.
            if tool == "install"
                && matches!(a, "-m" | "-o" | "-g" | "--mode" | "--owner" | "--group")
            {
                i += 1;
            }
            i += 1;
            continue;
        }
        operands.push(args[i].clone());
        i += 1;
    }
    if operands.len() != 2 {
        return None;
    }
    let to = operands.pop()?;
    let from = operands.pop()?;
    Some((from, to))
}

fn verb_of(w: &str) -> Option<ServiceVerb> {
    match w {
        "stop" => Some(ServiceVerb::Stop),
        "start" => Some(ServiceVerb::Start),
        "restart" | "reload-or-restart" | "try-restart" | "force-reload" => {
            Some(ServiceVerb::Restart)
        }
        _ => None,
    }
}

fn service_actions(tool: &str, args: &[&str], cmd: &Command) -> Vec<ServiceAction> {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mk = |service: &str, verb| ServiceAction {
        service: service.trim_end_matches(".service").to_string(),
        verb,
        span: cmd.span,
        order: cmd.order,
    };
    match tool {
        "systemctl" => match args.first().and_then(|v| verb_of(v)) {
            Some(verb) => args[1..].iter().map(|s| mk(s, verb)).collect(),
            None => Vec::new(),
        },
        _ => match (args.first(), args.get(1).and_then(|v| verb_of(v))) {
            (Some(s), Some(verb)) => vec![mk(s, verb)],
            _ => Vec::new(),
        },
    }
}

/// Fills `final_paths`, `direct_to_target` and `checksum_verified`.
fn link_moves_and_checksums(report: &mut ScriptReport) {
    for d in &mut report.downloads {
        let Target::File(target) = &d.target else {
            continue;
        };
        let moves: Vec<&Move> = report
            .moves
            .iter()
            .filter(|m| m.order > d.order && m.from.text == target.text)
            .collect();
        let until = moves.iter().map(|m| m.order).min().unwrap_or(usize::MAX);
        d.checksum_verified = report
            .checksums
            .iter()
            .any(|c| c.order > d.order && c.order < until);
        if moves.is_empty() {
            d.direct_to_target = !target.temp;
            d.final_paths = vec![target.clone()];
        } else {
            d.direct_to_target = false;
            d.final_paths = moves.iter().map(|m| m.to.clone()).collect();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Hazards

/// Which written paths matter to the caller.
#[derive(Clone, Copy, Debug)]
pub enum Interest<'a> {
    /// These paths (typically the executables that services run).
    Paths(&'a [&'a str]),
    /// Any path that looks executable: `*/bin/*`, `*/sbin/*`, `/usr/libexec/*`.
    ExecutablePaths,
}

/// The kinds of trouble [`ScriptReport::hazards`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HazardKind {
    /// `wget -O PATH` or `> PATH` straight onto the path: a failed download leaves it
    /// empty.
    TruncatesTarget,
    /// `curl -o PATH` without `-f` (directly, or through a temporary file moved there
    /// without a checksum check): an HTTP error page becomes the file.
    ErrorPageOnTarget,
    /// The download goes to a temporary file, but a failure does not stop the script, so
    /// the empty or partial file is moved into place anyway.
    MovesFailedDownload,
    /// No errexit and no test of the download's status: the script carries on.
    NoErrexit,
    /// `|| true` (or similar) after the download.
    FailureIgnored,
    /// A service is stopped before the download: if the download fails the service stays
    /// down (with errexit) or is started on a broken file.
    StopsServiceFirst,
}

/// One hazard, for one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub kind: HazardKind,
    /// The path that ends up damaged.
    pub path: String,
    /// The path is known exactly (not through an unresolved variable).
    pub exact: bool,
    /// The download command.
    pub span: Span,
    /// The other party: the stop command, the move.
    pub related: Option<Span>,
    /// The service stopped first ([`HazardKind::StopsServiceFirst`]).
    pub service: Option<String>,
    pub message: String,
}

/// Whether `path` is one of the caller's paths (in an inexact path `$var` matches any run
/// of characters without `/`, and template output `…` matches anything).
fn interesting(path: &ShPath, interest: Interest) -> bool {
    match interest {
        Interest::ExecutablePaths => is_exec_path(&path.text),
        Interest::Paths(paths) => paths.iter().any(|p| {
            if path.exact {
                path.text == *p
            } else {
                loose_match(&path.text, p)
            }
        }),
    }
}

/// `*/bin/*`, `*/sbin/*`, `/usr/libexec/*`.
pub fn is_exec_path(p: &str) -> bool {
    p.starts_with('/')
        && (p.contains("/bin/") || p.contains("/sbin/") || p.starts_with("/usr/libexec/"))
}

fn loose_match(pattern: &str, path: &str) -> bool {
    enum Tok {
        Byte(u8),
        /// `…`: any text, `/` included.
        Any,
        /// `$name`: any run of characters without `/`.
        Segment,
    }
    const UNKNOWN: &[u8] = "…".as_bytes();
    let mut toks = Vec::new();
    let mut p = pattern.as_bytes();
    while let Some(&c) = p.first() {
        if let Some(rest) = p.strip_prefix(UNKNOWN) {
            toks.push(Tok::Any);
            p = rest;
        } else if c == b'$' {
            let name_len = p[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            toks.push(Tok::Segment);
            p = &p[1 + name_len..];
        } else {
            toks.push(Tok::Byte(c));
            p = &p[1..];
        }
    }
    // One row of the classic wildcard table: `row[j]` is true when the tokens so far
    // match `s[..j]`. Linear in the pattern times the path, without recursion (a
    // backtracking matcher was exponential in the number of `$`/`…` parts, and recursed
    // once per byte).
    let s = path.as_bytes();
    let mut row = vec![false; s.len() + 1];
    row[0] = true;
    for t in &toks {
        match t {
            Tok::Byte(c) => {
                for j in (0..s.len()).rev() {
                    row[j + 1] = row[j] && s[j] == *c;
                }
                row[0] = false;
            }
            Tok::Any => {
                let mut seen = false;
                for cell in row.iter_mut() {
                    seen |= *cell;
                    *cell = seen;
                }
            }
            Tok::Segment => {
                let mut run = false;
                for j in 0..row.len() {
                    if j > 0 && s[j - 1] == b'/' {
                        run = false;
                    }
                    run |= row[j];
                    row[j] = run;
                }
            }
        }
    }
    row[s.len()]
}

impl ScriptReport {
    /// The hazards for the paths the caller cares about (see [`HazardKind`]). The safe
    /// idioms stay silent: a download to a temporary file moved into place after a
    /// checksum check or under errexit/`&&`; `curl -f -o`; `wget -O -` piped elsewhere.
    pub fn hazards(&self, interest: Interest) -> Vec<Hazard> {
        let mut out = Vec::new();
        for d in &self.downloads {
            for path in d.final_paths.iter().filter(|p| interesting(p, interest)) {
                let mut push =
                    |kind, related: Option<Span>, service: Option<String>, message: String| {
                        out.push(Hazard {
                            kind,
                            path: path.text.clone(),
                            exact: path.exact,
                            span: d.span,
                            related,
                            service,
                            message,
                        })
                    };
                let tool = d.tool.name();
                if d.direct_to_target {
                    if d.damages_target_on_failure && d.fails_on_http_error {
                        push(
                            HazardKind::TruncatesTarget,
                            None,
                            None,
                            format!(
                                "`{tool}` writes `{}` in place: the file is truncated before the \
                                 download starts, so a failed download leaves it empty",
                                path.text
                            ),
                        );
                    } else if d.damages_target_on_failure {
                        push(
                            HazardKind::ErrorPageOnTarget,
                            None,
                            None,
                            format!(
                                "`curl` without `-f` writes `{}` in place: on an HTTP error it \
                                 saves the error page there and exits 0",
                                path.text
                            ),
                        );
                    }
                } else if !d.checksum_verified {
                    if matches!(d.on_failure, OnFailure::Continues | OnFailure::Ignored) {
                        push(
                            HazardKind::MovesFailedDownload,
                            None,
                            None,
                            format!(
                                "the download to a temporary file is not checked, so a failed \
                                 download is still moved onto `{}`",
                                path.text
                            ),
                        );
                    } else if !d.fails_on_http_error {
                        push(
                            HazardKind::ErrorPageOnTarget,
                            None,
                            None,
                            format!(
                                "`curl` without `-f` exits 0 on an HTTP error, so the error page \
                                 is moved onto `{}`",
                                path.text
                            ),
                        );
                    }
                }
                match d.on_failure {
                    OnFailure::Continues => push(
                        HazardKind::NoErrexit,
                        None,
                        None,
                        if d.errexit {
                            format!(
                                "`{tool}` runs in a pipeline without `set -o pipefail`, so `set -e` \
                                 does not see its failure: after a failed download of `{}` the \
                                 script carries on",
                                path.text
                            )
                        } else {
                            format!(
                                "the script has no `set -e` and does not test `{tool}`'s status: \
                                 after a failed download of `{}` it carries on",
                                path.text
                            )
                        },
                    ),
                    OnFailure::Ignored if d.direct_to_target || !d.checksum_verified => push(
                        HazardKind::FailureIgnored,
                        None,
                        None,
                        format!(
                            "the failure of the download of `{}` is explicitly ignored",
                            path.text
                        ),
                    ),
                    _ => {}
                }
                for stop in self
                    .service_actions
                    .iter()
                    .filter(|a| a.verb == ServiceVerb::Stop && a.order < d.order)
                {
                    push(
                        HazardKind::StopsServiceFirst,
                        Some(stop.span),
                        Some(stop.service.clone()),
                        format!(
                            "`{}` is stopped before `{}` is downloaded: a failed download leaves \
                             the service down or starts it on a broken file",
                            stop.service, path.text
                        ),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backtracking matcher `loose_match` replaced (exponential in the `$`/`…`
    /// parts), as the reference on small inputs.
    fn loose_reference(pattern: &str, path: &str) -> bool {
        const UNKNOWN: &[u8] = "…".as_bytes();
        fn go(p: &[u8], s: &[u8]) -> bool {
            if let Some(rest) = p.strip_prefix(UNKNOWN) {
                return (0..=s.len()).any(|k| go(rest, &s[k..]));
            }
            match p.first() {
                None => s.is_empty(),
                Some(b'$') => {
                    let name_len = p[1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                        .count();
                    let rest = &p[1 + name_len..];
                    (0..=s.len())
                        .take_while(|k| *k == 0 || s[k - 1] != b'/')
                        .any(|k| go(rest, &s[k..]))
                }
                Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
            }
        }
        go(pattern.as_bytes(), path.as_bytes())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn loose_match_agrees_with_backtracking(
            pattern in "(a|b|/|é|…|\\$x|\\$|\\$_1){0,8}",
            path in "[ab/é$x]{0,10}",
        ) {
            proptest::prop_assert_eq!(
                loose_match(&pattern, &path),
                loose_reference(&pattern, &path)
            );
        }
    }
}
