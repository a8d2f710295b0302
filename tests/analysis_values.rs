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
