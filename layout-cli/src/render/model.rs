//! The report as people read it, between the analysis and the renderers: struct by
//! struct, its distinct layouts (each with the targets that share it), then its
//! findings deduplicated across targets.
//!
//! The analysis has one [`StructReport`] per struct per target. Eight targets with the
//! same layout are one layout here, and the same finding on eight targets is one
//! finding that lists them. Findings are keyed on (struct, code, field, partner field),
//! never on message text; when the message differs between targets (the numbers do,
//! e.g. 64- against 128-byte lines) the finding keeps one variant per message, each with
//! its targets. Text, markdown and SARIF render this model.

use std::collections::{BTreeMap, HashMap};

use layout::target::TargetInfo;
use layout::{Code, Severity};

use crate::analysis::{Analysis, FileError, StructId, StructReport};

/// The grouped report.
#[derive(Debug)]
pub struct Report<'a> {
    /// Structs in the order of the analysis (file, then source order).
    pub structs: Vec<Group<'a>>,
    /// Input errors.
    pub errors: &'a [FileError],
    /// Every target of the run, in the order asked for.
    pub targets: Vec<&'static TargetInfo>,
    /// Findings removed by an `allow` level (per struct and target).
    pub allowed: usize,
}

/// One struct on every target it exists on.
#[derive(Debug)]
pub struct Group<'a> {
    /// Which struct.
    pub id: &'a StructId,
    /// Its report on the first target (name, file, line, path).
    pub first: &'a StructReport,
    /// Its distinct layouts, in the order of their first target.
    pub layouts: Vec<Layout<'a>>,
    /// Its findings, each once, in the order first found.
    pub findings: Vec<GroupedFinding<'a>>,
}

/// One distinct layout of a struct.
#[derive(Debug)]
pub struct Layout<'a> {
    /// The report of its first target (the others are identical as drawn).
    pub report: &'a StructReport,
    /// The targets that share it.
    pub targets: Vec<&'static TargetInfo>,
    /// The cache-line sizes of those targets, each with its targets, in target order
    /// (several only for a struct that fits in one line of each, whose table does not
    /// depend on the line size).
    pub line_sizes: Vec<(usize, Vec<&'static TargetInfo>)>,
}

/// One finding of a struct, on all the targets where it holds.
#[derive(Debug)]
pub struct GroupedFinding<'a> {
    /// The code.
    pub code: Code,
    /// Its severity after lint levels.
    pub severity: Severity,
    /// The field it is about.
    pub field: Option<&'a str>,
    /// The pair's other field.
    pub partner: Option<&'a str>,
    /// 1-based line (of the first target's finding).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Every target it holds on.
    pub targets: Vec<&'static TargetInfo>,
    /// One entry per distinct message, the first target's first.
    pub variants: Vec<Variant<'a>>,
}

/// A message of a finding and the targets that give it.
#[derive(Debug)]
pub struct Variant<'a> {
    /// The message.
    pub message: &'a str,
    /// The targets.
    pub targets: Vec<&'static TargetInfo>,
}

impl GroupedFinding<'_> {
    /// The first target's message.
    pub fn message(&self) -> &str {
        self.variants.first().map_or("", |v| v.message)
    }
}

impl Group<'_> {
    /// The stable key of a finding of this struct: struct, code, field and partner (what
    /// SARIF fingerprints and deduplication use; never the line or the message).
    pub fn finding_key(&self, f: &GroupedFinding<'_>) -> String {
        format!(
            "{}|{}|{}|{}",
            self.id.key(),
            f.code.as_str(),
            f.field.unwrap_or(""),
            f.partner.unwrap_or("")
        )
    }

    /// The worst severity among its findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// `x86_64-linux, aarch64-linux` (the short names).
pub fn target_list(ts: &[&TargetInfo]) -> String {
    ts.iter().map(|t| t.short).collect::<Vec<_>>().join(", ")
}

impl<'a> Report<'a> {
    /// Groups `a`; `allowed` is what `levels::apply` removed.
    pub fn new(a: &'a Analysis, allowed: usize) -> Report<'a> {
        let mut targets: Vec<&'static TargetInfo> = Vec::new();
        for s in &a.structs {
            if !targets.iter().any(|t| t.triple == s.target.triple) {
                targets.push(s.target);
            }
        }
        // Struct reports of one struct, in analysis order.
        let mut index: BTreeMap<(&StructId, &std::path::Path, usize), usize> = BTreeMap::new();
        let mut members: Vec<Vec<&StructReport>> = Vec::new();
        for s in &a.structs {
            let k = (&s.id, s.file.as_path(), s.line);
            let i = *index.entry(k).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[i].push(s);
        }
        let structs = members.into_iter().map(group).collect();
        Report {
            structs,
            errors: &a.errors,
            targets,
            allowed,
        }
    }

    /// Findings by severity then code, counted once per struct (not per target).
    pub fn counts(&self) -> BTreeMap<(std::cmp::Reverse<Severity>, Code), usize> {
        let mut m = BTreeMap::new();
        for g in &self.structs {
            for f in &g.findings {
                *m.entry((std::cmp::Reverse(f.severity), f.code))
                    .or_insert(0) += 1;
            }
        }
        m
    }

    /// How many findings have this severity.
    pub fn count(&self, sev: Severity) -> usize {
        self.structs
            .iter()
            .flat_map(|g| &g.findings)
            .filter(|f| f.severity == sev)
            .count()
    }
}

fn group(reports: Vec<&StructReport>) -> Group<'_> {
    let first = reports[0];
    let mut layouts: Vec<(String, Layout<'_>)> = Vec::new();
    for &r in &reports {
        let body = super::text::body(r);
        match layouts.iter_mut().find(|(b, _)| *b == body) {
            Some((_, l)) => {
                l.targets.push(r.target);
                match l.line_sizes.iter_mut().find(|(n, _)| *n == r.line_size) {
                    Some((_, ts)) => ts.push(r.target),
                    None => l.line_sizes.push((r.line_size, vec![r.target])),
                }
            }
            None => layouts.push((
                body,
                Layout {
                    report: r,
                    targets: vec![r.target],
                    line_sizes: vec![(r.line_size, vec![r.target])],
                },
            )),
        }
    }
    let mut findings: Vec<GroupedFinding<'_>> = Vec::new();
    // (code, field, partner) -> index in `findings`: linear in the findings, however
    // many a struct has.
    let mut at: HashMap<(Code, Option<&str>, Option<&str>), usize> = HashMap::new();
    for &r in &reports {
        for d in &r.diagnostics {
            let key = (d.code, d.field.as_deref(), d.partner.as_deref());
            let i = *at.entry(key).or_insert_with(|| {
                findings.push(GroupedFinding {
                    code: d.code,
                    severity: d.severity,
                    field: d.field.as_deref(),
                    partner: d.partner.as_deref(),
                    line: d.line,
                    column: d.column,
                    targets: Vec::new(),
                    variants: Vec::new(),
                });
                findings.len() - 1
            });
            let g = &mut findings[i];
            g.severity = g.severity.max(d.severity);
            if !g.targets.iter().any(|t| t.triple == r.target.triple) {
                g.targets.push(r.target);
            }
            match g.variants.iter_mut().find(|v| v.message == d.message) {
                Some(v) => {
                    if !v.targets.iter().any(|t| t.triple == r.target.triple) {
                        v.targets.push(r.target);
                    }
                }
                None => g.variants.push(Variant {
                    message: &d.message,
                    targets: vec![r.target],
                }),
            }
        }
    }
    Group {
        id: &first.id,
        first,
        layouts: layouts.into_iter().map(|(_, l)| l).collect(),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    fn on(mut s: StructReport, short: &str) -> StructReport {
        s.target = layout::target::find(short).expect("row");
        s
    }

    #[test]
    fn identical_layouts_and_findings_collapse_across_targets() {
        let mut a = Analysis {
            structs: vec![
                on(sample::waste(), "x86_64-linux"),
                on(sample::waste(), "aarch64-linux"),
                on(sample::waste(), "x86_64-windows-msvc"),
            ],
            errors: Vec::new(),
        };
        crate::diag::diagnose(&mut a);
        let r = Report::new(&a, 0);
        assert_eq!(r.structs.len(), 1);
        let g = &r.structs[0];
        assert_eq!(g.layouts.len(), 1, "one table for three identical layouts");
        assert_eq!(
            target_list(&g.layouts[0].targets),
            "x86_64-linux, aarch64-linux, x86_64-windows-msvc"
        );
        assert_eq!(g.findings.len(), 1);
        assert_eq!(g.findings[0].targets.len(), 3);
        assert_eq!(g.findings[0].variants.len(), 1);
        assert_eq!(
            r.count(Severity::Warning),
            1,
            "counted once, not per target"
        );
        assert_eq!(g.finding_key(&g.findings[0]), "Waste|padding-waste||");
    }

    #[test]
    fn a_struct_inside_one_line_of_any_size_is_one_table() {
        let mut mac = on(sample::waste(), "aarch64-macos");
        mac.line_size = 128;
        let mut a = Analysis {
            structs: vec![on(sample::waste(), "x86_64-linux"), mac],
            errors: Vec::new(),
        };
        crate::diag::diagnose(&mut a);
        let r = Report::new(&a, 0);
        let l = &r.structs[0].layouts;
        assert_eq!(l.len(), 1, "24 bytes fit in a 64- and a 128-byte line");
        assert_eq!(l[0].line_sizes.len(), 2);
        assert_eq!(
            (l[0].line_sizes[1].0, l[0].line_sizes[1].1[0].short),
            (128, "aarch64-macos")
        );
        let text = crate::render::text::render(&r, Default::default());
        assert!(
            text.contains("lines: 1 of 64 bytes (128 on aarch64-macos) */"),
            "{text}"
        );
    }

    #[test]
    fn a_layout_that_differs_is_its_own_table_and_messages_become_variants() {
        let mut mac = on(sample::ring(), "aarch64-macos");
        mac.line_size = 128;
        let mut a = Analysis {
            structs: vec![on(sample::ring(), "x86_64-linux"), mac],
            errors: Vec::new(),
        };
        crate::diag::diagnose(&mut a);
        let r = Report::new(&a, 0);
        let g = &r.structs[0];
        assert_eq!(
            g.layouts.len(),
            1,
            "64 bytes, one line of either size, the same marks"
        );
        // false-sharing on both; unaligned-base (64-aligned, 128-byte lines) on macOS.
        assert_eq!(g.findings.len(), 2, "{:?}", g.findings);
        assert_eq!(target_list(&g.findings[1].targets), "aarch64-macos");
        let f = &g.findings[0];
        assert_eq!((f.field, f.partner), (Some("tail"), Some("head")));
        assert_eq!(f.variants.len(), 2, "64- and 128-byte lines");
        assert!(f.variants[1].message.contains("128-byte lines"));
        assert_eq!(target_list(&f.variants[1].targets), "aarch64-macos");
    }
}
