//! systemd unit files: sections, entries, `Exec*=` command lines and their problems.
//!
//! [`parse_unit`] reads a unit file, a drop-in, or an ERB/EPP template of one (tags masked,
//! see [`super::template`]) and returns every `Key=Value` entry with byte spans into the
//! original text. Continuation lines (a trailing backslash) are joined the way systemd
//! joins them (systemd.syntax(7)): the backslash becomes a space, comment lines inside the
//! continued block are dropped, an empty line ends it. Every byte of a joined value keeps
//! the offset it came from, so spans point into the file even across joined lines.
//!
//! [`parse_exec`] splits an `Exec*=` value into commands (a lone `;` word separates
//! commands, `\;` is a literal semicolon word), strips the special prefixes and finds the
//! executable. [`validate_exec`] lists what systemd will not run as the author meant
//! (the checks of `unit-exec-invalid`), [`UnitFile::validate`] adds the unit-level check
//! (several `ExecStart=` in a non-oneshot service).
//!
//! Facts checked against systemd 252 (`man systemd.service`, `systemd-analyze verify` on
//! small units):
//! * Quotes (`'…'`, `"…"`) group words and are removed; C escapes are processed.
//!   `ExecStart='/bin/true'` is fine; `ExecStart="/bin/echo --bar"` makes the whole line
//!   the executable name ("Command /bin/echo --bar is not executable").
//! * `;` as its own word separates command lines ("Multiple command lines may be
//!   concatenated in a single directive by separating them with semicolons"); that still
//!   works in 252 and was soft-deprecated in systemd 257 (systemd PR #34610). Two commands
//!   in `ExecStart=` of a non-oneshot service are refused ("Service has more than one
//!   ExecStart= setting, which is only allowed for Type=oneshot services").
//! * An empty `ExecStart=` clears the list (drop-ins rely on it): not flagged.
//! * `&&`, `|`, `>` and friends are passed to the program as plain arguments (systemd
//!   accepts the unit; the program gets odd arguments). Shell syntax needs an explicit
//!   shell: `ExecStart=/bin/sh -c '…'`.
//! * The executable cannot be a variable (`${BIN}` is not expanded: "Command ${BIN} is not
//!   executable"); `$FOO`/`${FOO}` in arguments are expanded and fine.
//! * `bin/foo` and `x/bin/true` are rejected ("Neither a valid executable name nor an
//!   absolute path"). A bare name (`true`) is searched in a fixed list of directories
//!   (`systemd-path search-binaries-default`: /usr/local/sbin, /usr/local/bin, /usr/sbin,
//!   /usr/bin) since systemd 239 (NEWS "CHANGES WITH 239", systemd PR #8575); older
//!   versions reject it ("Executable path is not absolute"). systemd's own units use bare
//!   names. It is reported as its own kind
//!   ([`ExecProblemKind::BareName`]) so that a rule can decide by the fleet's version.
//! * Specifiers (`%p`, `%n`, `%i`, …) are expanded, also in the executable; they are kept
//!   as written and recognisable as [`WordPart::Specifier`].

use super::template::{self, mask, TemplateKind, CODE, UNKNOWN};
use crate::ast::Span;

/// The `Exec*=` keys whose values are command lines.
pub const EXEC_KEYS: &[&str] = &[
    "ExecStart",
    "ExecStartPre",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
    "ExecCondition",
];

/// Shells whose `-c` argument is a shell script (its content is not checked here).
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "busybox"];

/// Shell builtins that make no sense as an executable.
const SHELL_BUILTINS: &[&str] = &[
    "cd", "source", ".", "export", "set", "exec", "eval", "alias", "ulimit", "umask", "if", "for",
    "while", "test", "[",
];

// ---------------------------------------------------------------------------------------
// Values with offsets

/// A value as systemd sees it after joining continuation lines, with the source offset of
/// every byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The value text; template output appears as [`UNKNOWN`] bytes, template code as
    /// [`CODE`] bytes.
    pub text: String,
    offsets: Vec<u32>,
    /// Where an empty value sits (just after the `=`), for its span.
    anchor: u32,
}

impl Value {
    /// A value taken verbatim from `text` starting at `base` (no joined lines).
    pub fn verbatim(text: &str, base: u32) -> Value {
        let offsets = (0..text.len())
            .map(|i| base.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        Value {
            text: text.to_string(),
            offsets,
            anchor: base,
        }
    }

    /// The source span of `text[range]`.
    pub fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        if self.offsets.is_empty() {
            return Span::new(self.anchor, self.anchor);
        }
        let last = self.offsets.len() - 1;
        let start = self.offsets[range.start.min(last)];
        if range.end <= range.start {
            return Span::new(start, start);
        }
        let end = self.offsets[(range.end - 1).min(last)].saturating_add(1);
        Span::new(start, end)
    }

    /// The span of the whole value.
    pub fn span(&self) -> Span {
        self.span_of(0..self.text.len())
    }

    /// True when some of the text is produced by a template tag.
    pub fn has_template(&self) -> bool {
        self.text.bytes().any(template::is_marker)
    }

    /// The text with template markers shown as `…`.
    pub fn display(&self) -> String {
        display(&self.text)
    }

    fn push(&mut self, b: &str, offset: u32) {
        self.text.push_str(b);
        for i in 0..b.len() {
            self.offsets
                .push(offset.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)));
        }
    }

    fn trimmed(&self, range: std::ops::Range<usize>) -> Value {
        let bytes = self.text.as_bytes();
        let mut s = range.start;
        let mut e = range.end;
        while s < e && is_blank(bytes[s]) {
            s += 1;
        }
        while e > s && is_blank(bytes[e - 1]) {
            e -= 1;
        }
        let anchor = match self.offsets.get(s) {
            Some(o) => *o,
            None => self
                .offsets
                .last()
                .map_or(self.anchor, |o| o.saturating_add(1)),
        };
        Value {
            text: self.text[s..e].to_string(),
            offsets: self.offsets[s..e].to_vec(),
            anchor,
        }
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r' || b == CODE
}

/// Renders template markers as `…` (one per run).
pub fn display(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_marker = false;
    for c in text.chars() {
        if c as u32 == u32::from(UNKNOWN) || c as u32 == u32::from(CODE) {
            if !in_marker {
                out.push('…');
            }
            in_marker = true;
        } else {
            out.push(c);
            in_marker = false;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Unit files

/// A `[Section]` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    pub name: String,
    pub span: Span,
}

/// One `Key=Value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The section it belongs to; `None` before the first header (drop-in snippets and
    /// heredocs sometimes omit it; systemd itself would ignore such lines).
    pub section: Option<String>,
    pub key: String,
    pub key_span: Span,
    /// Leading and trailing whitespace removed, continuation lines joined.
    pub value: Value,
    /// From the key to the end of the value.
    pub span: Span,
}

/// A logical line that is neither a comment, a section header nor an assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitSyntaxError {
    pub message: String,
    pub span: Span,
}

/// A parsed unit file (or drop-in, or unit template).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFile {
    pub sections: Vec<SectionHeader>,
    pub entries: Vec<Entry>,
    /// Logical lines made only of template output (`<%= @extra %>`): they may hold any
    /// entries, including `ExecStart=`.
    pub unknown_lines: Vec<Span>,
    /// Lines whose key comes from a template tag (`<%= @k %>=v`).
    pub templated_keys: Vec<Span>,
    pub errors: Vec<UnitSyntaxError>,
    /// A template tag that never closes.
    pub unclosed_tag: Option<Span>,
    /// Template control-flow tags (`<% if … %>`, `<% else %>`, `<% end %>`): entries on
    /// either side of one may be exclusive alternatives. Every branch is read.
    pub code_tags: Vec<Span>,
}

/// Parses unit-file text; `kind` says whether to read it as an ERB/EPP template.
pub fn parse_unit(text: &str, kind: TemplateKind) -> UnitFile {
    let masked = mask(text, kind);
    let mut unit = UnitFile {
        unclosed_tag: masked.unclosed.as_ref().map(|u| u.span),
        code_tags: masked
            .tags
            .iter()
            .filter(|t| t.kind == template::TagKind::Code)
            .map(|t| t.span)
            .collect(),
        ..UnitFile::default()
    };
    let mut section: Option<String> = None;
    let mut logical: Option<Value> = None;
    let mut offset = 0usize;
    let body = masked.text.as_str();
    for raw in body.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let bytes = line.as_bytes();
        let mut s = 0;
        while s < bytes.len() && (bytes[s].is_ascii_whitespace() || bytes[s] == CODE) {
            s += 1;
        }
        let mut e = bytes.len();
        while e > s && (bytes[e - 1].is_ascii_whitespace() || bytes[e - 1] == CODE) {
            e -= 1;
        }
        let content = &line[s..e];
        if content.starts_with('#') || content.starts_with(';') {
            continue;
        }
        let base = u32::try_from(line_start + s).unwrap_or(u32::MAX);
        let mut current = match logical.take() {
            Some(v) => v,
            None if content.is_empty() => continue,
            None => Value {
                text: String::new(),
                offsets: Vec::new(),
                anchor: base,
            },
        };
        current.push(content, base);
        let trailing = current
            .text
            .bytes()
            .rev()
            .take_while(|b| *b == b'\\')
            .count();
        if trailing % 2 == 1 && !content.is_empty() {
            // The backslash becomes a space; it keeps the backslash's offset.
            current.text.pop();
            current.text.push(' ');
            logical = Some(current);
            continue;
        }
        finish_line(&mut unit, &mut section, current);
    }
    if let Some(current) = logical.take() {
        finish_line(&mut unit, &mut section, current);
    }
    unit
}

fn finish_line(unit: &mut UnitFile, section: &mut Option<String>, line: Value) {
    let line = line.trimmed(0..line.text.len());
    if line.text.is_empty() {
        return;
    }
    let text = line.text.as_str();
    if text.bytes().all(|b| template::is_marker(b) || is_blank(b)) {
        unit.unknown_lines.push(line.span());
        return;
    }
    if text.starts_with('[') && text.ends_with(']') {
        let name = text[1..text.len() - 1].to_string();
        *section = Some(name.clone());
        unit.sections.push(SectionHeader {
            name,
            span: line.span(),
        });
        return;
    }
    let Some(eq) = text.find('=') else {
        unit.errors.push(UnitSyntaxError {
            message: format!(
                "`{}` is neither a `Key=Value` assignment, a `[Section]` header nor a comment",
                display(text)
            ),
            span: line.span(),
        });
        return;
    };
    let key = line.trimmed(0..eq);
    if key.has_template() || key.text.is_empty() {
        unit.templated_keys.push(line.span());
        return;
    }
    let value = line.trimmed(eq + 1..text.len());
    unit.entries.push(Entry {
        section: section.clone(),
        key: key.text.clone(),
        key_span: key.span(),
        span: line.span(),
        value,
    });
}

/// `Type=` of a service, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceType {
    /// `simple`, `oneshot`, …; `None` when a template tag produces it.
    pub value: Option<String>,
    pub span: Span,
}

/// One `EnvironmentFile=` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentFile {
    /// The path after the optional `-`; specifiers and template output kept as parts.
    pub path: Word,
    /// A leading `-`: a missing file is silently ignored.
    pub optional: bool,
    pub span: Span,
}

/// One line of an `Exec*=` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecLine {
    pub key: String,
    /// The value is empty: this clears the commands set so far for this key.
    pub reset: bool,
    pub commands: Vec<ExecCommand>,
    /// Problems found while splitting the line into words (unbalanced quotes).
    pub lex_problems: Vec<ExecProblem>,
    pub span: Span,
}

impl UnitFile {
    /// Entries of the `[Service]` section (and those before any section header).
    pub fn service_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.section.as_deref(), None | Some("Service")))
    }

    /// Every `Exec*=` line in order, including the empty ones that reset a list.
    pub fn exec_lines(&self) -> Vec<ExecLine> {
        self.service_entries()
            .filter(|e| EXEC_KEYS.contains(&e.key.as_str()))
            .map(|e| {
                let parsed = parse_exec_value_for(&e.key, &e.value);
                ExecLine {
                    key: e.key.clone(),
                    reset: e.value.text.is_empty(),
                    commands: parsed.commands,
                    lex_problems: parsed.problems,
                    span: e.span,
                }
            })
            .collect()
    }

    /// The commands that take effect, per key in file order: an empty `ExecStart=` drops
    /// the `ExecStart` commands before it (and likewise for the other keys).
    pub fn exec_commands(&self) -> Vec<ExecCommand> {
        let mut out: Vec<ExecCommand> = Vec::new();
        for line in self.exec_lines() {
            if line.reset {
                out.retain(|c| c.key != line.key);
            } else {
                out.extend(line.commands);
            }
        }
        out
    }

    /// The effective `ExecStart=` commands.
    pub fn exec_start(&self) -> Vec<ExecCommand> {
        self.exec_commands()
            .into_iter()
            .filter(|c| c.key == "ExecStart")
            .collect()
    }

    /// `EnvironmentFile=` entries that take effect (an empty one clears the list).
    pub fn environment_files(&self) -> Vec<EnvironmentFile> {
        let mut out = Vec::new();
        for e in self.service_entries() {
            if e.key != "EnvironmentFile" {
                continue;
            }
            if e.value.text.is_empty() {
                out.clear();
                continue;
            }
            let optional = e.value.text.starts_with('-');
            let skip = usize::from(optional);
            let path_value = e.value.trimmed(skip..e.value.text.len());
            out.push(EnvironmentFile {
                path: plain_word(&path_value),
                optional,
                span: e.value.span(),
            });
        }
        out
    }

    /// The last `Type=` of the service, if any.
    pub fn service_type(&self) -> Option<ServiceType> {
        self.service_entries()
            .filter(|e| e.key == "Type")
            .last()
            .map(|e| ServiceType {
                value: (!e.value.has_template()).then(|| e.value.text.clone()),
                span: e.value.span(),
            })
    }

    /// The first `ExecStart=` entry of the `[Service]` section.
    fn first_exec_start(&self) -> Option<&Entry> {
        self.service_entries().find(|e| e.key == "ExecStart")
    }

    /// Whether template output before `at` may hold any entry (a line or a key produced
    /// by a tag).
    fn templated_before(&self, at: u32) -> bool {
        self.unknown_lines
            .iter()
            .chain(&self.templated_keys)
            .any(|s| s.start < at)
    }

    /// For a drop-in: its first `ExecStart=` line when it sets a command without an empty
    /// `ExecStart=` before it, in a drop-in that does not make the service `Type=oneshot`.
    /// Such a command is added to the ones the unit already has, and systemd refuses a
    /// service that is not `Type=oneshot` with more than one ("Service has more than one
    /// ExecStart= setting"). Whether the unit has one is the caller's question. `None`
    /// also when template output may hold the reset or the type (a templated value, line
    /// or key before it, a templated `Type=`).
    pub fn uncleared_exec_start(&self) -> Option<ExecProblem> {
        if let Some(t) = self.service_type() {
            if t.value.as_deref().map_or(true, |v| v == "oneshot") {
                return None;
            }
        }
        let first = self.first_exec_start()?;
        if first.value.text.is_empty()
            || first.value.has_template()
            || self.templated_before(first.span.start)
        {
            return None;
        }
        Some(ExecProblem {
            kind: ExecProblemKind::UnclearedExecStart,
            span: first.span,
            message: "this drop-in sets `ExecStart=` without an empty `ExecStart=` line before \
                      it, which adds a second command to the unit's own: systemd refuses to \
                      start a service with more than one unless it is `Type=oneshot` (\"Service \
                      has more than one ExecStart= setting\")"
                .to_string(),
        })
    }

    /// For a drop-in: whether its first `ExecStart=` line is the empty one that clears the
    /// list (so later drop-ins' commands replace the unit's).
    pub fn clears_exec_start(&self) -> bool {
        self.first_exec_start()
            .is_some_and(|e| e.value.text.is_empty())
    }

    /// For a main unit: whether a drop-in's extra `ExecStart=` makes it refuse to start:
    /// `Some(true)` when it has an `ExecStart=` command and is not `Type=oneshot`,
    /// `Some(false)` when it is `Type=oneshot` or has none, `None` when template output
    /// hides the type or the commands.
    pub fn refuses_second_exec_start(&self) -> Option<bool> {
        match self.service_type() {
            Some(t) => match t.value.as_deref() {
                Some("oneshot") => return Some(false),
                None => return None,
                Some(_) => {}
            },
            None if !self.templated_keys.is_empty() || !self.unknown_lines.is_empty() => {
                return None
            }
            None => {}
        }
        if self.exec_commands().iter().any(|c| c.key == "ExecStart") {
            Some(true)
        } else if self.unknown_lines.is_empty()
            && self
                .service_entries()
                .all(|e| e.key != "ExecStart" || !e.value.has_template())
        {
            Some(false)
        } else {
            None
        }
    }

    /// Every problem of every effective `Exec*=` command, plus several `ExecStart=`
    /// commands in a service that is not `Type=oneshot`.
    ///
    /// `dropin`: the file is a drop-in (`*.service.d/*.conf`). Without its own `Type=` a
    /// drop-in's type comes from the main unit, so the several-`ExecStart` check is
    /// skipped there. In a template, two `ExecStart=` lines with control flow between
    /// them may be alternatives and are not reported.
    pub fn validate(&self, dropin: bool) -> Vec<ExecProblem> {
        let mut problems = Vec::new();
        let mut starts: Vec<ExecCommand> = Vec::new();
        for line in self.exec_lines() {
            problems.extend(line.lex_problems.iter().cloned());
            if line.reset {
                if line.key == "ExecStart" {
                    starts.clear();
                }
                continue;
            }
            for cmd in &line.commands {
                problems.extend(validate_command(cmd));
            }
            if line.key == "ExecStart" {
                starts.extend(line.commands);
            }
        }
        let ty = self.service_type();
        let oneshot = match &ty {
            Some(t) => match &t.value {
                Some(v) => v == "oneshot",
                None => true, // produced by a template: cannot tell, stay silent
            },
            None => dropin,
        };
        if !oneshot && starts.len() > 1 {
            let type_text = match ty.and_then(|t| t.value) {
                Some(v) => format!("`Type={v}`"),
                None => "the default `Type=simple`".to_string(),
            };
            for pair in starts.windows(2) {
                let (prev, cmd) = (&pair[0], &pair[1]);
                // Two lines separated by template control flow may be alternatives
                // (`<% if %>ExecStart=a<% else %>ExecStart=b<% end %>`): not provable.
                if self
                    .code_tags
                    .iter()
                    .any(|t| t.start >= prev.span.end && t.end <= cmd.span.start)
                {
                    continue;
                }
                problems.push(ExecProblem {
                    kind: ExecProblemKind::SeveralExecStart,
                    span: cmd.span,
                    message: format!(
                        "a second `ExecStart=` command in a service with {type_text}: systemd \
                         refuses to load the unit (only `Type=oneshot` may have several; an \
                         empty `ExecStart=` line first resets the list)"
                    ),
                });
            }
        }
        problems
    }
}

// ---------------------------------------------------------------------------------------
// Words and commands

/// One piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WordPart {
    /// Text after quote removal and escapes.
    Literal(String),
    /// `%p`, `%n`, `%i`, …: a unit specifier, expanded by systemd.
    Specifier(char),
    /// `$NAME` or `${NAME}`: an environment variable, expanded by systemd in arguments.
    Env { name: String, braced: bool },
    /// Produced by a template tag: unknown.
    Unknown,
}

/// A word of a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<WordPart>,
    /// The word as written (quotes and escapes included), template bytes shown as `…`.
    pub raw: String,
    pub span: Span,
    /// The word is one quoted string from start to end (`"…"` or `'…'`).
    pub fully_quoted: bool,
    /// Contains `$(` or a backtick outside single quotes.
    pub command_substitution: bool,
}

impl Word {
    /// The word with specifiers and variables as written and unknown parts as `…`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                WordPart::Literal(t) => s.push_str(t),
                WordPart::Specifier(c) => {
                    s.push('%');
                    s.push(*c);
                }
                WordPart::Env { name, braced: true } => {
                    s.push_str("${");
                    s.push_str(name);
                    s.push('}');
                }
                WordPart::Env {
                    name,
                    braced: false,
                } => {
                    s.push('$');
                    s.push_str(name);
                }
                WordPart::Unknown => s.push('…'),
            }
        }
        s
    }

    /// The text when no part comes from a template tag.
    pub fn known(&self) -> Option<String> {
        (!self.parts.contains(&WordPart::Unknown)).then(|| self.text())
    }

    /// The specifiers used in the word.
    pub fn specifiers(&self) -> Vec<char> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                WordPart::Specifier(c) => Some(*c),
                _ => None,
            })
            .collect()
    }
}

/// What systemd will execute, as far as the text tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecPath {
    /// Fully written out (specifiers such as `%p` kept as written).
    Known(String),
    /// Starts with literal text, then a template tag: `/usr/bin/<%= @x %>`.
    Partial { prefix: String },
    /// The executable comes from a template tag.
    Unknown,
}

impl ExecPath {
    pub fn known(&self) -> Option<&str> {
        match self {
            ExecPath::Known(p) => Some(p),
            _ => None,
        }
    }
}

/// The special executable prefixes of systemd.service(5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prefixes {
    /// `-`: a failure exit status is ignored.
    pub ignore_failure: bool,
    /// `@`: the second word is `argv[0]`.
    pub custom_argv0: bool,
    /// `:`: no environment variable substitution.
    pub no_env_expansion: bool,
    /// `+`: full privileges.
    pub full_privileges: bool,
    /// `!`: elevated privileges without user/group changes.
    pub elevated: bool,
    /// `!!`: like `!`, only on systems without ambient capabilities.
    pub ambient_fallback: bool,
}

/// One command of an `Exec*=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCommand {
    /// `ExecStart`, `ExecStartPre`, … (`""` for a command given outside a unit file).
    pub key: String,
    pub prefixes: Prefixes,
    /// The executable word with its prefixes removed (`None`: the line is only prefixes).
    pub executable: Option<Word>,
    pub path: ExecPath,
    /// `argv[0]` when the `@` prefix is used.
    pub argv0: Option<Word>,
    /// The arguments after the executable (and after `argv[0]` with `@`).
    pub args: Vec<Word>,
    /// Every word as written, prefixes included (index 0 is the executable word).
    pub words: Vec<Word>,
    pub span: Span,
}

/// The result of splitting one `Exec*=` value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedExec {
    pub commands: Vec<ExecCommand>,
    pub problems: Vec<ExecProblem>,
}

/// What is wrong with a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecProblemKind {
    /// `&&`, `||`, `|`, `&`, `>`, `2>&1`, `<`, or a word ending in `;`, without a shell.
    ShellOperator(String),
    /// `$(…)` or backticks: systemd does no command substitution.
    CommandSubstitution,
    /// `*`, `?` or `[` in the executable: systemd does not glob.
    GlobInExecutable,
    /// `ExecStart="/usr/bin/foo --bar"`: the whole line is one (nonexistent) file name.
    QuotedWholeCommand,
    /// `bin/foo`, `./foo`: rejected by systemd.
    RelativePath,
    /// `foo`: searched in fixed directories by systemd ≥ 239, rejected before.
    BareName,
    /// `cd`, `export`, `source`…: shell builtins, not programs.
    ShellBuiltin(String),
    /// `${BIN} --x`: the executable is never expanded.
    VariableExecutable,
    /// `=/usr/bin/foo`, `- /usr/bin/foo`, `\/usr/bin/foo`: characters before the path.
    StrayBeforePath,
    /// A `;`-separated part with no words.
    EmptyCommand,
    /// A quote that never closes.
    UnbalancedQuote,
    /// Several `ExecStart=` commands in a service that is not `Type=oneshot`.
    SeveralExecStart,
    /// A drop-in's `ExecStart=` command added to the unit's own without clearing them.
    UnclearedExecStart,
}

impl ExecProblemKind {
    /// Whether the problem holds for the fleet's systemd `version` (`None`: a current
    /// one). Only [`ExecProblemKind::BareName`] depends on it: accepted since systemd 239.
    pub fn applies_to(&self, version: Option<u32>) -> bool {
        match self {
            ExecProblemKind::BareName => version.is_some_and(|v| v < 239),
            _ => true,
        }
    }
}

/// One problem with its span and a message that states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecProblem {
    pub kind: ExecProblemKind,
    pub span: Span,
    pub message: String,
}

/// Splits a command line given as plain text (a define parameter, a timer job's command):
/// spans are relative to `cmd`.
pub fn parse_exec(cmd: &str) -> ParsedExec {
    parse_exec_value(&Value::verbatim(cmd, 0))
}

/// Checks a command line given as plain text; spans are relative to `cmd`.
pub fn validate_exec(cmd: &str) -> Vec<ExecProblem> {
    let parsed = parse_exec(cmd);
    let mut out = parsed.problems;
    for c in &parsed.commands {
        out.extend(validate_command(c));
    }
    out
}

/// Splits an `Exec*=` value into commands.
pub fn parse_exec_value(value: &Value) -> ParsedExec {
    let (words, problems) = split_words(value);
    let mut parsed = ParsedExec {
        commands: Vec::new(),
        problems,
    };
    let mut current: Vec<Word> = Vec::new();
    let mut sep_span = value.span_of(0..0);
    let flush = |current: &mut Vec<Word>, sep: Span, parsed: &mut ParsedExec| {
        if current.is_empty() {
            parsed.problems.push(ExecProblem {
                kind: ExecProblemKind::EmptyCommand,
                span: sep,
                message: "an empty command next to `;`".to_string(),
            });
        } else {
            parsed
                .commands
                .push(build_command(std::mem::take(current), ""));
        }
    };
    for w in words {
        if w.raw == ";" {
            flush(&mut current, w.span, &mut parsed);
            sep_span = w.span;
        } else {
            current.push(w);
        }
    }
    if !current.is_empty() || !parsed.commands.is_empty() {
        flush(&mut current, sep_span, &mut parsed);
    }
    parsed
}

fn parse_exec_value_for(key: &str, value: &Value) -> ParsedExec {
    let mut p = parse_exec_value(value);
    for c in &mut p.commands {
        c.key = key.to_string();
    }
    p
}

/// Words of a command line after systemd's quoting rules.
fn split_words(value: &Value) -> (Vec<Word>, Vec<ExecProblem>) {
    let bytes = value.text.as_bytes();
    let text = value.text.as_str();
    let mut words = Vec::new();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        let mut parts: Vec<WordPart> = Vec::new();
        let mut lit = String::new();
        let mut quote: Option<u8> = None;
        let mut quote_start = 0;
        let mut quoted_segments = 0;
        let mut unquoted_chars = 0;
        let mut subst = false;
        let mut only_code = true;
        while i < bytes.len() {
            let b = bytes[i];
            if quote.is_none() && (b == b' ' || b == b'\t') {
                break;
            }
            if b != CODE {
                only_code = false;
            }
            if template::is_marker(b) {
                flush_lit(&mut lit, &mut parts);
                if parts.last() != Some(&WordPart::Unknown) {
                    parts.push(WordPart::Unknown);
                }
                i += 1;
                continue;
            }
            match (quote, b) {
                (None, b'\'' | b'"') => {
                    quote = Some(b);
                    quote_start = i;
                    quoted_segments += 1;
                    i += 1;
                }
                (Some(q), _) if b == q => {
                    quote = None;
                    i += 1;
                }
                (_, b'\\') if i + 1 < bytes.len() => {
                    if quote.is_none() {
                        unquoted_chars += 1;
                    }
                    let n = bytes[i + 1];
                    match n {
                        b'n' => lit.push('\n'),
                        b't' => lit.push('\t'),
                        b's' => lit.push(' '),
                        b'a' => lit.push('\u{7}'),
                        b'b' => lit.push('\u{8}'),
                        b'f' => lit.push('\u{c}'),
                        b'r' => lit.push('\r'),
                        b'v' => lit.push('\u{b}'),
                        b';' | b'\\' | b'"' | b'\'' => lit.push(n as char),
                        _ => {
                            // systemd keeps unknown escapes as written (with a warning):
                            // `\/bin/true` stays `\/bin/true`.
                            let ch = text[i + 1..].chars().next().unwrap_or('\\');
                            lit.push('\\');
                            lit.push(ch);
                            i += ch.len_utf8() - 1;
                        }
                    }
                    i += 2;
                }
                (_, b'%') => {
                    if quote.is_none() {
                        unquoted_chars += 1;
                    }
                    match bytes.get(i + 1) {
                        Some(b'%') => {
                            lit.push('%');
                            i += 2;
                        }
                        Some(c) if c.is_ascii_alphabetic() => {
                            flush_lit(&mut lit, &mut parts);
                            parts.push(WordPart::Specifier(*c as char));
                            i += 2;
                        }
                        _ => {
                            lit.push('%');
                            i += 1;
                        }
                    }
                }
                (q, b'$') => {
                    if quote.is_none() {
                        unquoted_chars += 1;
                    }
                    let next = bytes.get(i + 1).copied();
                    if next == Some(b'(') && q != Some(b'\'') {
                        subst = true;
                        lit.push('$');
                        i += 1;
                    } else if next == Some(b'$') {
                        lit.push('$');
                        i += 2;
                    } else if next == Some(b'{') {
                        let close = text[i + 2..].find('}').map(|p| p + i + 2);
                        match close {
                            Some(c) if is_var_name(&text[i + 2..c]) => {
                                flush_lit(&mut lit, &mut parts);
                                parts.push(WordPart::Env {
                                    name: text[i + 2..c].to_string(),
                                    braced: true,
                                });
                                i = c + 1;
                            }
                            _ => {
                                lit.push('$');
                                i += 1;
                            }
                        }
                    } else {
                        let len = bytes[i + 1..]
                            .iter()
                            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                            .count();
                        if len > 0 && !bytes[i + 1].is_ascii_digit() {
                            flush_lit(&mut lit, &mut parts);
                            parts.push(WordPart::Env {
                                name: text[i + 1..i + 1 + len].to_string(),
                                braced: false,
                            });
                            i += 1 + len;
                        } else {
                            lit.push('$');
                            i += 1;
                        }
                    }
                }
                (q, b'`') => {
                    if q != Some(b'\'') {
                        subst = true;
                    }
                    if quote.is_none() {
                        unquoted_chars += 1;
                    }
                    lit.push('`');
                    i += 1;
                }
                _ => {
                    if quote.is_none() {
                        unquoted_chars += 1;
                    }
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    lit.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        if let Some(q) = quote {
            problems.push(ExecProblem {
                kind: ExecProblemKind::UnbalancedQuote,
                span: value.span_of(quote_start..i),
                message: format!(
                    "the quote `{}` never closes: systemd rejects this command line",
                    q as char
                ),
            });
        }
        flush_lit(&mut lit, &mut parts);
        if only_code {
            continue;
        }
        words.push(Word {
            parts,
            raw: display(&text[start..i]),
            span: value.span_of(start..i),
            fully_quoted: quoted_segments == 1 && unquoted_chars == 0,
            command_substitution: subst,
        });
    }
    (words, problems)
}

fn flush_lit(lit: &mut String, parts: &mut Vec<WordPart>) {
    if !lit.is_empty() {
        parts.push(WordPart::Literal(std::mem::take(lit)));
    }
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

/// A path-like value (EnvironmentFile=): specifiers and template output recognised, no
/// quote processing.
fn plain_word(value: &Value) -> Word {
    let bytes = value.text.as_bytes();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if template::is_marker(b) {
            flush_lit(&mut lit, &mut parts);
            if parts.last() != Some(&WordPart::Unknown) {
                parts.push(WordPart::Unknown);
            }
            i += 1;
        } else if b == b'%' && bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
            flush_lit(&mut lit, &mut parts);
            parts.push(WordPart::Specifier(bytes[i + 1] as char));
            i += 2;
        } else {
            let ch = value.text[i..].chars().next().unwrap_or(' ');
            lit.push(ch);
            i += ch.len_utf8();
        }
    }
    flush_lit(&mut lit, &mut parts);
    Word {
        parts,
        raw: value.display(),
        span: value.span(),
        fully_quoted: false,
        command_substitution: false,
    }
}

/// Removes the special prefixes from the first word and identifies the executable.
fn build_command(mut words: Vec<Word>, key: &str) -> ExecCommand {
    let span = match (words.first(), words.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    let mut prefixes = Prefixes::default();
    let mut executable = words.first().cloned();
    if let Some(first) = executable.as_mut() {
        if let Some(WordPart::Literal(t)) = first.parts.first_mut() {
            let stripped = strip_prefixes(t, &mut prefixes);
            if stripped > 0 && !first.raw.starts_with(['"', '\'']) {
                t.drain(..stripped);
                if t.is_empty() {
                    first.parts.remove(0);
                }
                first.raw.drain(..stripped.min(first.raw.len()));
                first.fully_quoted = is_one_quoted_string(&first.raw);
                first.span.start = first
                    .span
                    .start
                    .saturating_add(u32::try_from(stripped).unwrap_or(0));
            }
        }
    }
    let executable = executable.filter(|w| !w.parts.is_empty());
    let path = match &executable {
        None => ExecPath::Unknown,
        Some(w) => match w.parts.first() {
            Some(WordPart::Unknown) | None => ExecPath::Unknown,
            _ => match w.known() {
                Some(k) => ExecPath::Known(k),
                None => {
                    let prefix: String = w
                        .parts
                        .iter()
                        .take_while(|p| **p != WordPart::Unknown)
                        .map(|p| Word {
                            parts: vec![p.clone()],
                            raw: String::new(),
                            span: Span::default(),
                            fully_quoted: false,
                            command_substitution: false,
                        })
                        .map(|w| w.text())
                        .collect();
                    ExecPath::Partial { prefix }
                }
            },
        },
    };
    let rest = if words.is_empty() {
        Vec::new()
    } else {
        words.split_off(1)
    };
    let (argv0, args) = if prefixes.custom_argv0 && !rest.is_empty() {
        let mut rest = rest;
        let args = rest.split_off(1);
        (rest.pop(), args)
    } else {
        (None, rest)
    };
    let mut all = words;
    all.extend(argv0.iter().cloned());
    all.extend(args.iter().cloned());
    ExecCommand {
        key: key.to_string(),
        prefixes,
        executable,
        path,
        argv0,
        args,
        words: all,
        span,
    }
}

/// Strips `-@:+!` prefixes (in any order, `!!` as one), returns the number of bytes.
fn strip_prefixes(t: &str, p: &mut Prefixes) -> usize {
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' => p.ignore_failure = true,
            b'@' => p.custom_argv0 = true,
            b':' => p.no_env_expansion = true,
            b'+' => p.full_privileges = true,
            b'!' if b.get(i + 1) == Some(&b'!') => {
                p.ambient_fallback = true;
                i += 1;
            }
            b'!' => p.elevated = true,
            _ => break,
        }
        i += 1;
    }
    i
}

/// `"…"` or `'…'` with no other quote of the same kind inside.
fn is_one_quoted_string(raw: &str) -> bool {
    [b'"', b'\''].iter().any(|q| {
        let b = raw.as_bytes();
        b.len() >= 2 && b[0] == *q && b[b.len() - 1] == *q && !b[1..b.len() - 1].contains(q)
    })
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Where the shell script of an explicit `sh -c` starts: the index (into `words`) of the
/// script word, if the command is `SHELL [opts] -c SCRIPT …` or `env [VAR=x…] SHELL … -c`.
fn shell_script_index(cmd: &ExecCommand) -> Option<usize> {
    let exe = cmd.path.known()?;
    let mut idx = 1 + usize::from(cmd.argv0.is_some());
    let mut name = basename(exe).to_string();
    if name == "env" {
        while let Some(w) = cmd.words.get(idx) {
            let t = w.text();
            if t.contains('=') || t.starts_with('-') {
                idx += 1;
            } else {
                break;
            }
        }
        name = basename(&cmd.words.get(idx)?.text()).to_string();
        idx += 1;
    }
    if !SHELLS.contains(&name.as_str()) {
        return None;
    }
    while let Some(w) = cmd.words.get(idx) {
        let t = w.text();
        if !t.starts_with('-') || t.starts_with("--") && t != "--" {
            if t.starts_with("--") {
                idx += 1;
                continue;
            }
            return None;
        }
        if t == "-o" || t == "+o" {
            idx += 2;
            continue;
        }
        if t[1..].contains('c') {
            return Some(idx + 1);
        }
        idx += 1;
    }
    None
}

fn operator_of(raw: &str) -> Option<String> {
    const EXACT: &[&str] = &["&&", "||", "|", "&", "|&", ";;"];
    if EXACT.contains(&raw) {
        return Some(raw.to_string());
    }
    let digits = raw.bytes().take_while(|b| b.is_ascii_digit()).count();
    let rest = &raw[digits..];
    for op in [">>", ">&", ">|", ">", "<<<", "<<", "<&", "<"] {
        if rest.starts_with(op) {
            return Some(op.to_string());
        }
    }
    if digits == 0 && (raw.starts_with("&>")) {
        return Some("&>".to_string());
    }
    if raw.len() > 1 && raw.ends_with(';') && !raw.ends_with("\\;") {
        return Some(";".to_string());
    }
    None
}

/// Checks one command (see the module documentation for the facts behind each check).
pub fn validate_command(cmd: &ExecCommand) -> Vec<ExecProblem> {
    let mut out = Vec::new();
    let first = cmd.words.first();
    let Some(exe) = &cmd.executable else {
        if let Some(w) = first {
            out.push(ExecProblem {
                kind: ExecProblemKind::StrayBeforePath,
                span: w.span,
                message: format!(
                    "`{}` is only prefixes: a prefix must be written directly before the path, \
                     without a space",
                    w.raw
                ),
            });
        }
        return out;
    };
    check_executable(cmd, exe, &mut out);
    let script = shell_script_index(cmd);
    for (i, w) in cmd.words.iter().enumerate().skip(1) {
        if cmd.argv0.is_some() && i == 1 {
            continue;
        }
        // Inside an explicit shell's script: not ours to check, unless the script word was
        // not quoted and operators follow it (the shell gets only the first word).
        let after_script = script.filter(|s| i >= *s);
        if let Some(s) = after_script {
            let script_quoted = cmd
                .words
                .get(s)
                .is_some_and(|w| w.raw.contains(['\'', '"']));
            if i == s || script_quoted {
                continue;
            }
        }
        if let Some(op) = operator_of(&w.raw) {
            let message = match after_script {
                Some(s) => format!(
                    "`{op}` follows an unquoted `-c` script: the shell runs only `{}`; quote \
                     the whole script",
                    cmd.words[s].raw
                ),
                None => format!(
                    "`{op}` is shell syntax: systemd passes `{}` to the program as an argument; \
                     use an explicit shell (`/bin/sh -c '…'`)",
                    w.raw
                ),
            };
            out.push(ExecProblem {
                kind: ExecProblemKind::ShellOperator(op),
                span: w.span,
                message,
            });
        } else if w.command_substitution && after_script.is_none() {
            out.push(ExecProblem {
                kind: ExecProblemKind::CommandSubstitution,
                span: w.span,
                message: format!(
                    "`{}` uses command substitution, which systemd does not perform; use an \
                     explicit shell (`/bin/sh -c '…'`)",
                    w.raw
                ),
            });
        }
    }
    out
}

fn check_executable(cmd: &ExecCommand, exe: &Word, out: &mut Vec<ExecProblem>) {
    let mut push = |kind, message: String| {
        out.push(ExecProblem {
            kind,
            span: exe.span,
            message,
        })
    };
    if exe.command_substitution {
        push(
            ExecProblemKind::CommandSubstitution,
            format!("the executable `{}` uses command substitution", exe.raw),
        );
        return;
    }
    if matches!(exe.parts.first(), Some(WordPart::Env { .. })) {
        push(
            ExecProblemKind::VariableExecutable,
            format!(
                "the executable `{}` is a variable: systemd expands variables only in \
                 arguments, never in the program name",
                exe.raw
            ),
        );
        return;
    }
    let text = match &cmd.path {
        ExecPath::Known(t) => t.clone(),
        ExecPath::Partial { prefix } => prefix.clone(),
        ExecPath::Unknown => return,
    };
    if exe.fully_quoted && text.contains([' ', '\t']) {
        push(
            ExecProblemKind::QuotedWholeCommand,
            format!(
                "the whole command `{}` is quoted as one word: systemd looks for a program \
                 named `{text}`; quote only the arguments that need it",
                exe.raw
            ),
        );
        return;
    }
    if let Some(op) = operator_of(&exe.raw) {
        push(
            ExecProblemKind::ShellOperator(op),
            format!("`{}` is shell syntax, not a program", exe.raw),
        );
        return;
    }
    if text.contains(['*', '?', '[']) {
        push(
            ExecProblemKind::GlobInExecutable,
            format!(
                "the executable `{text}` contains glob characters: systemd does not expand \
                 them and looks for a file with exactly this name"
            ),
        );
        return;
    }
    if text.starts_with('/') || text.starts_with('%') {
        return;
    }
    if let Some(slash) = text.find('/') {
        let before = &text[..slash];
        let dir_like = before
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if dir_like {
            push(
                ExecProblemKind::RelativePath,
                format!(
                    "`{text}` is a relative path: systemd rejects it (\"Neither a valid \
                     executable name nor an absolute path\"); write the absolute path"
                ),
            );
        } else {
            push(
                ExecProblemKind::StrayBeforePath,
                format!(
                    "`{before}` before the path `{}`: systemd rejects this executable",
                    &text[slash..]
                ),
            );
        }
        return;
    }
    if matches!(cmd.path, ExecPath::Partial { .. }) {
        return;
    }
    if SHELL_BUILTINS.contains(&text.as_str()) {
        push(
            ExecProblemKind::ShellBuiltin(text.clone()),
            format!(
                "`{text}` is a shell builtin, not a program: systemd cannot run it; use \
                 `/bin/sh -c '…'`"
            ),
        );
        return;
    }
    let first = text.bytes().next().unwrap_or(b' ');
    if !(first.is_ascii_alphanumeric() || first == b'_') {
        push(
            ExecProblemKind::StrayBeforePath,
            format!("`{text}` does not start like a program name or an absolute path"),
        );
        return;
    }
    push(
        ExecProblemKind::BareName,
        format!(
            "`{text}` is not an absolute path: systemd 239 and later search a fixed list of \
             directories (/usr/local/bin, /usr/bin, …), older versions reject it"
        ),
    );
}

/// Expands the specifiers that depend only on the unit name: `%n` (full name), `%N`
/// (without the type suffix), `%p` (prefix: before `@`, or the name without suffix), `%i`
/// (instance, after `@`), `%%`. Other specifiers are left as written.
pub fn expand_specifiers(text: &str, unit_name: &str) -> String {
    let without_suffix = match unit_name.rfind('.') {
        Some(dot) => &unit_name[..dot],
        None => unit_name,
    };
    let (prefix, instance) = match without_suffix.find('@') {
        Some(at) => (&without_suffix[..at], &without_suffix[at + 1..]),
        None => (without_suffix, ""),
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') => out.push_str(unit_name),
            Some('N') => out.push_str(without_suffix),
            Some('p') => out.push_str(prefix),
            Some('i') => out.push_str(instance),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => {
                out.push('%');
                continue;
            }
        }
        chars.next();
    }
    out
}
