//! Unit files and `Exec*=` command lines: PASS/FAIL tables, incident-style templates, and
//! every unit template of the Debian puppet-module corpus (skipped when it is absent).

use puppet_preflight::analysis::systemd::{
    expand_specifiers, parse_exec, parse_unit, validate_exec, ExecPath, ExecProblemKind, WordPart,
};
use puppet_preflight::analysis::template::TemplateKind;
use std::path::Path;

fn kind_name(k: &ExecProblemKind) -> &'static str {
    match k {
        ExecProblemKind::ShellOperator(_) => "operator",
        ExecProblemKind::CommandSubstitution => "substitution",
        ExecProblemKind::GlobInExecutable => "glob",
        ExecProblemKind::QuotedWholeCommand => "quoted-whole",
        ExecProblemKind::RelativePath => "relative",
        ExecProblemKind::BareName => "bare-name",
        ExecProblemKind::ShellBuiltin(_) => "builtin",
        ExecProblemKind::VariableExecutable => "variable-exe",
        ExecProblemKind::StrayBeforePath => "stray",
        ExecProblemKind::EmptyCommand => "empty",
        ExecProblemKind::UnbalancedQuote => "unbalanced-quote",
        ExecProblemKind::SeveralExecStart => "several-execstart",
        ExecProblemKind::UnclearedExecStart => "uncleared-execstart",
    }
}

fn kinds(cmd: &str) -> Vec<&'static str> {
    validate_exec(cmd)
        .iter()
        .map(|p| kind_name(&p.kind))
        .collect()
}

/// Command lines systemd runs as intended.
const PASS: &[&str] = &[
    "/usr/bin/kube-apiserver $KUBE_LOGTOSTDERR $KUBE_LOG_LEVEL $DAEMON_ARGS",
    "/usr/bin/foo --name=${NAME} --dir=\"${DIR}\"",
    "/bin/sh -c 'a && b'",
    "/bin/sh -c 'dmesg | tac > /tmp/x'",
    "/bin/bash -c \"set -e; /usr/bin/x || exit 1\"",
    "/bin/bash -ec 'curl -f http://x | tar x'",
    "/usr/bin/env bash -c 'a && b'",
    "/usr/bin/env FOO=1 sh -c 'a | b'",
    "/usr/bin/foo '--x=a|b'",
    "/usr/bin/foo \"--x=a|b\"",
    "/usr/bin/foo --x='a && b'",
    "/usr/local/bin/worker %i",
    "/usr/bin/%p --instance=%i --unit=%n",
    "-/usr/bin/foo --optional",
    "@/usr/sbin/daemon daemon-name -f",
    "+/usr/bin/privileged",
    "!!/usr/bin/ambient",
    "-!/usr/bin/x",
    ":/usr/bin/literal $NOT_EXPANDED",
    "'/bin/true'",
    "/bin/echo a \\; b",
    "/bin/echo one ; /bin/echo two",
    "/bin/kill -HUP $MAINPID",
    "/usr/bin/foo --pattern=*.log",
    "/usr/bin/awk '{print $1}'",
    "/usr/bin/printf %%s",
];

/// Command lines with the problem kinds they must report.
const FAIL: &[(&str, &[&str])] = &[
    ("/usr/bin/foo && /usr/bin/bar", &["operator"]),
    ("/usr/bin/foo || true", &["operator"]),
    ("/usr/bin/foo | /usr/bin/logger", &["operator"]),
    ("/usr/bin/foo > /var/log/foo.log", &["operator"]),
    (
        "/usr/bin/foo >/var/log/foo.log 2>&1",
        &["operator", "operator"],
    ),
    ("/usr/bin/foo < /etc/input", &["operator"]),
    ("/usr/bin/foo &", &["operator"]),
    ("/usr/bin/foo; /usr/bin/bar", &["operator"]),
    ("/usr/bin/foo --host=$(hostname)", &["substitution"]),
    ("/usr/bin/foo --host=`hostname`", &["substitution"]),
    ("/usr/bin/foo \"--host=$(hostname)\"", &["substitution"]),
    ("/usr/local/bin/kube-*", &["glob"]),
    ("/opt/app/bin/app-?.?", &["glob"]),
    ("\"/usr/bin/foo --bar\"", &["quoted-whole"]),
    ("'/usr/bin/foo --bar baz'", &["quoted-whole"]),
    ("-\"/usr/bin/foo --bar\"", &["quoted-whole"]),
    ("bin/foo --x", &["relative"]),
    ("./run.sh", &["relative"]),
    ("../bin/run", &["relative"]),
    ("x/bin/true", &["relative"]),
    ("true", &["bare-name"]),
    ("python3 /opt/app/main.py", &["bare-name"]),
    ("cd /srv/app", &["builtin"]),
    ("${BIN} --x", &["variable-exe"]),
    ("$BIN --x", &["variable-exe"]),
    ("=/usr/bin/foo", &["stray"]),
    ("- /usr/bin/foo", &["stray"]),
    ("\\/usr/bin/foo", &["stray"]),
    ("/usr/bin/foo ; ", &["empty"]),
    ("/usr/bin/foo 'unterminated", &["unbalanced-quote"]),
    // An explicit shell with an unquoted script: the shell runs only the first word.
    ("/bin/sh -c echo a && echo b", &["operator"]),
];

#[test]
fn pass_commands_have_no_problems() {
    for cmd in PASS {
        let found = validate_exec(cmd);
        assert!(found.is_empty(), "{cmd:?} should pass, got {found:#?}");
    }
}

#[test]
fn fail_commands_report_exactly_their_problems() {
    for (cmd, expected) in FAIL {
        assert_eq!(&kinds(cmd), expected, "{cmd:?}");
    }
}

#[test]
fn problem_spans_point_at_the_offending_word() {
    let cmd = "/usr/bin/foo --a && /usr/bin/bar";
    let p = validate_exec(cmd);
    assert_eq!(p.len(), 1);
    assert_eq!(&cmd[p[0].span.range()], "&&");
    let cmd = "-\"/usr/bin/foo --bar\"";
    let p = validate_exec(cmd);
    assert_eq!(&cmd[p[0].span.range()], "\"/usr/bin/foo --bar\"");
}

#[test]
fn prefixes_argv0_and_executable() {
    let parsed = parse_exec("-@/usr/sbin/daemon my-daemon --flag");
    let c = &parsed.commands[0];
    assert!(c.prefixes.ignore_failure && c.prefixes.custom_argv0);
    assert_eq!(c.path, ExecPath::Known("/usr/sbin/daemon".into()));
    assert_eq!(c.argv0.as_ref().map(|w| w.text()), Some("my-daemon".into()));
    assert_eq!(c.args.len(), 1);
    let cmd = "-@/usr/sbin/daemon my-daemon --flag";
    let exe = c.executable.as_ref().map(|w| w.span.range());
    assert_eq!(exe.map(|r| &cmd[r]), Some("/usr/sbin/daemon"));

    let parsed = parse_exec("!!/usr/bin/x");
    assert!(parsed.commands[0].prefixes.ambient_fallback);
    assert!(!parsed.commands[0].prefixes.elevated);
}

#[test]
fn semicolon_words_split_commands_and_escaped_semicolons_do_not() {
    assert_eq!(parse_exec("/bin/a x ; /bin/b y").commands.len(), 2);
    let one = parse_exec("/bin/echo a \\; b");
    assert_eq!(one.commands.len(), 1);
    assert_eq!(one.commands[0].args[1].text(), ";");
}

#[test]
fn specifiers_and_variables_are_recognised() {
    let parsed = parse_exec("/usr/bin/%p-worker --id=%i ${OPTS} $ARGS %%");
    let c = &parsed.commands[0];
    assert_eq!(c.path, ExecPath::Known("/usr/bin/%p-worker".into()));
    assert_eq!(
        c.executable.as_ref().map(|w| w.specifiers()),
        Some(vec!['p'])
    );
    assert!(matches!(&c.args[1].parts[0], WordPart::Env { name, braced: true } if name == "OPTS"));
    assert!(matches!(&c.args[2].parts[0], WordPart::Env { name, braced: false } if name == "ARGS"));
    assert_eq!(c.args[3].text(), "%");
    assert_eq!(
        expand_specifiers("/etc/default/%p and %i of %n (%N) %%", "kube@a1.service"),
        "/etc/default/kube and a1 of kube@a1.service (kube@a1) %"
    );
}

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/analysis/units")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn incident_template_before_joins_continuations_and_skips_template_code() {
    let text = fixture("kube-apiserver.before.systemd.erb");
    let unit = parse_unit(&text, TemplateKind::Erb);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let starts = unit.exec_start();
    assert_eq!(starts.len(), 1);
    let c = &starts[0];
    assert_eq!(c.path.known(), Some("/usr/local/bin/kube-apiserver"));
    let args: Vec<String> = c.args.iter().map(|w| w.text()).collect();
    assert_eq!(
        args,
        [
            "--etcd-servers=…",
            "--admission-control=…",
            "--service-cluster-ip-range=…",
            "--tls-cert-file=/var/lib/kubernetes/server.cert",
            "--authorization-mode=ABAC"
        ]
    );
    // Spans still point into the original template, across the joined lines.
    let last = &c.args[4];
    assert_eq!(&text[last.span.range()], "--authorization-mode=ABAC");
    let exe = c.executable.as_ref().map(|w| &text[w.span.range()]);
    assert_eq!(exe, Some("/usr/local/bin/kube-apiserver"));
    assert!(
        unit.validate(false).is_empty(),
        "{:?}",
        unit.validate(false)
    );
    assert_eq!(unit.service_type(), None);
}

#[test]
fn incident_template_after_reads_type_and_environment_files() {
    let text = fixture("kube-apiserver.after.systemd.erb");
    let unit = parse_unit(&text, TemplateKind::Erb);
    let starts = unit.exec_start();
    assert_eq!(starts[0].path.known(), Some("/usr/bin/kube-apiserver"));
    assert_eq!(starts[0].args.len(), 4);
    assert_eq!(
        unit.service_type().and_then(|t| t.value),
        Some("notify".to_string())
    );
    let env = unit.environment_files();
    assert_eq!(env.len(), 2);
    assert!(env.iter().all(|e| e.optional));
    assert_eq!(env[1].path.text(), "/etc/default/%p");
    assert_eq!(env[1].path.specifiers(), vec!['p']);
    assert_eq!(&text[env[1].span.range()], "-/etc/default/%p");
    assert!(unit.validate(false).is_empty());
    let scheduler = parse_unit(&fixture("kube-scheduler.systemd.erb"), TemplateKind::Erb);
    assert_eq!(
        scheduler.exec_start()[0].path.known(),
        Some("/usr/bin/kube-scheduler")
    );
}

#[test]
fn epp_output_tag_in_executable_position_is_unknown() {
    let text = fixture("wrapper-in-tag.service.epp");
    let unit = parse_unit(&text, TemplateKind::Epp);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let cmds = unit.exec_commands();
    let keys: Vec<&str> = cmds.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["ExecStartPre", "ExecStart", "ExecReload"]);
    assert_eq!(cmds[0].path.known(), Some("/usr/sbin/haproxy"));
    assert_eq!(cmds[1].path, ExecPath::Unknown);
    assert_eq!(cmds[2].path.known(), Some("/bin/kill"));
    // The parameter block and the `if` lines are template code, not entries.
    let keys: Vec<&str> = unit.entries.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"Environment"));
    assert!(
        unit.validate(false).is_empty(),
        "{:?}",
        unit.validate(false)
    );
}

#[test]
fn partial_executable_keeps_its_literal_prefix() {
    let unit = parse_unit(
        "[Service]\nExecStart=/opt/<%= @app %>/bin/run --x\n",
        TemplateKind::Erb,
    );
    let c = &unit.exec_start()[0];
    assert_eq!(
        c.path,
        ExecPath::Partial {
            prefix: "/opt/".into()
        }
    );
    assert!(unit.validate(false).is_empty());
}

#[test]
fn dropin_reset_is_not_several_execstart() {
    let unit = parse_unit(&fixture("dropin-override.conf"), TemplateKind::Plain);
    let starts = unit.exec_start();
    assert_eq!(starts.len(), 1);
    assert_eq!(
        starts[0].path.known(),
        Some("/usr/bin/kube-controller-manager")
    );
    assert!(unit.validate(true).is_empty());
    assert!(unit.validate(false).is_empty());
}

#[test]
fn several_execstart_in_simple_service_is_reported_but_not_in_oneshot() {
    let text = "[Service]\nExecStart=/usr/bin/a\nExecStart=/usr/bin/b\n";
    let unit = parse_unit(text, TemplateKind::Plain);
    let p = unit.validate(false);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].kind, ExecProblemKind::SeveralExecStart);
    assert_eq!(&text[p[0].span.range()], "/usr/bin/b");
    // A drop-in without its own Type= is not judged.
    assert!(unit.validate(true).is_empty());

    let oneshot = parse_unit(
        "[Service]\nType=oneshot\nExecStart=/usr/bin/a\nExecStart=/usr/bin/b ; /usr/bin/c\n",
        TemplateKind::Plain,
    );
    assert!(oneshot.validate(false).is_empty());

    let semicolons = parse_unit(
        "[Service]\nType=simple\nExecStart=/usr/bin/a ; /usr/bin/b\n",
        TemplateKind::Plain,
    );
    assert_eq!(semicolons.validate(false).len(), 1);

    // Alternatives in a template are not several ExecStart lines.
    let branches = "[Service]\n<% if @pkg -%>\nExecStart=/usr/bin/a\n<% else -%>\nExecStart=/usr/local/bin/a\n<% end -%>\n";
    let unit = parse_unit(branches, TemplateKind::Erb);
    assert_eq!(unit.exec_start().len(), 2, "both branches are read");
    assert!(unit.validate(false).is_empty());
    // … but two lines in the same branch are.
    let same =
        "[Service]\n<% if @pkg -%>\nExecStart=/usr/bin/a\nExecStart=/usr/bin/b\n<% end -%>\n";
    assert_eq!(parse_unit(same, TemplateKind::Erb).validate(false).len(), 1);

    let templated_type = parse_unit(
        "[Service]\nType=<%= @type %>\nExecStart=/usr/bin/a\nExecStart=/usr/bin/b\n",
        TemplateKind::Erb,
    );
    assert!(templated_type.validate(false).is_empty());
}

#[test]
fn timer_job_with_shell_syntax_and_quoted_command() {
    let text = fixture("timer-job-bad.service");
    let unit = parse_unit(&text, TemplateKind::Plain);
    let names: Vec<&str> = unit
        .validate(false)
        .iter()
        .map(|p| kind_name(&p.kind))
        .collect();
    assert_eq!(names, ["operator", "operator", "quoted-whole"]);
}

#[test]
fn comments_sections_and_continuations_follow_systemd_syntax() {
    let text = "# top\n; also a comment\n[Unit]\nDescription=x\n[Service]\n\
                ExecStart=/bin/echo a \\\n# comment inside\n  b\n\
                Environment=A=1 \\\n\nUser=nobody\nnot an entry\n";
    let unit = parse_unit(text, TemplateKind::Plain);
    let names: Vec<&str> = unit.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Unit", "Service"]);
    let start = &unit.exec_start()[0];
    let args: Vec<String> = start.args.iter().map(|w| w.text()).collect();
    assert_eq!(args, ["a", "b"]);
    // An empty line ends a continuation.
    let env = unit.entries.iter().find(|e| e.key == "Environment");
    assert_eq!(env.map(|e| e.value.text.as_str()), Some("A=1"));
    assert!(unit.entries.iter().any(|e| e.key == "User"));
    assert_eq!(unit.errors.len(), 1);
    assert_eq!(&text[unit.errors[0].span.range()], "not an entry");
    // Only [Service] (or section-less) Exec lines count.
    let other = parse_unit("[Unit]\nExecStart=/bin/x\n", TemplateKind::Plain);
    assert!(other.exec_start().is_empty());
}

#[test]
fn lines_made_only_of_template_output_are_recorded_as_unknown() {
    let unit = parse_unit(
        "[Service]\n<%= @extra_lines %>\n<%= @k %>=1\nExecStart=/bin/x\n",
        TemplateKind::Erb,
    );
    assert_eq!(unit.unknown_lines.len(), 1);
    assert_eq!(unit.templated_keys.len(), 1);
    assert_eq!(unit.exec_start().len(), 1);
}

#[test]
fn empty_values_have_a_span_after_the_equals_sign() {
    let text = "[Service]\nExecStart=\nType=\n";
    let unit = parse_unit(text, TemplateKind::Plain);
    let reset = &unit.entries[0];
    assert!(reset.value.text.is_empty());
    assert_eq!(
        reset.value.span().start as usize,
        text.find("ExecStart=").unwrap_or(0) + 10
    );
    assert_eq!(
        unit.service_type().map(|t| t.span.start as usize),
        text.find("Type=").map(|p| p + 5)
    );
}

#[test]
fn bare_names_depend_on_the_systemd_version() {
    let p = validate_exec("python3 /opt/app/main.py");
    assert!(!p[0].kind.applies_to(None));
    assert!(!p[0].kind.applies_to(Some(252)));
    assert!(p[0].kind.applies_to(Some(232)));
    let p = validate_exec("/usr/bin/a && /usr/bin/b");
    assert!(p[0].kind.applies_to(None));
}

#[test]
fn dropin_exec_start_without_reset() {
    let adds = parse_unit(
        "[Service]\nExecStart=/usr/bin/x --debug\n",
        TemplateKind::Plain,
    );
    let p = adds.uncleared_exec_start().expect("flagged");
    assert_eq!(p.kind, ExecProblemKind::UnclearedExecStart);
    let resets = parse_unit(
        "[Service]\nExecStart=\nExecStart=/usr/bin/x\n",
        TemplateKind::Plain,
    );
    assert!(resets.uncleared_exec_start().is_none());
    assert!(resets.clears_exec_start());
    let oneshot = parse_unit(
        "[Service]\nType=oneshot\nExecStart=/bin/x\n",
        TemplateKind::Plain,
    );
    assert!(oneshot.uncleared_exec_start().is_none());
    assert_eq!(oneshot.refuses_second_exec_start(), Some(false));
    let templated = parse_unit(
        "[Service]\n<%= @reset %>\nExecStart=/bin/x\n",
        TemplateKind::Erb,
    );
    assert!(templated.uncleared_exec_start().is_none());
    let daemon = parse_unit("[Service]\nExecStart=/usr/sbin/d\n", TemplateKind::Plain);
    assert_eq!(daemon.refuses_second_exec_start(), Some(true));
    let none = parse_unit("[Unit]\nDescription=x\n", TemplateKind::Plain);
    assert_eq!(none.refuses_second_exec_start(), Some(false));
}
