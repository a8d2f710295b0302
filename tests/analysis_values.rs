//! Attribute value validators: PASS/FAIL tables. Each FAIL row was checked with
//! `puppet apply --noop -e` on Puppet 7.23 (see the module documentation).

use puppet_preflight::analysis::values::{
    check_ensure, check_mode, check_source, check_uninterpolated, check_uninterpolated_heredoc,
    ModeValue, Scalar, ValueProblemKind as K, Verdict,
};

#[test]
fn ensure_pass() {
    let rows: &[(&str, Scalar)] = &[
        ("file", Scalar::Str("present")),
        ("file", Scalar::Str("absent")),
        ("file", Scalar::Str("file")),
        ("file", Scalar::Str("directory")),
        ("file", Scalar::Str("link")),
        ("file", Scalar::Str("/usr/bin/kube-apiserver")),
        ("file", Scalar::Bool(false)),
        ("service", Scalar::Str("running")),
        ("service", Scalar::Str("stopped")),
        ("service", Scalar::Bool(true)),
        ("service", Scalar::Str("false")),
        ("package", Scalar::Str("present")),
        ("package", Scalar::Str("installed")),
        ("package", Scalar::Str("absent")),
        ("package", Scalar::Str("purged")),
        ("package", Scalar::Str("latest")),
        ("package", Scalar::Str("1.4.6-1")),
        ("package", Scalar::Str("2:1.2.3~rc1+dfsg-0ubuntu1")),
        ("user", Scalar::Str("whatever")),
    ];
    for (ty, v) in rows {
        assert_eq!(check_ensure(ty, *v), None, "{ty} {v:?}");
    }
}

#[test]
fn ensure_fail() {
    let rows: &[(&str, Scalar, K, Verdict)] = &[
        (
            "file",
            Scalar::Str("running"),
            K::EnsureBecomesLink,
            Verdict::Suspicious,
        ),
        (
            "file",
            Scalar::Str("File"),
            K::EnsureBecomesLink,
            Verdict::Suspicious,
        ),
        (
            "file",
            Scalar::Str("usr/bin/true"),
            K::EnsureBecomesLink,
            Verdict::Suspicious,
        ),
        (
            "file",
            Scalar::Str("present "),
            K::EnsureBecomesLink,
            Verdict::Suspicious,
        ),
        (
            "file",
            Scalar::Bool(true),
            K::EnsureBecomesLink,
            Verdict::Suspicious,
        ),
        (
            "service",
            Scalar::Str("started"),
            K::UnknownEnsure,
            Verdict::Rejected,
        ),
        (
            "service",
            Scalar::Str("present"),
            K::UnknownEnsure,
            Verdict::Rejected,
        ),
        (
            "service",
            Scalar::Str("absent"),
            K::UnknownEnsure,
            Verdict::Rejected,
        ),
        (
            "service",
            Scalar::Str("Running"),
            K::UnknownEnsure,
            Verdict::Rejected,
        ),
        (
            "package",
            Scalar::Str(""),
            K::UnknownEnsure,
            Verdict::Rejected,
        ),
        (
            "package",
            Scalar::Str("running"),
            K::EnsureBecomesVersion,
            Verdict::Suspicious,
        ),
        (
            "package",
            Scalar::Str("held"),
            K::EnsureBecomesVersion,
            Verdict::Suspicious,
        ),
        (
            "package",
            Scalar::Str("disabled"),
            K::UnknownEnsure,
            Verdict::Suspicious,
        ),
        (
            "package",
            Scalar::Bool(true),
            K::EnsureBecomesVersion,
            Verdict::Suspicious,
        ),
        (
            "exec",
            Scalar::Str("present"),
            K::NoEnsureParameter,
            Verdict::Rejected,
        ),
    ];
    for (ty, v, kind, verdict) in rows {
        let p = check_ensure(ty, *v).unwrap_or_else(|| panic!("{ty} {v:?} should fail"));
        assert_eq!((p.kind, p.verdict), (*kind, *verdict), "{ty} {v:?}");
        assert!(p.help.is_some(), "{ty} {v:?} has help");
    }
    let p = check_ensure("file", Scalar::Str("File")).and_then(|p| p.help);
    assert_eq!(p.as_deref(), Some("write `ensure => file`"));
}

#[test]
fn mode_pass() {
    for m in [
        "0755", "755", "1777", "04755", "07555", "5", "0", "0644", "u+x,go-w", "a=rX", "+x", "=r",
        "u=g", "g+w-x", "ug=rw,o=", "a+rwxt", "ugo+X", "u+s",
    ] {
        assert_eq!(check_mode(ModeValue::Str(m)), None, "{m:?}");
    }
}

#[test]
fn mode_fail() {
    for m in [
        "0999",
        "rwxr-xr-x",
        "17777",
        "",
        "o-w,",
        "u+x g+x",
        "u",
        "0o755",
        "755 ",
    ] {
        let p = check_mode(ModeValue::Str(m)).unwrap_or_else(|| panic!("{m:?} should fail"));
        assert_eq!(
            (p.kind, p.verdict),
            (K::InvalidMode, Verdict::Rejected),
            "{m:?}"
        );
    }
    let p = check_mode(ModeValue::Str("rwxr-xr-x")).and_then(|p| p.help);
    assert_eq!(p.as_deref(), Some("`rwxr-xr-x` in octal is `'0755'`"));
    let p = check_mode(ModeValue::Str("rwsr-x--T")).and_then(|p| p.help);
    assert_eq!(p.as_deref(), Some("`rwsr-x--T` in octal is `'5750'`"));
    let p = check_mode(ModeValue::Str("0958"));
    assert_eq!(p.and_then(|p| p.span).map(|s| s.range()), Some(1..2));
    for n in ["0755", "755", "644"] {
        let p = check_mode(ModeValue::Number(n)).unwrap_or_else(|| panic!("{n}"));
        assert_eq!((p.kind, p.verdict), (K::NumericMode, Verdict::Rejected));
    }
    let p = check_mode(ModeValue::Number("755")).and_then(|p| p.help);
    assert_eq!(p.as_deref(), Some("quote it: `mode => '0755'`"));
}

#[test]
fn source_pass() {
    for s in [
        "puppet:///modules/k8s/deploy-master.bash",
        "puppet:///files/x",
        "puppet://puppetmaster.example.org/modules/m/f",
        "file:///etc/hostname",
        "file:/etc/hostname",
        "/etc/hostname",
        "https://releases.example.org/x.tar.gz",
        "http://127.0.0.1/x",
    ] {
        assert_eq!(check_source(s), None, "{s:?}");
    }
}

#[test]
fn source_fail() {
    let rows: &[(&str, K, Option<&str>)] = &[
        (
            "puppet://modules/k8s/deploy-master.bash",
            K::MountAsServer,
            Some("modules"),
        ),
        ("puppet://files/x", K::MountAsServer, Some("files")),
        ("modules/k8s/files/x", K::RelativeSource, None),
        ("", K::RelativeSource, None),
        ("k8s/deploy-master.bash", K::RelativeSource, None),
        ("puppet:modules/m/f", K::OpaqueSource, None),
        ("ftp://x/y", K::UnsupportedSourceScheme, Some("ftp")),
        ("s3://bucket/x", K::UnsupportedSourceScheme, Some("s3")),
        (" puppet:///modules/m/f", K::SourceWhitespace, None),
    ];
    for (s, kind, at) in rows {
        let p = check_source(s).unwrap_or_else(|| panic!("{s:?} should fail"));
        assert_eq!(p.kind, *kind, "{s:?}");
        assert_eq!(p.span.map(|sp| &s[sp.range()]), *at, "{s:?}");
    }
    let help = check_source("puppet://modules/m/f").and_then(|p| p.help);
    assert_eq!(help.as_deref(), Some("write `puppet:///modules/m/f`"));
}

#[test]
fn uninterpolated_variables() {
    for raw in [
        "'/usr/local/bin/${name}'",
        "'/etc/${::fqdn}/x'",
        "'${facts['os']['family']}'",
        "'${k8s::version}'",
    ] {
        let p = check_uninterpolated(raw).unwrap_or_else(|| panic!("{raw:?}"));
        assert_eq!(p.kind, K::UninterpolatedVariable);
        let sp = p.span.map(|s| &raw[s.range()]).unwrap_or_default();
        assert!(sp.starts_with("${") && sp.ends_with('}'), "{sp:?}");
    }
    for raw in [
        "\"/usr/local/bin/${name}\"",
        "'/usr/local/bin/kube'",
        "'echo ${HOME} ${PATH}'",
        "'$name'",
        "plain",
    ] {
        assert_eq!(check_uninterpolated(raw), None, "{raw:?}");
    }
    let body = "  ExecStart=/usr/bin/${name} ${DAEMON_ARGS}\n  | EOT";
    for opener in ["@(EOT)", "@(EOT:systemd)", "@('EOT')"] {
        let p = check_uninterpolated_heredoc(opener, body).unwrap_or_else(|| panic!("{opener}"));
        assert_eq!(p.span.map(|s| &body[s.range()]), Some("${name}"));
    }
    assert_eq!(check_uninterpolated_heredoc("@(\"EOT\")", body), None);
    assert_eq!(
        check_uninterpolated_heredoc("@(EOT)", "  ${DAEMON_ARGS}\n"),
        None
    );
}

mod from_the_tree {
    use puppet_preflight::analysis::values::{
        check_attribute, check_attributes, ValueProblemKind as K,
    };
    use puppet_preflight::ast::{AttrOp, AttrOperator, Expr, ExprKind, Radix, Span};

    /// An expression for the first occurrence of `needle` in `src`.
    fn at(src: &str, needle: &str, kind: ExprKind) -> Expr {
        let start = src
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {src}"));
        Expr::new(kind, Span::new(start as u32, (start + needle.len()) as u32))
    }

    fn found(src: &str, ty: &str, attr: &str, e: &Expr) -> Vec<(K, String)> {
        check_attribute(ty, attr, e, src)
            .into_iter()
            .map(|p| {
                let sp = p.span.expect("always placed");
                (p.kind, src[sp.range()].to_string())
            })
            .collect()
    }

    #[test]
    fn spans_point_into_the_manifest() {
        let src = "file { '/x': mode => '0958', source => ['puppet:///modules/m/a', 'puppet://modules/m/b'] }";
        let mode = at(src, "'0958'", ExprKind::Str("0958".into()));
        assert_eq!(
            found(src, "file", "mode", &mode),
            [(K::InvalidMode, "9".to_string())]
        );
        let a = at(
            src,
            "'puppet:///modules/m/a'",
            ExprKind::Str("puppet:///modules/m/a".into()),
        );
        let b = at(
            src,
            "'puppet://modules/m/b'",
            ExprKind::Str("puppet://modules/m/b".into()),
        );
        let arr = Expr::new(
            ExprKind::Array(vec![a.clone(), b.clone()]),
            a.span.to(b.span),
        );
        assert_eq!(
            found(src, "file", "source", &arr),
            [(K::MountAsServer, "modules".to_string())]
        );
    }

    #[test]
    fn bare_words_numbers_booleans_and_exec() {
        let src = "service { 'x': ensure => started } file { '/y': mode => 0755, ensure => true } exec { 'z': ensure => $e }";
        let started = at(src, "started", ExprKind::Name("started".into()));
        assert_eq!(
            found(src, "Service", "ensure", &started),
            [(K::UnknownEnsure, "started".to_string())]
        );
        let num = at(
            src,
            "0755",
            ExprKind::Integer {
                value: 0o755,
                radix: Radix::Octal,
            },
        );
        assert_eq!(
            found(src, "file", "mode", &num),
            [(K::NumericMode, "0755".to_string())]
        );
        let t = at(src, "true", ExprKind::Bool(true));
        assert_eq!(
            found(src, "file", "ensure", &t),
            [(K::EnsureBecomesLink, "true".to_string())]
        );
        let var = at(src, "$e", ExprKind::Variable("e".into()));
        assert_eq!(
            found(src, "exec", "ensure", &var),
            [(K::NoEnsureParameter, "$e".to_string())]
        );
        // A variable elsewhere is not judged.
        assert!(found(src, "file", "ensure", &var).is_empty());
        assert!(found(src, "file", "mode", &var).is_empty());
    }

    #[test]
    fn uninterpolated_in_any_attribute() {
        let src = "file { '/usr/bin/x': ensure => link, target => '/opt/${name}/bin/x' }";
        let target = at(
            src,
            "'/opt/${name}/bin/x'",
            ExprKind::Str("/opt/${name}/bin/x".into()),
        );
        assert_eq!(
            found(src, "file", "target", &target),
            [(K::UninterpolatedVariable, "${name}".to_string())]
        );
        let src = "file { '/u': content => @(EOT)\n  ExecStart=/usr/bin/${name}\n  | EOT\n}";
        let body_start = src.find("  ExecStart").unwrap_or(0);
        let body_end = src.find("  | EOT").unwrap_or(0);
        let text = Expr::new(
            ExprKind::Str("ExecStart=/usr/bin/${name}\n".into()),
            Span::new(body_start as u32, body_end as u32),
        );
        let doc = at(
            src,
            "@(EOT)",
            ExprKind::Heredoc {
                syntax: None,
                text: Box::new(text),
            },
        );
        assert_eq!(
            found(src, "file", "content", &doc),
            [(K::UninterpolatedVariable, "${name}".to_string())]
        );
    }

    /// Found in the Debian corpus (camptocamp-systemd `resolved.pp`): `ensure => 'symlink'`
    /// next to a `target` is a link to the target (verified), so it is not reported; alone
    /// it is a link to the relative path `symlink`.
    #[test]
    fn ensure_word_next_to_a_target_is_a_link_to_the_target() {
        let src = "file { '/etc/resolv.conf': ensure => 'symlink', target => $t }";
        let ensure = at(src, "'symlink'", ExprKind::Str("symlink".into()));
        let target = at(src, "$t", ExprKind::Variable("t".into()));
        let attr = |name: &str, value: &Expr| AttrOp {
            name: name.into(),
            name_span: Span::default(),
            op: AttrOperator::Set,
            value: value.clone(),
            span: value.span,
        };
        let both = [attr("ensure", &ensure), attr("target", &target)];
        assert!(check_attributes("file", &both, src).is_empty());
        let alone = [attr("ensure", &ensure)];
        let p = check_attributes("file", &alone, src);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, K::EnsureBecomesLink);
        assert_eq!(p[0].help.as_deref(), Some("write `ensure => link`"));
    }
}
