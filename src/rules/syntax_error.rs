//! ## What it does
//!
//! Reports the first syntax error in a manifest that the change adds or modifies, at the
//! place the parser stopped understanding the text, as Puppet does; errors the file
//! already had before the change (same message on the same line text) are left out
//! first, so fixing the first of two old errors does not make the second new. Further errors in
//! the same file mostly follow from the first (an unterminated quote turns the rest of
//! the file into noise): the finding counts them, and `puppet-preflight parse FILE` lists
//! them all. A manifest that is not valid UTF-8 is reported here too.
//!
//! ## Why is this bad?
//!
//! Puppet compiles the whole catalog of a node before applying anything. One manifest
//! that does not parse makes the catalog fail to compile on every node that loads it
//! (for an autoloaded class: every node that includes it), so *nothing* is applied
//! there until the change is fixed: no security update, no config change, no repair.
//! The other rules of this tool also need a parsed manifest; a file that does not parse
//! is checked for nothing else.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   ensure => file,
//!   source => 'puppet:///modules/tool/tool'
//!   mode   => '0755',
//! }
//! ```
//!
//! The comma after the `source` value is missing.
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   ensure => file,
//!   source => 'puppet:///modules/tool/tool',
//!   mode   => '0755',
//! }
//! ```
//!
//! Run `puppet parser validate FILE` (or `puppet-preflight parse FILE`) before
//! committing.
//!
//! ## Exceptions
//!
//! None worth suppressing: a manifest Puppet cannot parse is never deployable. If the
//! tool rejects a file that `puppet parser validate` accepts, that is a bug in this
//! tool; please report it with the snippet. Manifests the change does not touch are
//! not reported, even when they do not parse. The parser reads the language of Puppet 4
//! and later; in a repository taken to be Puppet 3 (see `puppet_version`) the help says
//! so, since Puppet 3 accepted some constructs Puppet 4 rejects.
//!
//! ## References
//!
//! - Puppet language reference, "Language: Basics" and the grammar in this repository
//!   (`grammar/`).
//! - `puppet parser validate` (Puppet's own syntax check).

use crate::diagnostic::{Finding, Location, Related, Severity, Side};

use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "syntax-error";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a changed manifest does not parse (its first new error)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("syntax_error.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for path in cx.changed_manifests() {
        let Some(m) = cx.manifest(Side::After, path) else {
            continue;
        };
        let at = |span| Location {
            side: Side::After,
            file: path.to_owned(),
            span,
        };
        if let Some(offset) = m.utf8_error {
            let offset = offset as u32;
            let mut f = finding(
                rule,
                at(crate::ast::Span::new(offset, offset + 1)),
                format!("{path} is not valid UTF-8 (byte {offset}); Puppet refuses to load it"),
            );
            f.help = Some("re-encode the file as UTF-8".to_owned());
            out.push(f);
        }
        // The parser reads the language of Puppet 4 and later; Puppet 3's accepted some
        // things it does not.
        let puppet = &cx.after.puppet;
        let older = (puppet.major <= 3).then(|| {
            format!(
                "this tool parses the Puppet 4+ language and the repository is taken to be \
                 {puppet}: if Puppet 3's own `puppet parser validate` accepts the line, it is \
                 a construct Puppet 4 dropped"
            )
        });
        // Errors the file already had before the change (same message, same line text)
        // are not the change's: the first error after those is reported. A change that
        // fixes the first of two errors does not make the second one new.
        let old_path = cx
            .change
            .files
            .iter()
            .find(|f| f.new_path.as_deref() == Some(path))
            .and_then(|f| f.old_path.as_deref());
        let mut old: Vec<(&str, &str)> = old_path
            .and_then(|p| cx.manifest(Side::Before, p))
            .map(|b| {
                b.parsed
                    .errors
                    .iter()
                    .map(|e| (e.message.as_str(), line_text(&b.text, e.span.start)))
                    .collect()
            })
            .unwrap_or_default();
        let (mut first_old, mut new) = (None, Vec::new());
        for e in &m.parsed.errors {
            let k = (e.message.as_str(), line_text(&m.text, e.span.start));
            match old.iter().position(|o| *o == k) {
                Some(i) => {
                    old.swap_remove(i);
                    first_old = first_old.or(Some(e));
                }
                None => new.push(e),
            }
        }
        let report = |e: &crate::parser::SyntaxError, more: usize| {
            let mut f = finding(rule, at(e.span), e.message.clone());
            if !e.expected.is_empty() {
                f.help = Some(format!("expected {}", one_of(&e.expected)));
            }
            if more > 0 {
                let note = format!(
                    "the parser found {more} more error{} after this one, mostly following \
                     from it; `puppet-preflight parse {path}` lists them",
                    if more == 1 { "" } else { "s" }
                );
                f.help = Some(match f.help.take() {
                    Some(h) => format!("{h}; {note}"),
                    None => note,
                });
            }
            if let Some(note) = &older {
                f.help = Some(match f.help.take() {
                    Some(h) => format!("{h}; {note}"),
                    None => note.clone(),
                });
            }
            if let Some((span, what)) = &e.opened {
                f.related.push(Related {
                    location: at(*span),
                    message: format!("{what} opened here"),
                });
            }
            f
        };
        // The file's first old error, marked as the base revision's (hidden unless
        // `--show-preexisting`, counted in the summary).
        if let Some(e) = first_old.take() {
            let mut f = report(e, 0);
            f.preexisting = true;
            out.push(f);
        }
        if let Some(e) = new.first() {
            out.push(report(e, new.len() - 1));
        }
    }
}

/// The text of the line holding byte `offset`, trimmed.
fn line_text(text: &str, offset: u32) -> &str {
    let at = (offset as usize).min(text.len());
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i);
    text.get(start..end).unwrap_or("").trim()
}

/// `a`, `a or b`, `one of a, b, c`.
fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", items.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    /// Manifests that parse: no finding.
    const PASS: &[&str] = &[
        "file { '/usr/local/bin/tool': ensure => file, source => 'puppet:///modules/tool/tool', mode => '0755' }\n",
        "class k8s::scheduler(Boolean $use_package = false) {\n  if $use_package { require_package('kubernetes-master') }\n  else { file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' } }\n}\n",
        "# only a comment\n",
        "",
    ];

    /// Manifests that do not parse: at least one finding, on the line given.
    const FAIL: &[(&str, u32)] = &[
        (
            "file { '/usr/local/bin/tool':\n  ensure => file,\n  source => 'puppet:///modules/tool/tool'\n  mode   => '0755',\n}\n",
            4,
        ),
        ("class broken {\n  file { '/x': ensure => file,\n", 2),
        ("$x = 'unterminated\n", 1),
    ];

    #[test]
    fn pass() {
        assert_pass_snippets(NAME, PASS, after_only);
    }

    #[test]
    fn fail() {
        for &(src, line) in FAIL {
            let found = check_rule(NAME, &after_only(src));
            assert!(!found.is_empty(), "no finding for {src:?}");
            let lines: Vec<u32> = found.iter().map(|f| Case::line_of(src, f)).collect();
            assert!(
                lines.contains(&line),
                "{src:?}: findings on lines {lines:?}, expected one on {line}"
            );
            assert!(found.iter().all(|f| f.location.side == Side::After));
        }
    }

    #[test]
    fn one_finding_per_file_counting_the_errors_that_follow() {
        // Once the parser lost its way, the text it reads on is noise to it.
        let src = "class a {\n  $v = ['x' 'y']\n  $w = [1.5.0_17, 1.6.0_20]\n}\n";
        let parsed = crate::parser::parse(src);
        assert!(parsed.errors.len() > 1, "{:?}", parsed.errors);
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        let help = found[0].help.as_deref().unwrap_or("");
        assert!(
            help.contains(&format!("{} more error", parsed.errors.len() - 1)),
            "{help}"
        );
    }

    #[test]
    fn errors_the_file_already_had_are_not_the_changes() {
        // apache infrastructure-puppet 3ee4a0fd: "Typo fix" mended the first of two errors.
        let two = "class a {\n  $v = ['x' 'y']\n  file { '/x':\n    ensure => file\n    owner => 'root',\n  }\n}\n";
        let parsed = crate::parser::parse(two);
        assert!(parsed.errors.len() >= 2, "{:?}", parsed.errors);
        let one = two.replace("'x' 'y'", "'x', 'y'");
        let found = check_rule(NAME, &edit(two, &one));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].preexisting, "{found:#?}");
        // A new error before an old one is reported; the old one is marked as the base's.
        let three = one.replace("$v = ['x', 'y']", "$v = ['x', 'y'");
        let found = check_rule(NAME, &edit(&one, &three));
        let new: Vec<_> = found.iter().filter(|f| !f.preexisting).collect();
        assert_eq!(new.len(), 1, "{found:#?}");
        assert_eq!(Case::line_of(&three, new[0]), 3);
    }

    #[test]
    fn a_puppet_3_repository_is_told_about_the_language_difference() {
        let src = "file { '/etc/x':\n  ensure => file\n  mode => '0644',\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert!(!found.is_empty());
        assert!(found
            .iter()
            .all(|f| !f.help.as_deref().unwrap_or("").contains("Puppet 3")));
        let mut c = after_only(src);
        c.after("Gemfile.lock", "GEM\n  specs:\n    puppet (3.8.7)\n");
        let found = check_rule(NAME, &c);
        let help = found[0].help.as_deref().unwrap_or("");
        assert!(
            help.contains("taken to be Puppet 3.8.7 (Gemfile.lock)"),
            "{help}"
        );
    }

    #[test]
    fn non_utf8_manifest_is_reported_at_the_bad_byte() {
        let mut case = Case::default();
        case.after_bytes("modules/m/manifests/init.pp", b"# caf\xe9\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location.span.start, 5);
        assert!(found[0].message.contains("not valid UTF-8"));
    }

    #[test]
    fn untouched_and_deleted_manifests_are_not_reported() {
        let broken = "class broken {\n";
        // Present on both sides, identical: not part of the change.
        let mut case = Case::default();
        case.before("modules/a/manifests/init.pp", broken);
        case.after("modules/a/manifests/init.pp", broken);
        case.after("modules/b/manifests/init.pp", "class b {}\n");
        assert!(check_rule(NAME, &case).is_empty());
        // Deleted by the change: nothing to report on the after side.
        let mut case = Case::default();
        case.before("modules/a/manifests/init.pp", broken);
        assert!(check_rule(NAME, &case).is_empty());
        // Not a manifest.
        assert!(check_rule(
            NAME,
            &Case::default().with_after("modules/a/templates/x.erb", broken)
        )
        .is_empty());
    }

    #[test]
    fn pp_files_puppet_never_loads_are_not_manifests() {
        // An ERB template named `*.pp`, in a module or at the root of a module repository,
        // and a file served by a module.
        let erb = "<% @plugins.each do |p| -%>\nplugin { '<%= p %>': }\n<% end -%>\n";
        for path in [
            "modules/a/templates/plugin.pp",
            "templates/telegraf/plugin.pp",
            "modules/a/files/example.pp",
            "modules/a/lib/puppet/x.pp",
        ] {
            let found = check_rule(NAME, &Case::default().with_after(path, erb));
            assert!(found.is_empty(), "{path}: {found:#?}");
        }
        // A class directory named `files` or `templates` under manifests/ is code.
        for path in [
            "modules/a/manifests/files/x.pp",
            "modules/a/manifests/templates.pp",
            "manifests/site.pp",
        ] {
            let found = check_rule(NAME, &Case::default().with_after(path, "class broken {\n"));
            assert_eq!(found.len(), 1, "{path}: {found:#?}");
        }
    }
}
