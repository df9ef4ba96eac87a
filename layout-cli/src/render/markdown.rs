//! `--format markdown`: a compact table of the structs with findings and of the layouts
//! that changed against `--baseline`, for a pull-request comment. With `--exact` a
//! line under the counts says how many layouts have rustc's numbers and how many the
//! static model's (naming a toolchain other than the one the model was checked on), and
//! each row says where its struct's numbers came from (`Numbers` column).

use std::fmt::Write as _;

use layout::Severity;

use crate::analysis::NumberSource;
use crate::render::display_path;
use crate::render::model::{Group, Report, target_list};
use crate::render::text::{Exact, source_on};
use crate::snapshot::Change;

/// The comment: a heading with the counts, one row per struct with findings, one row
/// per layout change, and the input errors; `exact` with `--exact`.
pub fn render(r: &Report<'_>, changes: &[Change], exact: Option<Exact<'_>>) -> String {
    let mut out = String::new();
    let (e, w) = (r.count(Severity::Error), r.count(Severity::Warning));
    let _ = writeln!(out, "### Struct layouts\n");
    let _ = writeln!(
        out,
        "{} structs on {} targets: **{e} errors**, {w} warnings, {} allowed, {} layout changes, {} input errors.\n",
        r.structs.len(),
        r.targets.len(),
        r.allowed,
        changes.len(),
        r.errors.len()
    );
    if let Some(x) = exact {
        let _ = writeln!(out, "{}.\n", upper_first(&x.counts(r)));
    }
    let failing: Vec<_> = r
        .structs
        .iter()
        .filter(|g| !g.findings.is_empty())
        .collect();
    if !failing.is_empty() {
        if exact.is_some() {
            out.push_str("| | Struct | Where | Findings | Targets | Numbers |\n");
            out.push_str("|---|---|---|---|---|---|\n");
        } else {
            out.push_str("| | Struct | Where | Findings | Targets |\n");
            out.push_str("|---|---|---|---|---|\n");
        }
        for g in failing {
            let mark = if g.worst() == Some(Severity::Error) {
                "❌"
            } else {
                "⚠️"
            };
            let findings: Vec<String> = g
                .findings
                .iter()
                .map(|f| {
                    let what = match (f.field, f.partner) {
                        (Some(a), Some(b)) => format!(" `{a}`/`{b}`"),
                        (Some(a), None) => format!(" `{a}`"),
                        _ => String::new(),
                    };
                    format!("{} `{}`{what}", f.severity.as_str(), f.code.as_str())
                })
                .collect();
            let mut targets: Vec<&layout::target::TargetInfo> = Vec::new();
            for t in g.findings.iter().flat_map(|f| &f.targets) {
                if !targets.iter().any(|o| o.triple == t.triple) {
                    targets.push(t);
                }
            }
            let targets = if targets.len() == r.targets.len() && r.targets.len() > 1 {
                "all".to_string()
            } else {
                target_list(&targets)
            };
            let numbers = exact
                .map(|x| format!(" {} |", numbers(g, &x)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {mark} | `{}` | `{}:{}` | {} | {} |{numbers}",
                cell(&g.id.key()),
                cell(&display_path(&g.first.file)),
                g.first.line,
                cell(&findings.join("<br>")),
                targets
            );
        }
        out.push('\n');
    }
    if !changes.is_empty() {
        out.push_str("| Changed | Change |\n|---|---|\n");
        for c in changes {
            let _ = writeln!(out, "| `{}` | {} |", cell(&c.subject), cell(&c.message));
        }
        out.push('\n');
    }
    for err in r.errors {
        let line = err.line.map_or(String::new(), |l| format!(":{l}"));
        let _ = writeln!(
            out,
            "- input error: `{}{line}`: {}",
            cell(&display_path(&err.file)),
            cell(&err.message)
        );
    }
    out
}

/// Where a struct's numbers came from: `rustc 1.95.0` or `static model`, or both with
/// their targets.
fn numbers(g: &Group<'_>, x: &Exact<'_>) -> String {
    let all: Vec<_> = g
        .layouts
        .iter()
        .flat_map(|l| l.targets.iter().copied())
        .collect();
    let word = |s: NumberSource| match s {
        NumberSource::Rustc => format!("rustc {}", x.rustc),
        NumberSource::Static => "static model".to_string(),
    };
    if let Some(s) = source_on(g, &all) {
        return word(s);
    }
    [NumberSource::Rustc, NumberSource::Static]
        .into_iter()
        .map(|s| {
            let ts: Vec<_> = all
                .iter()
                .copied()
                .filter(|t| source_on(g, &[*t]) == Some(s))
                .collect();
            format!("{} on {}", word(s), target_list(&ts))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Text safe inside a table cell: no `|` or newline breaks the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn one_row_per_failing_struct_and_per_change() {
        let a = sample::analysis();
        let r = Report::new(&a, 0);
        let changes = [Change {
            subject: "crate::Ring on x86_64-unknown-linux-gnu".into(),
            message: "size 64 -> 128".into(),
        }];
        let md = render(&r, &changes, None);
        assert!(md.contains("**1 errors**, 2 warnings"), "{md}");
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("| ❌") || l.starts_with("| ⚠️"))
            .collect();
        assert_eq!(rows.len(), 3, "{md}");
        assert!(
            rows[1].contains("`Ring`") && rows[1].contains("error `false-sharing` `tail`/`head`"),
            "{md}"
        );
        assert!(md.contains("| `crate::Ring on x86_64-unknown-linux-gnu` | size 64 -> 128 |"));
        assert!(md.contains("- input error: `src/broken.rs:3`: expected `;`"));
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn exact_adds_the_counts_and_a_numbers_column() {
        let mut a = sample::analysis();
        for s in a.structs.iter_mut().filter(|s| s.name == "Ring") {
            s.source = NumberSource::Rustc;
        }
        let r = Report::new(&a, 0);
        let plain = render(&r, &[], None);
        assert!(
            !plain.contains("Numbers") && !plain.contains("rustc"),
            "{plain}"
        );
        let x = Exact {
            rustc: "1.95.0",
            note: None,
        };
        let md = render(&r, &[], Some(x));
        assert!(
            md.contains(
                "\nNumbers: 1 layout from rustc 1.95.0 (exact), 3 from the static model.\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("| Targets | Numbers |\n|---|---|---|---|---|---|\n"),
            "{md}"
        );
        let ring = md.lines().find(|l| l.contains("`Ring`")).unwrap();
        assert!(ring.ends_with(" | rustc 1.95.0 |"), "{ring}");
        let waste = md.lines().find(|l| l.contains("`Waste`")).unwrap();
        assert!(waste.ends_with(" | static model |"), "{waste}");
    }
}
