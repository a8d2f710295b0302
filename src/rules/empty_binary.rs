//! ## What it does
//!
//! Flags a `file` resource on an executable path that will be an empty file:
//! `ensure => file` or `present` with neither `content` nor `source`, or
//! `content => ''` (directly, or through a variable whose known value is `''`). Resource
//! defaults and collector overrides that supply content are taken into account. When the
//! `''` is the default of the enclosing class's parameter, written as the bare variable
//! (`class x($cookie = '') { file { …: content => $cookie } }`), the finding is a
//! warning: hiera's automatic parameter lookup or the class's declarer usually gives it
//! the value, which the repository may not show (a secret). A define's default stays an
//! error: its instances are evaluated with what they pass.
//!
//! An executable path is one under a `bin`, `sbin` or `libexec` directory (configurable
//! with `executable_dirs`), one declared with an execute bit in `mode`, or one a service
//! runs. A path that is only partly known (`/usr/local/bin/${name}`) is judged by its
//! known directory, and the message says the path was inferred; a path whose directory
//! is unknown is not judged.
//!
//! ## Why is this bad?
//!
//! On a host where the file does not exist yet, Puppet creates a 0-byte file with the
//! given mode. If the path is currently a symlink (an alternatives link, a link to a
//! packaged binary), the link is replaced by that empty file. `content => ''` truncates
//! an existing binary while keeping its mode. systemd then fails to start the service
//! (`203/EXEC`, "Exec format error"), while a shell that runs the file treats it as an
//! empty script and exits 0, so wrappers "succeed" doing nothing.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => file,
//!   owner  => 'kubernetes',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Use instead
//!
//! Give the file its content, or manage only what you mean to manage:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => file,
//!   source => 'puppet:///modules/k8s/kube-apiserver',
//!   owner  => 'kubernetes',
//!   mode   => '0755',
//! }
//! ```
//!
//! To manage only the mode of a binary a package installs, order the file after the
//! package (`require => Package['kubernetes-master']`) so it never creates the file.
//!
//! ## Exceptions
//!
//! Resources that only adjust the owner or mode of a binary a package always installs
//! first. Still risky on hosts missing the package: keep the ordering edge and suppress
//! with that reason.
//!
//! ## References
//!
//! - Puppet `file` type, `ensure => file` with neither `content` nor `source` creates an
//!   empty file (verified on Puppet 7.23).

use crate::ast::ExprKind;
use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::{file_state, ResId, Value};

use super::common::{at_attr, executable_reason, judged_path, touched};
use super::hazard::Voice;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "empty-binary";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary:
        "executable path as `ensure => file/present` with no content/source, or `content => ''`",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("empty_binary.rs"),
};

/// A `file` at an executable path that will be an empty file.
pub(crate) struct EmptyBinary {
    /// The head-revision `file` resource.
    pub file: ResId,
    /// Its path as shown: `/usr/local/bin/${demo::n}` when partly known.
    pub shown: String,
    /// The path is only partly known.
    pub inferred: bool,
    /// Why the path is executable (`under a bin directory`, …).
    pub why: String,
    pub how: Emptied,
    /// The `content` or `ensure` that empties it.
    pub location: Location,
    /// The `''` is the default of the enclosing class's parameter, written as the bare
    /// variable: a placeholder that hiera (automatic parameter lookup) or the class's
    /// declarer fills in. Reported as a warning, and not counted for a revert.
    pub placeholder: Option<String>,
}

/// How a file ends up empty.
pub(crate) enum Emptied {
    /// `content => ''`: an existing binary is truncated.
    EmptyContent,
    /// `ensure => file`/`present` (the text given) with neither `content` nor `source`.
    NoData { ensure: String },
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for h in detect(cx) {
        out.push(render(cx, rule, &h, Voice::Change));
    }
}

pub(crate) fn detect(cx: &Context<'_>) -> Vec<EmptyBinary> {
    let mut out = Vec::new();
    for id in touched(cx) {
        let r = cx.after.get(id);
        if r.ty != "file" {
            continue;
        }
        let Some(jp) = judged_path(r) else {
            continue;
        };
        let path = jp.path.clone();
        if !file_state(r).is_empty_file() {
            continue;
        }
        // Empty either from `content => ''` or from a file asked for with no content.
        let empty_content = r.get("content").is_some_and(|c| !c.is_undef());
        let Some(why) = executable_reason(cx, &path, Some(r)) else {
            continue;
        };
        let mut placeholder = None;
        let (how, location) = if empty_content {
            placeholder = class_parameter_default(cx, id);
            (
                Emptied::EmptyContent,
                at_attr(cx.after, Side::After, id, "content"),
            )
        } else {
            let ensure = r
                .get("ensure")
                .and_then(Value::as_str)
                .unwrap_or("file")
                .to_owned();
            (
                Emptied::NoData { ensure },
                at_attr(cx.after, Side::After, id, "ensure"),
            )
        };
        out.push(EmptyBinary {
            file: id,
            shown: jp.shown,
            inferred: jp.inferred,
            why,
            how,
            location,
            placeholder,
        });
    }
    out
}

/// The name of the class parameter whose default `''` gives the file's `content`, when
/// `content` is written as that bare variable (`content => $cookie`) inside the class
/// that has the parameter (`class x($cookie = '')`).
fn class_parameter_default(cx: &Context<'_>, id: ResId) -> Option<String> {
    let a = cx.after.get(id).attr("content")?;
    let man = cx.manifest(Side::After, &a.file)?;
    let written = man.text.get(a.value_span.range())?.trim();
    let var = written.strip_prefix('$')?;
    if var.contains("::") || var.is_empty() {
        return None;
    }
    man.parsed
        .program
        .statements
        .iter()
        .find_map(|st| match &st.kind {
            ExprKind::ClassDef(d)
                if st.span.start <= a.value_span.start && a.value_span.end <= st.span.end =>
            {
                d.params.iter().find(|p| p.name == var)
            }
            _ => None,
        })
        .filter(|p| matches!(&p.default, Some(e) if matches!(&e.kind, ExprKind::Str(x) if x.is_empty())))
        .map(|p| p.name.to_string())
}

/// The finding for `h`. Nothing in it depends on whose action it describes: the file is
/// empty in the revision the context calls the head.
pub(crate) fn render(
    cx: &Context<'_>,
    rule: &'static Rule,
    h: &EmptyBinary,
    _voice: Voice,
) -> Finding {
    let r = cx.after.get(h.file);
    let res = if h.inferred {
        format!("File['{}'] (path partly known)", h.shown)
    } else {
        r.display_ref()
    };
    let why = &h.why;
    let mut f = match &h.how {
        Emptied::EmptyContent => {
            let mut f = finding(
                rule,
                h.location.clone(),
                format!(
                    "{res} empties an executable path ({why}): `content` is '', so an existing \
                     binary is truncated to 0 bytes"
                ),
            );
            f.help = Some(
                "deploy the real content (`source => 'puppet:///modules/…'` or a template), or \
                 stop managing the file's content"
                    .into(),
            );
            if let Some(p) = &h.placeholder {
                f.severity = Severity::Warning;
                f.message.push_str(&format!(
                    " when nothing sets the class parameter `${p}` (its default is ''; hiera \
                     or the class's declarer may give it a value)"
                ));
            }
            f
        }
        Emptied::NoData { ensure } => {
            let mut f = finding(
                rule,
                h.location.clone(),
                format!(
                    "{res} creates an empty file at an executable path ({why}): \
                     `ensure => {ensure}` with neither `content` nor `source`"
                ),
            );
            f.help = Some(
                "give the file its content (`source` or `content`); to manage only the mode or \
                 owner of a binary a package installs, drop `ensure` and require the package"
                    .into(),
            );
            f
        }
    };
    f.resource = Some(r.into());
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::ResourceKey;
    use crate::rules::testing::*;

    /// No finding.
    const PASS: &[&str] = &[
        // Content from the repository.
        "class demo { file { '/usr/local/bin/tool': ensure => file, source => 'puppet:///modules/demo/tool', mode => '0755' } }",
        // Not an executable path.
        "class demo { file { '/etc/tool.conf': ensure => file } }",
        "class demo { file { '/etc/tool/empty.conf': content => '' } }",
        // Only mode and owner: Puppet does not create the file.
        // `content => undef` is no content at all (a define's optional parameter).
        "class demo($content = undef) { file { '/usr/local/bin/tool': content => $content, mode => '0755' } }",
        "class demo { file { '/usr/bin/tool': owner => 'root', mode => '0755' } }",
        // A link, a directory, removal.
        "class demo { file { '/usr/local/bin/tool': ensure => link, target => '/opt/tool/bin/tool' } }",
        "class demo { file { '/usr/local/libexec/tool': ensure => directory } }",
        "class demo { file { '/usr/local/bin/tool': ensure => absent } }",
        // Symbolic content: unknown, so silent.
        "class demo($script) { file { '/usr/local/bin/tool': ensure => file, content => $script } }",
        // Content from a resource default.
        "class demo { File { content => \"#!/bin/sh\\n\" } file { '/usr/local/bin/tool': ensure => file } }",
        // Unknown paths, or an unknown directory: silent.
        "class demo($p) { file { $p: ensure => file } }",
        "class demo { file { \"/opt/${facts['app']}/bin/tool\": ensure => file } }",
        "class demo { file { \"/etc/${facts['app']}.conf\": ensure => file } }",
    ];

    /// A finding on each listed line.
    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/kube-apiserver':\n    ensure => file,\n    owner  => 'kubernetes',\n    mode   => '0755',\n  }\n}\n",
            &[3],
        ),
        ("class demo {\n  file { '/opt/x/sbin/daemon': ensure => present }\n}\n", &[2]),
        // content => '' truncates.
        ("class demo {\n  file { '/usr/bin/tool':\n    content => '',\n  }\n}\n", &[3]),
        // Through a variable whose value is known to be '' (a warning: see below).
        (
            "class demo($script = '') {\n  file { '/srv/app/run': ensure => file, mode => '0750',\n    content => $script }\n}\n",
            &[3],
        ),
        // A define's parameter: its instances are evaluated with what they pass.
        (
            "define demo::run($script = '') {\n  file { \"/srv/${title}/run\": ensure => file, mode => '0750',\n    content => $script }\n}\nclass demo { demo::run { 'app': } }\n",
            &[3],
        ),
        // A partly known path in a known executable directory (a define's `$title`).
        ("define demo::bin() {\n  file { \"/usr/local/bin/${title}\": ensure => file }\n}\nclass demo { demo::bin { $facts['x']: } }\n", &[2]),
        // content => undef is no content.
        ("class demo {\n  file { '/usr/libexec/helper': ensure => file, content => undef }\n}\n", &[2]),
    ];

    snippet_tests!(after_only);

    #[test]
    fn only_what_the_change_touches() {
        let src = "class demo {\n  file { '/usr/local/bin/tool': ensure => file }\n}\n";
        let case = edit(src, &format!("{src}# unrelated edit\n"));
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn partly_known_paths_say_so() {
        let found = check_rule(
            NAME,
            &after_only("class demo($n) { file { \"/usr/local/bin/${n}\": ensure => file } }"),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .starts_with("File['/usr/local/bin/${demo::n}'] (path partly known)"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn message_names_resource_and_reason() {
        let found = check_rule(
            NAME,
            &after_only("class demo { file { '/usr/local/bin/tool': ensure => file } }"),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].resource,
            Some(ResourceKey::new("file", "/usr/local/bin/tool"))
        );
        assert!(found[0]
            .message
            .contains("empty file at an executable path"));
    }

    #[test]
    fn a_class_parameter_default_is_a_placeholder() {
        // dsa-puppet 0daa0d70: `class rabbitmq($clustercookie = '')` writes the cookie
        // with `content => $clustercookie`; hiera supplies the value.
        let src = "class demo($script = '') {\n  file { '/srv/app/run': ensure => file, mode => '0750',\n    content => $script }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(
            found[0].message.contains("class parameter `$script`"),
            "{}",
            found[0].message
        );
        // Written as a literal, or the define's default: an error.
        for src in [
            "class demo {\n  file { '/srv/app/run': ensure => file, mode => '0750', content => '' }\n}\n",
            FAIL[4].0,
        ] {
            let found = check_rule(NAME, &after_only(src));
            assert_eq!(found.len(), 1, "{src}");
            assert_eq!(found[0].severity, Severity::Error, "{src}");
        }
    }
}
