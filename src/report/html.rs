//! `--format html`: one self-contained page for a reviewer. It holds the plain-words summary
//! of what the change does on the hosts, the restart and link chains ([`super::graph`])
//! drawn before and after as inline SVG, and every finding with its snippets and help.
//!
//! Self-contained means: no script, no external style sheet, font or image, and a
//! Content-Security-Policy that forbids loading anything, so the page shows the same
//! from a CI artifact store, a mail attachment or a disk with no network.
//!
//! The graph is laid out here, left to right in layers (the longest path from a node with
//! no incoming arrow gives the column; nodes in a column are ordered by the mean row of
//! their predecessors), with sizes computed from the labels in a monospace font.

use std::fmt::Write;

use super::graph::{Graph, NodeKind, Status};
use super::human::{effect_line, render_finding, summary_line, NO_EFFECTS};
use super::{ChangeReport, ReportData};
use crate::diagnostic::Side;

/// Text for HTML content and attribute values (also valid in inline SVG).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.extend(c.escape_default());
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:1.5em;color:#212529;max-width:110em}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1.05em}
code,pre{font-family:ui-monospace,monospace;font-size:.85em}
pre{background:#f8f9fa;border:1px solid #dee2e6;padding:.6em;overflow-x:auto;white-space:pre}
.finding{margin:1em 0}.finding summary{cursor:pointer}
.sev{display:inline-block;min-width:4.5em;font-weight:bold}
.sev-error{color:#c92a2a}.sev-warning{color:#e67700}.sev-info{color:#1864ab}
.graph{overflow-x:auto;border:1px solid #dee2e6;padding:.4em;margin-bottom:1em}
.legend span{display:inline-block;margin-right:1.2em;font-size:.85em}
.sw{display:inline-block;width:1em;height:1em;vertical-align:middle;border:1px solid #495057;margin-right:.3em}
svg text{font-family:ui-monospace,monospace;font-size:12px}
svg .edge-label{font-family:system-ui,sans-serif;font-size:10px;fill:#495057}
svg .node rect{stroke:#495057;stroke-width:1}
svg .status-unchanged rect{fill:#ffffff}svg .status-changed rect{fill:#fff3bf}
svg .status-added rect{fill:#d3f9d8}svg .status-removed rect{fill:#ffe3e3;stroke-dasharray:4 2}
svg .status-unmanaged rect{fill:#ffc9c9;stroke:#c92a2a;stroke-dasharray:4 2}
svg .kind-path rect{rx:14px}svg .kind-repo-file rect{stroke-dasharray:2 2}
svg path.edge{fill:none;stroke:#495057;stroke-width:1.2}
svg path.edge-refresh{stroke:#c92a2a;stroke-width:2}
svg path.edge-written-by,svg path.edge-renders{stroke-dasharray:5 3}
";

/// Character width and sizes of the drawing, in pixels.
const CHAR_W: f64 = 7.3;
const PAD_X: f64 = 10.0;
const NODE_H: f64 = 26.0;
const STATUS_H: f64 = 14.0;
const GAP_X: f64 = 80.0;
const GAP_Y: f64 = 22.0;
const MARGIN: f64 = 12.0;
const LINE_H: f64 = 15.0;
/// Where a long label is cut into lines.
const WRAP: usize = 36;

struct Placed {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// Lay `g` out: the box of each node and the size of the drawing.
fn layout(g: &Graph) -> (Vec<Placed>, f64, f64) {
    let layers = g.layers();
    let columns = layers.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (i, &l) in layers.iter().enumerate() {
        by_column[l].push(i);
    }
    // Order each column by the mean row of the predecessors already placed.
    let mut row = vec![0f64; g.nodes.len()];
    for column in &mut by_column {
        let key = |n: usize| {
            let preds: Vec<f64> = g
                .edges
                .iter()
                .filter(|e| e.to == n && layers[e.from] < layers[n])
                .map(|e| row[e.from])
                .collect();
            if preds.is_empty() {
                f64::MAX
            } else {
                preds.iter().sum::<f64>() / preds.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = column.iter().map(|&n| (key(n), n)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *column = keyed.into_iter().map(|(_, n)| n).collect();
        for (r, &n) in column.iter().enumerate() {
            row[n] = r as f64;
        }
    }
    let size = |n: usize| {
        let node = &g.nodes[n];
        let lines = lines(&node.label);
        let chars = lines
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .max(status_text(node.status).len());
        let mut h = NODE_H + (lines.len() - 1) as f64 * LINE_H;
        if node.status != Status::Unchanged {
            h += STATUS_H;
        }
        (chars as f64 * CHAR_W + 2.0 * PAD_X, h)
    };
    let mut placed: Vec<Placed> = (0..g.nodes.len())
        .map(|_| Placed {
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0,
        })
        .collect();
    // Rows of one height (the tallest box) with each box centred in its row, so that an
    // arrow between two boxes of the same row is straight.
    let slot = (0..g.nodes.len()).map(|n| size(n).1).fold(NODE_H, f64::max);
    let mut x = MARGIN;
    let mut height: f64 = 0.0;
    for column in &by_column {
        let width = column.iter().map(|&n| size(n).0).fold(0.0, f64::max);
        let mut y = MARGIN;
        for &n in column {
            let (w, h) = size(n);
            placed[n] = Placed {
                x,
                y: y + (slot - h) / 2.0,
                w,
                h,
            };
            y += slot + GAP_Y;
        }
        height = height.max(y);
        x += width + GAP_X;
    }
    (placed, x - GAP_X + MARGIN, height - GAP_Y + MARGIN)
}

/// A label's lines: at most [`WRAP`] characters where it can be cut after a `/` (a long
/// path or template name), else whole.
fn lines(label: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut pieces = label.split_inclusive('/').peekable();
    while let Some(piece) = pieces.next() {
        let len = line.chars().count() + piece.chars().count();
        if len > WRAP && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        line.push_str(piece);
        if pieces.peek().is_none() {
            out.push(std::mem::take(&mut line));
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Unchanged => "",
        Status::Changed => "changed by this change",
        Status::Added => "added by this change",
        Status::Removed => "removed by this change",
        Status::Unmanaged => "nothing in the repository writes it",
    }
}

/// The inline SVG of one side's graph.
pub fn svg(g: &Graph, side: Side) -> String {
    let side_name = match side {
        Side::Before => "before",
        Side::After => "after",
    };
    if g.is_empty() {
        return format!(
            "<p class=\"graph-empty\" data-side=\"{side_name}\">No restart or link chain to draw.</p>\n"
        );
    }
    let (placed, width, height) = layout(g);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"graph-{side_name}\" data-side=\"{side_name}\" role=\"img\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\">"
    );
    let _ = writeln!(
        out,
        "<title>{}</title>",
        escape(&format!("restart and link chains, {side_name} the change"))
    );
    out.push_str("<defs><marker id=\"arrow-");
    out.push_str(side_name);
    out.push_str("\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#495057\"/></marker></defs>\n");
    for e in &g.edges {
        let (a, b) = (&placed[e.from], &placed[e.to]);
        let (x1, y1) = (a.x + a.w, a.y + a.h / 2.0);
        let (x2, y2) = (b.x, b.y + b.h / 2.0);
        let (d, lx, ly) = if x2 > x1 {
            let mid = (x1 + x2) / 2.0;
            (
                format!("M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}"),
                mid,
                (y1 + y2) / 2.0 - 4.0,
            )
        } else {
            // An arrow back to an earlier column (a cycle): around below both boxes.
            let below = a.y.max(b.y) + a.h.max(b.h) + GAP_Y / 2.0;
            (
                format!(
                    "M{x1:.1},{y1:.1} C{:.1},{below:.1} {:.1},{below:.1} {x2:.1},{y2:.1}",
                    x1 + 40.0,
                    x2 - 40.0
                ),
                (x1 + x2) / 2.0,
                below,
            )
        };
        let _ = writeln!(
            out,
            "<g class=\"edge\" data-kind=\"{}\" data-from=\"{}\" data-to=\"{}\"><path class=\"edge edge-{}\" d=\"{d}\" marker-end=\"url(#arrow-{side_name})\"/><text class=\"edge-label\" x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\">{}</text></g>",
            e.kind.as_str(),
            escape(&g.nodes[e.from].id),
            escape(&g.nodes[e.to].id),
            e.kind.as_str(),
            escape(&e.label),
        );
    }
    for (n, p) in g.nodes.iter().zip(&placed) {
        let _ = write!(
            out,
            "<g class=\"node kind-{} status-{}\" data-id=\"{}\"><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            n.kind.as_str(),
            n.status.as_str(),
            escape(&n.id),
            escape(&n.label),
            p.x,
            p.y,
            p.w,
            p.h,
            if n.kind == NodeKind::Path { 12 } else { 3 },
            p.x + PAD_X,
            p.y + 17.0,
            lines(&n.label)
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let dy = if i == 0 { 0.0 } else { LINE_H };
                    format!("<tspan x=\"{:.1}\" dy=\"{dy}\">{}</tspan>", p.x + PAD_X, escape(l))
                })
                .collect::<String>(),
        );
        if n.status != Status::Unchanged {
            let lines = lines(&n.label).len() - 1;
            let _ = write!(
                out,
                "<text class=\"edge-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                p.x + PAD_X,
                p.y + 17.0 + lines as f64 * LINE_H + STATUS_H,
                status_text(n.status)
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn legend() -> String {
    let mut out = String::from("<p class=\"legend\">");
    for (status, colour, border) in [
        (Status::Changed, "#fff3bf", "solid"),
        (Status::Added, "#d3f9d8", "solid"),
        (Status::Removed, "#ffe3e3", "dashed"),
        (Status::Unmanaged, "#ffc9c9", "dashed"),
    ] {
        let _ = write!(
            out,
            "<span><i class=\"sw\" style=\"background:{colour};border-style:{border}\"></i>{}</span>",
            status_text(status)
        );
    }
    out.push_str("<span>boxes: resources; rounded: paths on the hosts; dotted: repository files; red arrows: refresh (restart) relationships</span></p>\n");
    out
}

fn change_section(out: &mut String, data: &ReportData, ch: &ChangeReport, several: bool) {
    out.push_str("<section class=\"change\">\n");
    if several {
        let _ = writeln!(
            out,
            "<h2>{}..{}{}</h2>",
            escape(&ch.base),
            escape(&ch.head),
            ch.title
                .as_ref()
                .map(|t| format!(" {}", escape(t)))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "<p class=\"counts\">{}</p>",
            escape(&summary_line(&data.tool.name, &ch.counts()))
        );
    }
    if let Some(c) = &ch.configuration {
        let _ = writeln!(
            out,
            "<p class=\"configuration\">configuration: {}</p>",
            escape(c)
        );
    }
    out.push_str("<h2>What this change does on the hosts</h2>\n<ul class=\"effects\">\n");
    if ch.effects.is_empty() {
        let _ = writeln!(out, "<li>{}</li>", escape(NO_EFFECTS));
    }
    for e in &ch.effects {
        let _ = writeln!(
            out,
            "<li data-kind=\"{}\">{}</li>",
            e.kind.as_str(),
            escape(&effect_line(ch, e))
        );
    }
    out.push_str("</ul>\n<h2>Restart and link chains</h2>\n");
    out.push_str(&legend());
    for (side, title) in [
        (Side::Before, "Before the change"),
        (Side::After, "After the change"),
    ] {
        let _ = writeln!(out, "<h3>{title}</h3>\n<div class=\"graph\">");
        out.push_str(&svg(ch.graph.side(side), side));
        out.push_str("</div>\n");
    }
    out.push_str("<h2>Findings</h2>\n");
    let findings: Vec<_> = ch
        .sorted_findings()
        .into_iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    if findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
    }
    for f in findings {
        let sev = f.severity.as_str();
        let mut words = String::new();
        if f.location.side == Side::Before {
            words.push_str(" (before the change)");
        }
        if f.preexisting {
            words.push_str(super::PREEXISTING_NOTE);
        }
        let _ = writeln!(
            out,
            "<details class=\"finding\" open data-rule=\"{}\"><summary><span class=\"sev sev-{sev}\">{sev}</span> <code>{}</code> {}{}</summary>\n<pre>{}</pre></details>",
            escape(f.rule),
            escape(f.rule),
            escape(&f.message),
            escape(&words),
            escape(&render_finding(ch, f)),
        );
    }
    out.push_str("</section>\n");
}

/// Render the whole page.
pub fn render(data: &ReportData) -> String {
    let several = data.changes.len() > 1;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let range = format!("{}..{}", data.base(), data.head());
    let _ = writeln!(
        out,
        "<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        escape(&format!("{}: {range}", data.tool.name))
    );
    let title = match (several, data.changes.first().and_then(|c| c.title.as_ref())) {
        (false, Some(t)) => format!(" — {t}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "<h1>{}</h1>",
        escape(&format!("{} {range}{title}", data.tool.name))
    );
    let mut last = summary_line(&data.tool.name, &data.counts());
    if several {
        last.push_str(&format!(" in {} commits", data.changes.len()));
    }
    let _ = writeln!(
        out,
        "<p class=\"counts\" id=\"summary\">{}</p>",
        escape(&last)
    );
    for ch in &data.changes {
        change_section(&mut out, data, ch, several);
    }
    let _ = writeln!(
        out,
        "<footer><p>{} {}</p></footer>\n</body>\n</html>",
        escape(&data.tool.name),
        escape(&data.tool.version)
    );
    out
}
