//! `--format html` in a real browser: Debian's `chromium --headless` loads the report of
//! the incident's first commit from disk, and the page renders (a screenshot), the graph
//! in the DOM the browser built holds the incident's nodes, and the browser logs no
//! console message (a blocked load, a script error, a policy violation).
//!
//! Compiled as ignored unless a browser was found when the tests were built (`chromium`
//! or `chromium-browser` on PATH, or `PREFLIGHT_CHROMIUM` naming one; see build.rs), so
//! a machine without one lists the test as ignored rather than counting a skip as a pass.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn browser() -> String {
    std::env::var("PREFLIGHT_CHROMIUM")
        .ok()
        .filter(|b| !b.is_empty())
        .or_else(|| option_env!("PREFLIGHT_CHROMIUM_FOUND").map(str::to_string))
        .unwrap_or_else(|| "chromium".to_string())
}

/// Run the headless browser on `page` with `args`, logging to standard error.
fn chromium(profile: &Path, page: &Path, args: &[&str]) -> Output {
    Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run the browser")
}

/// The console messages of a page load: chromium logs each as a `CONSOLE` line.
fn console(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/incident-2016")
        .join(name)
}

#[test]
#[cfg_attr(
    not(preflight_chromium),
    ignore = "needs a headless browser: install chromium or set PREFLIGHT_CHROMIUM"
)]
fn the_incident_report_renders_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args(["check", "--format", "html", "--output"])
        .arg(&page)
        .arg("--before")
        .arg(fixture("00-base"))
        .arg("--after")
        .arg(fixture("01-kube-scheduler"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let profile = tmp.path().join("profile");

    // The DOM the browser built from the page: the after graph holds the chain of the
    // incident, from the changed template to the binary nothing manages.
    let dom = chromium(&profile, &page, &["--dump-dom"]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let after = dom_text
        .split("<svg class=\"graph-after\"")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .unwrap_or_else(|| panic!("no after graph in the DOM:\n{dom_text}"));
    for node in [
        "repo:modules/k8s/templates/initscripts/kube-scheduler.systemd.erb",
        "resource:File[&#39;/lib/systemd/system/kube-scheduler.service&#39;]",
        "resource:Service[&#39;kube-scheduler&#39;]",
        "path:/usr/bin/kube-scheduler",
        "resource:File[&#39;/usr/bin/kube-scheduler&#39;]",
        "path:/usr/local/bin/kube-scheduler",
    ] {
        // The browser re-serialises attributes with its own escaping.
        let plain = node.replace("&#39;", "'");
        assert!(
            after.contains(&format!("data-id=\"{plain}\""))
                || after.contains(&format!("data-id=\"{node}\"")),
            "no node {plain} in the after graph:\n{after}"
        );
    }
    assert!(
        after.contains("class=\"node kind-path status-unmanaged\""),
        "{after}"
    );
    assert!(
        dom_text.contains("link-over-binary"),
        "the findings are missing"
    );
    assert!(
        console(&dom).is_empty(),
        "console messages: {:#?}",
        console(&dom)
    );

    // It renders: a screenshot is a PNG of the window.
    let shot = tmp.path().join("report.png");
    let png = chromium(
        &profile,
        &page,
        &[
            "--window-size=1400,900",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(
        png.status.success(),
        "{}",
        String::from_utf8_lossy(&png.stderr)
    );
    let bytes = std::fs::read(&shot).expect("the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
    assert!(
        console(&png).is_empty(),
        "console messages: {:#?}",
        console(&png)
    );

    // The console check can fail: a page loading something from the network is blocked
    // by the same policy, and the browser says so on the console.
    let bad = tmp.path().join("bad.html");
    let html = std::fs::read_to_string(&page).unwrap().replace(
        "<footer>",
        "<img src=\"https://example.invalid/x.png\"><footer>",
    );
    std::fs::write(&bad, html).unwrap();
    let blocked = chromium(&profile, &bad, &["--dump-dom"]);
    assert!(
        !console(&blocked).is_empty(),
        "{}",
        String::from_utf8_lossy(&blocked.stderr)
    );
}
