//! Inline suppression comments.
//!
//! ```puppet
//! file { '/usr/bin/tool': ensure => link, target => '/srv/deploy/tool' } # preflight:ignore:link-target-unmanaged scap3 deploys it
//!
//! # preflight:ignore:link-over-binary,binary-without-backup moving to the package, T1234
//! file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }
//! # preflight:endignore
//! ```
//!
//! - `# preflight:ignore:<rules> <reason>` **after code** on a line covers findings that
//!   start on that line.
//! - The same comment **on a line of its own** opens a block that covers every line up
//!   to the matching `# preflight:endignore`. Blocks nest; `endignore` closes the most
//!   recent one. A block never closed runs to the end of the file (and is reported).
//! - `<rules>` is one rule name or several separated by commas (no spaces). Several
//!   `preflight:ignore:` tokens in one comment are also accepted. Everything after the
//!   last token is the reason; it is kept in the finding (`suppressed`).
//! - Suppressed findings are kept and marked; they never fail the run.
//! - Problems with the comments are findings of their own (severity `info`):
//!   `invalid-suppression` (unknown rule, no rule, no reason, unknown `preflight:`
//!   directive, `endignore` with no open block, block never closed) and
//!   `unused-suppression` (a rule named that suppressed nothing in this run). Both are
//!   reported only for comments the change adds to a file (a comment line absent from
//!   the file's base version): findings are computed for what the change touches, so an
//!   older suppression elsewhere in the file may legitimately be idle. A rule that is
//!   not selected, turned off, or not implemented yet never makes a comment "unused".
//!
//! In manifests, the comments are the parser's ([`crate::parser::Parsed::comments`]):
//! its lexer knows strings, interpolation, heredocs and regexes, so a `#` inside one is
//! never a suppression, and a `/* */` comment holds none. In other files (templates,
//! scripts), a `#` at the start of a line or after whitespace starts a comment.

use std::collections::BTreeMap;

use crate::ast::Span;
use crate::diagnostic::{Finding, LineIndex, Location, Side};
use crate::input::FileStatus;
use crate::rules::Context;
use crate::rules::{invalid_suppression, registry, unused_suppression};

/// A `#` comment in a source file: from the `#` to the end of the line (newline
/// excluded), and whether code precedes it on its line.
pub use crate::parser::Comment;

/// A parsed `preflight:` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `preflight:ignore:a,b reason`
    Ignore { rules: Vec<String>, reason: String },
    /// `preflight:endignore`
    EndIgnore,
    /// Starts with `preflight:` but is neither; the message says why.
    Malformed(String),
}

/// Parse the text of a comment (after the `#`). `None` when it is not a `preflight:`
/// comment.
pub fn parse_directive(comment: &str) -> Option<Directive> {
    let body = comment.trim_start_matches('#').trim();
    let rest = body.strip_prefix("preflight:")?;
    if rest == "endignore" || rest.starts_with("endignore ") || rest.starts_with("endignore\t") {
        return Some(Directive::EndIgnore);
    }
    if !rest.starts_with("ignore") {
        let word = rest.split_whitespace().next().unwrap_or("");
        return Some(Directive::Malformed(format!(
            "unknown directive `preflight:{word}`; expected `preflight:ignore:<rule> <reason>` \
             or `preflight:endignore`"
        )));
    }
    let mut rules = Vec::new();
    let mut words = body.split_whitespace().peekable();
    let mut reason_words = Vec::new();
    while let Some(w) = words.next() {
        if let Some(list) = w.strip_prefix("preflight:ignore") {
            let Some(list) = list.strip_prefix(':').filter(|l| !l.is_empty()) else {
                return Some(Directive::Malformed(
                    "`preflight:ignore` names no rule; write `preflight:ignore:<rule> <reason>`"
                        .to_owned(),
                ));
            };
            rules.extend(list.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
        } else {
            reason_words.push(w);
            reason_words.extend(words.by_ref());
        }
    }
    Some(Directive::Ignore {
        rules,
        reason: reason_words.join(" "),
    })
}

/// The `#` comments of a Puppet manifest, as the parser's lexer finds them: strings
/// (single, double with `${…}` interpolation), heredoc bodies, regexes and `/* */`
/// comments are not searched.
pub fn puppet_comments(src: &str) -> Vec<Comment> {
    hash_only(crate::parser::lexer::lex(src).comments, src)
}

/// The `#` comments among a manifest's comments (`/* */` ones never hold a suppression).
fn hash_only(comments: impl IntoIterator<Item = Comment>, src: &str) -> Vec<Comment> {
    comments
        .into_iter()
        .filter(|c| src.as_bytes().get(c.span.start as usize) == Some(&b'#'))
        .collect()
}

/// Comments in a file that is not a manifest: `#` at the start of a line or after
/// whitespace, to the end of the line.
pub fn hash_comments(src: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in src.split_inclusive('\n') {
        let b = line.as_bytes();
        for (k, &c) in b.iter().enumerate() {
            if c == b'#' && (k == 0 || b[k - 1] == b' ' || b[k - 1] == b'\t') {
                let end = line.trim_end_matches(['\n', '\r']).len();
                out.push(Comment {
                    span: Span::new((start + k) as u32, (start + end) as u32),
                    trailing: !line[..k].trim().is_empty(),
                });
                break;
            }
        }
        start += line.len();
    }
    out
}

/// One suppression comment of a file, resolved to the lines it covers.
#[derive(Debug)]
struct Region {
    rules: Vec<String>,
    reason: String,
    /// 0-based, inclusive.
    first_line: usize,
    last_line: usize,
    comment: Span,
    /// Per rule of `rules`: whether it suppressed something.
    used: Vec<bool>,
}

/// A problem with a comment, before it becomes an `invalid-suppression` finding.
#[derive(Debug)]
struct Problem {
    comment: Span,
    message: String,
}

/// The suppression regions and comment problems of one file, from its `#` comments.
fn regions(text: &str, comments: Vec<Comment>) -> (Vec<Region>, Vec<Problem>) {
    let index = LineIndex::new(text);
    let last_line = index.line_count().saturating_sub(1);
    let mut regions = Vec::new();
    let mut problems = Vec::new();
    let mut open: Vec<Region> = Vec::new();
    for c in comments {
        let Some(d) = parse_directive(&text[c.span.range()]) else {
            continue;
        };
        let line = index.line_of(c.span.start);
        match d {
            Directive::Malformed(message) => problems.push(Problem {
                comment: c.span,
                message,
            }),
            Directive::EndIgnore => match open.pop() {
                Some(mut r) => {
                    r.last_line = line;
                    regions.push(r);
                }
                None => problems.push(Problem {
                    comment: c.span,
                    message: "`preflight:endignore` closes no `preflight:ignore` block".into(),
                }),
            },
            Directive::Ignore { rules, reason } => {
                if reason.is_empty() {
                    problems.push(Problem {
                        comment: c.span,
                        message: "suppression gives no reason; add one after the rule names".into(),
                    });
                }
                let used = vec![false; rules.len()];
                let r = Region {
                    rules,
                    reason,
                    first_line: line,
                    last_line: line,
                    comment: c.span,
                    used,
                };
                if c.trailing {
                    regions.push(r);
                } else {
                    open.push(r);
                }
            }
        }
    }
    for mut r in open {
        problems.push(Problem {
            comment: r.comment,
            message: "`preflight:ignore` block is never closed by `# preflight:endignore`; it \
                      covers the rest of the file"
                .into(),
        });
        r.last_line = last_line;
        regions.push(r);
    }
    (regions, problems)
}

/// Mark the findings covered by suppression comments (`Finding::suppressed`), and return
/// the findings about the comments themselves (`unused-suppression`,
/// `invalid-suppression`) for comments the change adds.
pub fn apply(cx: &Context<'_>, findings: &mut [Finding]) -> Vec<Finding> {
    // Files to read: those with findings, and the after side of every changed file.
    let mut files: BTreeMap<(Side, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        files
            .entry((f.location.side, f.location.file.clone()))
            .or_default()
            .push(i);
    }
    // After-side changed files, with the base path to compare new comments against.
    let mut changed: BTreeMap<String, Option<String>> = BTreeMap::new();
    for fc in &cx.change.files {
        // Binary files (also those too large to tell, or missing from a partial clone)
        // carry no comments: not read. Manifests are read as text whatever they are.
        if fc.status == FileStatus::Deleted
            || (fc.binary
                && !fc
                    .new_path
                    .as_deref()
                    .is_some_and(crate::rules::is_manifest))
        {
            continue;
        }
        if let Some(p) = &fc.new_path {
            changed.insert(p.clone(), fc.old_path.clone());
            files.entry((Side::After, p.clone())).or_default();
        }
    }

    let mut meta = Vec::new();
    for ((side, path), idxs) in files {
        let Some((text, comments)) = file_comments(cx, side, &path) else {
            continue;
        };
        let (mut regions, problems) = regions(&text, comments);
        if regions.is_empty() && problems.is_empty() {
            continue;
        }
        let index = LineIndex::new(&text);
        for i in idxs {
            let f = &mut findings[i];
            let line = index.line_of(f.location.span.start);
            // The innermost (last opened) region that covers the line and names the rule.
            for r in regions.iter_mut().rev() {
                if line < r.first_line || line > r.last_line {
                    continue;
                }
                if let Some(k) = r.rules.iter().position(|n| n == f.rule) {
                    r.used[k] = true;
                    f.suppressed = Some(r.reason.clone());
                    break;
                }
            }
        }
        // Comments about comments: only after-side files of the change, new lines only.
        if side != Side::After || !changed.contains_key(&path) {
            continue;
        }
        let base_lines = changed
            .get(&path)
            .and_then(|old| old.as_deref())
            .and_then(|old| file_text(cx, Side::Before, old))
            .map(|t| t.lines().map(|l| l.trim().to_owned()).collect::<Vec<_>>())
            .unwrap_or_default();
        let is_new = |span: Span| {
            let line = index.line_of(span.start);
            let start = index.line_start(line) as usize;
            let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
            let l = text[start..end].trim();
            !base_lines.iter().any(|b| b == l)
        };
        let at = |span: Span| Location {
            side: Side::After,
            file: path.clone(),
            span,
        };
        let rule = &invalid_suppression::RULE;
        if cx.selection.is_active(rule) {
            for p in problems.iter().filter(|p| is_new(p.comment)) {
                meta.push(crate::rules::finding(
                    rule,
                    at(p.comment),
                    p.message.clone(),
                ));
            }
            for r in regions.iter().filter(|r| is_new(r.comment)) {
                for name in &r.rules {
                    if registry::lookup(name).is_none() {
                        let mut f = crate::rules::finding(
                            rule,
                            at(r.comment),
                            format!("suppression names an unknown rule `{name}`"),
                        );
                        f.help = Some(match registry::suggest(name) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "`puppet-preflight rules` lists every rule".into(),
                        });
                        meta.push(f);
                    }
                }
            }
        }
        let rule = &unused_suppression::RULE;
        if cx.selection.is_active(rule) {
            for r in regions.iter().filter(|r| is_new(r.comment)) {
                for (name, used) in r.rules.iter().zip(&r.used) {
                    let Some(target) = registry::lookup(name) else {
                        continue;
                    };
                    if *used || !target.implemented() || !cx.selection.is_active(target) {
                        continue;
                    }
                    let mut f = crate::rules::finding(
                        rule,
                        at(r.comment),
                        format!("suppression of `{name}` matches no finding"),
                    );
                    f.help = Some(
                        "remove it, or move it onto the line the finding is reported on".into(),
                    );
                    meta.push(f);
                }
            }
        }
    }
    meta
}

/// The text of a file and its `#` comments: a manifest's from its parse (the lexer's),
/// another file's by [`hash_comments`].
fn file_comments(
    cx: &Context<'_>,
    side: Side,
    path: &str,
) -> Option<(std::sync::Arc<str>, Vec<Comment>)> {
    if let Some(m) = cx.manifest(side, path) {
        let comments = hash_only(m.parsed.comments.iter().copied(), &m.text);
        return Some((m.text.clone(), comments));
    }
    let text = file_text(cx, side, path)?;
    let comments = if crate::rules::is_manifest(path) {
        // Not among the parsed manifests (their parse failed as a whole, which is
        // reported): lexed here, and a failure of the lexer costs only the comments.
        crate::isolate::catch(|| format!("the lexer ({path})"), || puppet_comments(&text))
            .unwrap_or_default()
    } else {
        hash_comments(&text)
    };
    Some((text, comments))
}

fn file_text(cx: &Context<'_>, side: Side, path: &str) -> Option<std::sync::Arc<str>> {
    if let Some(m) = cx.manifest(side, path) {
        return Some(m.text.clone());
    }
    let tree = match side {
        Side::Before => &cx.change.before.tree,
        Side::After => &cx.change.after.tree,
    };
    tree.text(path).map(std::sync::Arc::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<(&str, bool)> {
        puppet_comments(src)
            .into_iter()
            .map(|c| (&src[c.span.range()], c.trailing))
            .collect()
    }

    #[test]
    fn comments_outside_strings_only() {
        let src = "$a = 'x # not' # yes\n# own line\n$b = \"${f('#')} # no\" # two\n";
        assert_eq!(
            texts(src),
            vec![("# yes", true), ("# own line", false), ("# two", true)]
        );
    }

    #[test]
    fn multi_line_strings_and_escapes() {
        let src = "$a = 'it\\'s\n# inside\n' # after\n$b = \"q\\\"# no\n# still\" #end\n";
        assert_eq!(texts(src), vec![("# after", true), ("#end", true)]);
    }

    #[test]
    fn heredoc_bodies_are_skipped() {
        let src =
            "$x = @(\"EOT\"/L) # opener\n  # body, not a comment\n  ${y} # no\n  |- EOT\n# real\n";
        assert_eq!(texts(src), vec![("# opener", true), ("# real", false)]);
        let two = "f(@(A), @(B))\na # x\nA\nb # y\n  | B\n# z\n";
        assert_eq!(texts(two), vec![("# z", false)]);
    }

    #[test]
    fn regexes_and_division() {
        let src = "if $x =~ /a#b/ { } # c1\n$y = 4 / 2 # c2\ncase $z { /#/: {} } # c3\n";
        assert_eq!(
            texts(src),
            vec![("# c1", true), ("# c2", true), ("# c3", true)]
        );
        assert_eq!(texts("node /web#1/ {} # n\n"), vec![("# n", true)]);
    }

    #[test]
    fn block_comments_hide_hashes() {
        assert_eq!(
            texts("/* # no\n # no */ $x = 1 # yes\n"),
            vec![("# yes", true)]
        );
    }

    #[test]
    fn unterminated_constructs_do_not_panic() {
        for src in [
            "'abc",
            "\"abc ${",
            "@(EOT)\nbody",
            "/* open",
            "\"\\",
            "@(",
            "x /",
            "$",
        ] {
            let _ = puppet_comments(src);
        }
    }

    #[test]
    fn directive_parsing() {
        assert_eq!(parse_directive("# just a comment"), None);
        assert_eq!(
            parse_directive("# preflight:ignore:link-cycle,empty-binary  known, T123 "),
            Some(Directive::Ignore {
                rules: vec!["link-cycle".into(), "empty-binary".into()],
                reason: "known, T123".into()
            })
        );
        assert_eq!(
            parse_directive("#preflight:ignore:a preflight:ignore:b why"),
            Some(Directive::Ignore {
                rules: vec!["a".into(), "b".into()],
                reason: "why".into()
            })
        );
        assert_eq!(
            parse_directive("# preflight:endignore"),
            Some(Directive::EndIgnore)
        );
        assert!(matches!(
            parse_directive("# preflight:ignore reason"),
            Some(Directive::Malformed(_))
        ));
        assert!(matches!(
            parse_directive("# preflight:disable:x"),
            Some(Directive::Malformed(_))
        ));
        // puppet-lint's comments are not ours.
        assert_eq!(parse_directive("# lint:ignore:140chars"), None);
    }

    #[test]
    fn hash_comments_in_other_files() {
        let src = "#!/bin/sh\nurl=http://x/#frag # preflight:ignore:a b\n  # own\n";
        let got: Vec<(&str, bool)> = hash_comments(src)
            .into_iter()
            .map(|c| (&src[c.span.range()], c.trailing))
            .collect();
        assert_eq!(
            got,
            vec![
                ("#!/bin/sh", false),
                ("# preflight:ignore:a b", true),
                ("# own", false)
            ]
        );
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::{finding_at, unparsed, Case};
    use crate::rules::{Selection, SelectionArgs};

    const P: &str = "modules/demo/manifests/init.pp";

    /// Result of a run: `(rule, line, reason)` of the given findings, and
    /// `(meta rule, line, message)` of the findings about comments.
    type Outcome = (
        Vec<(String, u32, Option<String>)>,
        Vec<(String, u32, String)>,
    );

    fn run_with(case: &Case, found: &[(Side, &str, u32, &str)], sel: &Selection) -> Outcome {
        let change = case.change();
        let analysis = crate::rules::Analysis {
            manifests: unparsed(&change),
            before: Default::default(),
            after: Default::default(),
            diff: Default::default(),
            failures: Vec::new(),
        };
        let config = Config::default();
        let cx = analysis.context(&change, &config, sel);
        let mut findings: Vec<Finding> = found
            .iter()
            .map(|&(side, path, line, rule)| finding_at(case, side, path, line, rule))
            .collect();
        let meta = apply(&cx, &mut findings);
        let line = |f: &Finding| {
            let files = match f.location.side {
                Side::Before => &case.before,
                Side::After => &case.after,
            };
            let text = String::from_utf8_lossy(&files[&f.location.file]).into_owned();
            LineIndex::new(&text)
                .line_col(&text, f.location.span.start)
                .line
        };
        (
            findings
                .iter()
                .map(|f| (f.rule.to_owned(), line(f), f.suppressed.clone()))
                .collect(),
            meta.iter()
                .map(|f| (f.rule.to_owned(), line(f), f.message.clone()))
                .collect(),
        )
    }

    fn run(case: &Case, found: &[(u32, &str)]) -> Outcome {
        let found: Vec<_> = found.iter().map(|&(l, r)| (Side::After, P, l, r)).collect();
        run_with(case, &found, &Selection::default())
    }

    fn after(text: &str) -> Case {
        Case::default().with_after(P, text)
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_owned())
    }

    #[test]
    fn trailing_comment_covers_its_line_only() {
        let case = after(
            "file { '/a': ensure => link, target => '/b' } # preflight:ignore:link-cycle known loop, T1\nfile { '/b': ensure => link, target => '/a' }\n",
        );
        let (found, meta) = run(&case, &[(1, "link-cycle"), (2, "link-cycle")]);
        assert_eq!(
            found,
            vec![
                ("link-cycle".into(), 1, s("known loop, T1")),
                ("link-cycle".into(), 2, None)
            ]
        );
        assert!(meta.is_empty(), "{meta:?}");
    }

    #[test]
    fn own_line_comment_opens_a_block_for_the_named_rules() {
        let case = after(
            "# preflight:ignore:link-cycle,empty-binary migration T2\nfile { '/a': }\nfile { '/b': }\n# preflight:endignore\nfile { '/c': }\n",
        );
        let (found, meta) = run(
            &case,
            &[
                (2, "link-cycle"),
                (3, "empty-binary"),
                (2, "link-over-binary"),
                (5, "link-cycle"),
            ],
        );
        assert_eq!(
            found,
            vec![
                ("link-cycle".into(), 2, s("migration T2")),
                ("empty-binary".into(), 3, s("migration T2")),
                ("link-over-binary".into(), 2, None),
                ("link-cycle".into(), 5, None),
            ]
        );
        assert!(meta.is_empty(), "{meta:?}");
    }

    #[test]
    fn nested_blocks_close_innermost_first() {
        let case = after(
            "# preflight:ignore:link-cycle outer\n# preflight:ignore:empty-binary inner\nx\n# preflight:endignore\ny\n# preflight:endignore\nz\n",
        );
        let (found, _) = run(
            &case,
            &[
                (3, "empty-binary"),
                (5, "empty-binary"),
                (5, "link-cycle"),
                (7, "link-cycle"),
            ],
        );
        assert_eq!(
            found,
            vec![
                ("empty-binary".into(), 3, s("inner")),
                ("empty-binary".into(), 5, None),
                ("link-cycle".into(), 5, s("outer")),
                ("link-cycle".into(), 7, None),
            ]
        );
    }

    #[test]
    fn a_hash_inside_a_string_is_not_a_suppression() {
        let case = after("$x = 'a # preflight:ignore:link-cycle not a comment'\n");
        let (found, meta) = run(&case, &[(1, "link-cycle")]);
        assert_eq!(found, vec![("link-cycle".into(), 1, None)]);
        assert!(meta.is_empty());
    }

    #[test]
    fn a_hash_inside_a_heredoc_a_regex_or_a_block_comment_is_not_a_suppression() {
        for (text, line) in [
            (
                "$x = @(EOT)\n  # preflight:ignore:link-cycle not a comment\n  | EOT\n",
                2,
            ),
            (
                "$x = @(\"EOT\")\n  ${y} # preflight:ignore:link-cycle not a comment\n  | EOT\n",
                2,
            ),
            ("if $x =~ /a# preflight:ignore:link-cycle no/ { }\n", 1),
            ("$x = \"${f('#')} # preflight:ignore:link-cycle no\"\n", 1),
            ("/* # preflight:ignore:link-cycle no */ file { '/a': }\n", 1),
        ] {
            let (found, meta) = run(&after(text), &[(line, "link-cycle")]);
            assert_eq!(found, vec![("link-cycle".into(), line, None)], "{text}");
            assert!(meta.is_empty(), "{text}: {meta:?}");
        }
    }

    #[test]
    fn unknown_rule_and_missing_reason_are_invalid() {
        let case = after("x # preflight:ignore:link_cycle\n");
        let (found, meta) = run(&case, &[(1, "link-cycle")]);
        assert_eq!(found, vec![("link-cycle".into(), 1, None)]);
        assert_eq!(
            meta,
            vec![
                (
                    "invalid-suppression".into(),
                    1,
                    "suppression gives no reason; add one after the rule names".into()
                ),
                (
                    "invalid-suppression".into(),
                    1,
                    "suppression names an unknown rule `link_cycle`".into()
                ),
            ]
        );
    }

    #[test]
    fn unmatched_end_and_unclosed_block_are_invalid() {
        let case =
            after("# preflight:endignore\n# preflight:ignore:link-cycle rest of file\nx\ny\n");
        let (found, meta) = run(&case, &[(4, "link-cycle")]);
        assert_eq!(found, vec![("link-cycle".into(), 4, s("rest of file"))]);
        let msgs: Vec<(u32, bool)> = meta
            .iter()
            .map(|(r, l, m)| {
                assert_eq!(r, "invalid-suppression");
                (*l, m.contains("never closed"))
            })
            .collect();
        assert_eq!(msgs, vec![(1, false), (2, true)]);
    }

    #[test]
    fn unused_suppression_of_an_implemented_rule_is_reported() {
        let case = after("x # preflight:ignore:syntax-error parser bug\n");
        let (_, meta) = run(&case, &[]);
        assert_eq!(
            meta,
            vec![(
                "unused-suppression".into(),
                1,
                "suppression of `syntax-error` matches no finding".into()
            )]
        );
    }

    #[test]
    fn never_unused_when_the_rule_is_off_unselected_or_not_implemented() {
        // A rule that is not implemented yet, if any is left.
        if let Some(pending) = crate::rules::registry::rules()
            .iter()
            .find(|r| !r.implemented())
        {
            let text = format!(
                "x # preflight:ignore:{} waiting for the model\n",
                pending.name
            );
            let case = after(&text);
            assert!(run(&case, &[]).1.is_empty());
        }
        // syntax-error ignored on the command line.
        let case = after("x # preflight:ignore:syntax-error parser bug\n");
        let args = SelectionArgs {
            ignore: vec!["syntax-error".into()],
            ..SelectionArgs::default()
        };
        let sel = Selection::resolve(&args, &Config::default()).unwrap();
        assert!(run_with(&case, &[], &sel).1.is_empty());
        // unused-suppression itself turned off.
        let args = SelectionArgs {
            ignore: vec!["unused-suppression".into()],
            ..SelectionArgs::default()
        };
        let sel = Selection::resolve(&args, &Config::default()).unwrap();
        assert!(run_with(&case, &[], &sel).1.is_empty());
    }

    #[test]
    fn comments_already_in_the_base_are_not_reported() {
        let old = "y # preflight:ignore:syntax-error parser bug\n# preflight:endignore\n";
        let mut case = Case::default();
        case.before(P, old);
        case.after(P, &format!("{old}z\n"));
        let (_, meta) = run(&case, &[]);
        assert!(meta.is_empty(), "{meta:?}");
        // An unchanged file is not looked at at all.
        let mut case = Case::default();
        case.before(P, "# preflight:ignore:nope\n");
        case.after(P, "# preflight:ignore:nope\n");
        assert!(run(&case, &[]).1.is_empty());
    }

    #[test]
    fn before_side_findings_use_the_before_file() {
        let mut case = Case::default();
        case.before(
            P,
            "file { '/a': } # preflight:ignore:link-cycle removed on purpose\n",
        );
        let (found, meta) = run_with(
            &case,
            &[(Side::Before, P, 1, "link-cycle")],
            &Selection::default(),
        );
        assert_eq!(
            found,
            vec![("link-cycle".into(), 1, s("removed on purpose"))]
        );
        assert!(meta.is_empty());
    }

    #[test]
    fn other_files_use_hash_comments() {
        let path = "modules/demo/files/deploy.sh";
        let case = Case::default().with_after(
            path,
            "#!/bin/sh\nwget -O /usr/local/bin/x $URL # preflight:ignore:deploy-script-unsafe checked by CI\n",
        );
        let (found, _) = run_with(
            &case,
            &[(Side::After, path, 2, "deploy-script-unsafe")],
            &Selection::default(),
        );
        assert_eq!(
            found,
            vec![("deploy-script-unsafe".into(), 2, s("checked by CI"))]
        );
    }
}
