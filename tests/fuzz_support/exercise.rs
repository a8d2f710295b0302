//! Every analyzer over one text, with the invariants that hold for any input: no panic,
//! and every span returned lies inside the text on character boundaries (reporters slice
//! the text with them).

use puppet_preflight::analysis::shell::{analyze, lexer::lex, Interest};
use puppet_preflight::analysis::systemd::{
    self, expand_specifiers, parse_exec, parse_unit, validate_exec,
};
use puppet_preflight::analysis::template::{mask, TemplateKind, CODE, UNKNOWN};
use puppet_preflight::analysis::values::{
    check_ensure, check_mode, check_source, check_uninterpolated, check_uninterpolated_heredoc,
    is_valid_mode, ModeValue, Scalar,
};
use puppet_preflight::ast::Span;
use puppet_preflight::model;

const KINDS: [TemplateKind; 3] = [TemplateKind::Plain, TemplateKind::Erb, TemplateKind::Epp];

/// Unit names to expand specifiers with (instances, no suffix, multi-byte, empty).
const UNIT_NAMES: &[&str] = &["foo.service", "foo@bar.service", "é@✓.timer", "@", ".", ""];

fn in_text(text: &str, span: Span, what: &str) {
    assert!(
        text.get(span.range()).is_some(),
        "{what}: span {span:?} is not a slice of the text ({} bytes): {text:?}",
        text.len()
    );
}

/// The shell analyzer, for every template kind, with its hazards.
pub fn shell(text: &str) {
    for kind in KINDS {
        let r = analyze(text, kind);
        if let Some(s) = r.errexit_span {
            in_text(text, s, "errexit");
        }
        for d in &r.downloads {
            in_text(text, d.span, "download");
            if let puppet_preflight::analysis::shell::Target::File(p) = &d.target {
                in_text(text, p.span, "download target");
            }
        }
        for m in &r.moves {
            in_text(text, m.span, "move");
            in_text(text, m.from.span, "move source");
            in_text(text, m.to.span, "move destination");
        }
        for a in &r.service_actions {
            in_text(text, a.span, "service action");
        }
        for c in &r.checksums {
            in_text(text, c.span, "checksum");
        }
        for w in &r.writes {
            in_text(text, w.span, "write");
        }
        for e in &r.lex_errors {
            in_text(text, e.span, "lex error");
        }
        for h in r
            .hazards(Interest::ExecutablePaths)
            .into_iter()
            .chain(r.hazards(Interest::Paths(&[
                "/usr/local/bin/foo",
                "/usr/local/bin/é✓",
                "/tmp/foo.new",
                "",
            ])))
        {
            in_text(text, h.span, "hazard");
            if let Some(s) = h.related {
                in_text(text, s, "hazard related");
            }
        }
    }
    let lexed = lex(text, 0..text.len());
    for e in &lexed.errors {
        in_text(text, e.span, "lexer error");
    }
    for h in &lexed.heredocs {
        in_text(text, h.body, "here-document body");
    }
}

/// The unit analyzer (both of them: `analysis::systemd` and the model's reader), every
/// `Exec*=` command, specifier expansion.
pub fn unit(text: &str) {
    for kind in KINDS {
        let u = parse_unit(text, kind);
        for p in u.validate(false).into_iter().chain(u.validate(true)) {
            in_text(text, p.span, "exec problem");
        }
        for e in &u.entries {
            in_text(text, e.span, "entry");
            in_text(text, e.key_span, "entry key");
            in_text(text, e.value.span(), "entry value");
            let _ = validate_exec(&e.value.text);
            let _ = parse_exec(&e.value.text);
        }
        for f in u.environment_files() {
            in_text(text, f.span, "environment file");
            for name in UNIT_NAMES {
                let _ = expand_specifiers(&f.path.text(), name);
            }
        }
        let _ = u.service_type();
        let _ = u.exec_start();
        for c in u.exec_commands() {
            for w in &c.words {
                in_text(text, w.span, "exec word");
                let _ = w.known();
                let _ = w.specifiers();
                for name in UNIT_NAMES {
                    let _ = expand_specifiers(&w.text(), name);
                }
            }
            let _ = systemd::validate_command(&c);
        }
        for s in u
            .unknown_lines
            .iter()
            .chain(&u.templated_keys)
            .chain(&u.code_tags)
        {
            in_text(text, *s, "unit template span");
        }
        for e in &u.errors {
            in_text(text, e.span, "unit syntax error");
        }
    }
    for name in UNIT_NAMES {
        let _ = expand_specifiers(text, name);
    }
    for kind in [TemplateKind::Plain, TemplateKind::Erb, TemplateKind::Epp] {
        let _ = model::unit::exec_start(&parse_unit(text, kind), text);
    }
}

/// Template masking: same length, only tag bytes changed (to markers), valid UTF-8, tags
/// in order inside the text.
pub fn template(text: &str) {
    for kind in [TemplateKind::Erb, TemplateKind::Epp] {
        let m = mask(text, kind);
        assert_eq!(
            m.text.len(),
            text.len(),
            "mask changed the length of {text:?}"
        );
        for (a, b) in text.bytes().zip(m.text.bytes()) {
            assert!(
                a == b || b == UNKNOWN || b == CODE,
                "mask wrote {b:#x} over {a:#x} in {text:?}"
            );
        }
        let mut last = 0;
        for t in &m.tags {
            in_text(text, t.span, "tag");
            assert!(t.span.start >= last, "tags out of order in {text:?}");
            assert!(
                text[t.span.range()].starts_with("<%"),
                "tag at {:?}",
                t.span
            );
            last = t.span.end;
        }
        if let Some(u) = &m.unclosed {
            in_text(text, u.span, "unclosed tag");
        }
    }
}

fn relative(text: &str, span: Option<Span>, what: &str) {
    if let Some(s) = span {
        in_text(text, s, what);
    }
}

/// The value validators over `text` as each kind of value.
pub fn values(text: &str) {
    relative(
        text,
        check_mode(ModeValue::Str(text)).and_then(|p| p.span),
        "mode",
    );
    let _ = check_mode(ModeValue::Number(text));
    let _ = is_valid_mode(text);
    relative(text, check_source(text).and_then(|p| p.span), "source");
    for ty in ["file", "service", "package", "exec", "FILE", "é"] {
        let _ = check_ensure(ty, Scalar::Str(text));
    }
    let quoted = format!("'{text}'");
    relative(
        &quoted,
        check_uninterpolated(&quoted).and_then(|p| p.span),
        "single-quoted",
    );
    relative(
        text,
        check_uninterpolated(text).and_then(|p| p.span),
        "raw string",
    );
    for opener in ["@(EOT)", "@(\"EOT\")", "@(", "@( EOT:json/L)", "@(é"] {
        relative(
            text,
            check_uninterpolated_heredoc(opener, text).and_then(|p| p.span),
            "heredoc",
        );
    }
}

/// Every analyzer.
pub fn all(text: &str) {
    shell(text);
    unit(text);
    template(text);
    values(text);
}
