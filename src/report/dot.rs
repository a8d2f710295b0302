//! `--format dot`: the picture of the change ([`super::graph`]) for Graphviz, one cluster
//! per side (`dot -Tsvg report.dot > report.svg`). With `--each`, one pair of clusters per
//! commit.

use std::fmt::Write;

use super::graph::{EdgeKind, Graph, NodeKind, Status};
use super::ReportData;
use crate::diagnostic::Side;

/// A Graphviz double-quoted string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn node_attrs(kind: NodeKind, status: Status) -> String {
    let shape = match kind {
        NodeKind::RepoFile => "note",
        NodeKind::Resource => "box",
        NodeKind::Path => "ellipse",
    };
    let style = match status {
        Status::Unchanged => "",
        Status::Changed => ", style=\"filled\", fillcolor=\"#fff3bf\"",
        Status::Added => ", style=\"filled\", fillcolor=\"#d3f9d8\"",
        Status::Removed => ", style=\"filled,dashed\", fillcolor=\"#ffe3e3\"",
        Status::Unmanaged => ", style=\"filled,dashed\", fillcolor=\"#ffc9c9\", color=\"#c92a2a\"",
    };
    format!("shape={shape}{style}")
}

fn cluster(out: &mut String, prefix: &str, side: Side, title: &str, g: &Graph) {
    let side_name = match side {
        Side::Before => "before",
        Side::After => "after",
    };
    let _ = writeln!(
        out,
        "  subgraph {} {{",
        quote(&format!("cluster_{prefix}{side_name}"))
    );
    let _ = writeln!(out, "    label={};", quote(title));
    if g.is_empty() {
        let _ = writeln!(
            out,
            "    {} [label=\"nothing to draw\", shape=plaintext];",
            quote(&format!("{prefix}{side_name}:empty"))
        );
    }
    for n in &g.nodes {
        let mut label = n.label.clone();
        if n.status != Status::Unchanged {
            label.push_str(&format!("\n({})", n.status.as_str()));
        }
        let _ = writeln!(
            out,
            "    {} [label={}, {}];",
            quote(&format!("{prefix}{side_name}:{}", n.id)),
            quote(&label),
            node_attrs(n.kind, n.status)
        );
    }
    for e in &g.edges {
        let style = match e.kind {
            EdgeKind::Refresh => ", color=\"#c92a2a\", penwidth=2",
            EdgeKind::WrittenBy | EdgeKind::Renders => ", style=dashed",
            _ => "",
        };
        let _ = writeln!(
            out,
            "    {} -> {} [label={}{style}];",
            quote(&format!("{prefix}{side_name}:{}", g.nodes[e.from].id)),
            quote(&format!("{prefix}{side_name}:{}", g.nodes[e.to].id)),
            quote(&e.label),
        );
    }
    out.push_str("  }\n");
}

/// Render the graphs of every change as one Graphviz digraph.
pub fn render(data: &ReportData) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// {} {}: what the change restarts and what it runs, before and after",
        data.tool.name, data.tool.version
    );
    out.push_str("digraph preflight {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n  edge [fontname=\"sans-serif\", fontsize=9];\n");
    let several = data.changes.len() > 1;
    for (i, ch) in data.changes.iter().enumerate() {
        let prefix = if several {
            format!("{}:", i + 1)
        } else {
            String::new()
        };
        let head = if several {
            format!(" ({}..{})", ch.base, ch.head)
        } else {
            String::new()
        };
        for side in [Side::Before, Side::After] {
            let title = match side {
                Side::Before => format!("before{head}"),
                Side::After => format!("after{head}"),
            };
            cluster(&mut out, &prefix, side, &title, ch.graph.side(side));
        }
    }
    out.push_str("}\n");
    out
}
