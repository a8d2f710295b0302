//! What a change does on the hosts, in plain words, for `check --summary`: links created,
//! re-pointed or removed, binaries replaced, packages changed, services restarted and why.

use crate::diagnostic::{Location, Side};
use crate::model::facts::mode_has_exec;
use crate::model::{file_state, FileState, Model, ResId, Resource, Value};
use crate::report::{Effect, EffectKind};
use crate::rules::Analysis;

/// The effects of the analysed change, in a stable order.
pub fn effects(analysis: &Analysis) -> Vec<Effect> {
    let (before, after, diff) = (&analysis.before, &analysis.after, &analysis.diff);
    let mut out = Vec::new();

    for &id in &diff.added {
        let r = after.get(id);
        if let Some(e) = file_effect(r, None) {
            out.push(located(e, after, id, Side::After));
        } else if r.ty == "package" {
            out.push(located(
                package_effect(r, "declared"),
                after,
                id,
                Side::After,
            ));
        }
    }
    for d in &diff.changed {
        let r = after.get(d.after);
        let old = before.get(d.before);
        if let Some(e) = file_effect(r, Some(old)) {
            out.push(located(e, after, d.after, Side::After));
        } else if r.ty == "package" && d.attrs.iter().any(|a| a.name == "ensure") {
            out.push(located(
                package_effect(r, "ensure changed"),
                after,
                d.after,
                Side::After,
            ));
        }
    }
    for &id in &diff.removed {
        let r = before.get(id);
        if r.ty == "file" && link(r).is_some() {
            out.push(located(
                Effect {
                    kind: EffectKind::LinkRemoved,
                    subject: title(r),
                    detail: Some("no longer managed: the link stays on disk as it is".to_string()),
                    location: None,
                },
                before,
                id,
                Side::Before,
            ));
        }
    }
    for restart in &diff.restarts {
        let r = after.get(restart.service);
        out.push(located(
            Effect {
                kind: EffectKind::ServiceRestarted,
                subject: r.display_ref(),
                detail: Some(restart.reason_text()),
                location: None,
            },
            after,
            restart.service,
            Side::After,
        ));
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.subject.cmp(&b.subject)));
    out.dedup_by(|a, b| a.kind == b.kind && a.subject == b.subject);
    out
}

fn located(mut e: Effect, model: &Model, id: ResId, side: Side) -> Effect {
    let r = model.get(id);
    e.location = Some(Location {
        side,
        file: r.file.to_string(),
        span: r.span,
    });
    e
}

fn title(r: &Resource) -> String {
    r.title_str()
        .map(str::to_string)
        .unwrap_or_else(|| r.display_ref())
}

fn ensure(r: &Resource) -> Option<&str> {
    r.get("ensure").and_then(Value::as_str)
}

/// The link's target as declared, when the resource is a link.
fn link(r: &Resource) -> Option<String> {
    match file_state(r) {
        FileState::Link { target, .. } => Some(match target {
            Value::Undef => "?".to_string(),
            v => v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        }),
        _ => None,
    }
}

/// A link created or re-pointed, or a regular file's content replaced.
fn file_effect(r: &Resource, old: Option<&Resource>) -> Option<Effect> {
    if r.ty != "file" {
        return None;
    }
    if let Some(now) = link(r) {
        let (kind, detail) = match old.map(|o| (o, link(o))) {
            Some((_, Some(was))) if was == now => return None,
            Some((_, Some(was))) => (
                EffectKind::LinkRepointed,
                format!("{} -> {now} (was -> {was})", title(r)),
            ),
            Some((_, None)) => (
                EffectKind::LinkCreated,
                format!("{} -> {now} (replaces a managed regular file)", title(r)),
            ),
            None => (EffectKind::LinkCreated, format!("{} -> {now}", title(r))),
        };
        return Some(Effect {
            kind,
            subject: title(r),
            detail: Some(detail),
            location: None,
        });
    }
    if file_state(r) == FileState::Absent && old.is_some_and(|o| file_state(o) != FileState::Absent)
    {
        return Some(Effect {
            kind: EffectKind::FileRemoved,
            subject: title(r),
            detail: None,
            location: None,
        });
    }
    let replaces_content = old.is_some()
        && ["content", "source"]
            .iter()
            .any(|a| r.get(a).is_some() || old.is_some_and(|o| o.get(a).is_some()));
    let executable = title(r).contains("/bin/")
        || title(r).contains("/sbin/")
        || r.get("mode").and_then(mode_has_exec) == Some(true);
    if replaces_content && executable {
        return Some(Effect {
            kind: EffectKind::BinaryReplaced,
            subject: title(r),
            detail: Some("content or source changed".to_string()),
            location: None,
        });
    }
    None
}

fn package_effect(r: &Resource, what: &str) -> Effect {
    Effect {
        kind: EffectKind::PackageChanged,
        subject: title(r),
        detail: Some(match ensure(r) {
            Some(e) => format!("{what}: ensure => {e}"),
            None => what.to_string(),
        }),
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::edit;

    fn effects_of(before: &str, after: &str) -> Vec<(EffectKind, String)> {
        let change = edit(before, after).change();
        let analysis = Analysis::build(&change, &Config::default());
        effects(&analysis)
            .into_iter()
            .map(|e| (e.kind, e.detail.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_path_valued_ensure_is_a_link() {
        // The same answer as link-over-binary: `ensure => '/path'` makes a link.
        let got = effects_of(
            "class k { file { '/usr/local/bin/kubelet': ensure => file, source => 'puppet:///modules/k/kubelet' } }\n",
            "class k { file { '/usr/local/bin/kubelet': ensure => '/opt/k/kubelet' } }\n",
        );
        assert_eq!(
            got,
            vec![(
                EffectKind::LinkCreated,
                "/usr/local/bin/kubelet -> /opt/k/kubelet (replaces a managed regular file)"
                    .to_string()
            )]
        );
        let got = effects_of(
            "class k { file { '/usr/bin/k': ensure => link, target => '/opt/a/k' } }\n",
            "class k { file { '/usr/bin/k': ensure => '/opt/b/k' } }\n",
        );
        assert_eq!(
            got,
            vec![(
                EffectKind::LinkRepointed,
                "/usr/bin/k -> /opt/b/k (was -> /opt/a/k)".to_string()
            )]
        );
        // Same target written the other way: nothing happens on the hosts.
        let got = effects_of(
            "class k { file { '/usr/bin/k': ensure => link, target => '/opt/a/k' } }\n",
            "class k { file { '/usr/bin/k': ensure => '/opt/a/k' } }\n",
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn executable_by_mode_is_judged_like_the_rules() {
        // 0750: executable for owner and group, though the last digit is 0.
        let got = effects_of(
            "class k { file { '/srv/app/run': ensure => file, mode => '0750', content => 'a' } }\n",
            "class k { file { '/srv/app/run': ensure => file, mode => '0750', content => 'b' } }\n",
        );
        assert_eq!(
            got,
            vec![(
                EffectKind::BinaryReplaced,
                "content or source changed".to_string()
            )]
        );
    }
}
