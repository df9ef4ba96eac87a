//! `--format text`: struct by struct, a pahole-style table per distinct layout (headed
//! by the targets that share it), then one line per finding in rustc's style
//! (`warning[code]: file:line:col: message`, with the targets it holds on and why it
//! matters), then a one-line summary of counts by severity and code.
//!
//! Fields are drawn in memory order with `offset size align`, holes and tail padding
//! as `/* XXX N bytes hole */`, a `--- cache line N (offset M) ---` marker at every
//! line boundary, each `#[layout]` annotation with ✓ (holds) or ✗ and the failing
//! codes, and the totals. The marks and the severity words are the same with and
//! without colour, so what a snapshot or a CI log shows is what a terminal shows.
//!
//! With `--exact` every table's header ends with where its numbers came from,
//! `(rustc 1.95.0, exact)` or `(static model)`, and a line after the summary counts
//! both and names a toolchain other than the one the static model was checked on. Two
//! targets with equal tables but numbers from different sources get a table each.

use std::fmt::Write as _;

use layout::{Code, Severity};

use layout::target::TargetInfo;

use crate::analysis::{FieldReport, NumberSource, StructReport};
use crate::render::display_path;
use crate::render::model::{Group, GroupedFinding, Report, target_list};

/// What to print.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Tables, findings and the summary.
    #[default]
    Full,
    /// Findings and the summary (`--quiet`).
    Quiet,
    /// The summary line only (`--summary`), after any input errors.
    Summary,
}

/// How to draw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// ANSI colour for severities and marks.
    pub color: bool,
    /// What to print.
    pub mode: Mode,
    /// Set with `--exact`: every layout is marked with where its numbers came from.
    pub exact: Option<Exact<'a>>,
}

/// The toolchain `--exact` asked (text, markdown and SARIF name it).
#[derive(Clone, Copy, Debug)]
pub struct Exact<'a> {
    /// `rustc -vV`'s `release:`, e.g. `1.95.0`.
    pub rustc: &'a str,
    /// Set when that is not the toolchain the static model was checked on.
    pub note: Option<&'a str>,
}

impl Exact<'_> {
    /// `rustc 1.95.0, exact` or `static model`: where one layout's numbers came from.
    pub fn label(&self, source: NumberSource) -> String {
        match source {
            NumberSource::Rustc => format!("rustc {}, exact", self.rustc),
            NumberSource::Static => "static model".to_string(),
        }
    }

    /// `numbers: 3 layouts from rustc 1.95.0 (exact), 1 from the static model`, and the
    /// toolchain note when there is one.
    pub fn counts(&self, r: &Report<'_>) -> String {
        let (mut rustc, mut model) = (0, 0);
        for l in r.structs.iter().flat_map(|g| &g.layouts) {
            match l.report.source {
                NumberSource::Rustc => rustc += 1,
                NumberSource::Static => model += 1,
            }
        }
        let mut s = format!(
            "numbers: {} from rustc {} (exact), {model} from the static model",
            plural(rustc, "layout"),
            self.rustc
        );
        if let Some(n) = self.note {
            let _ = write!(s, "; {n}");
        }
        s
    }
}

/// Where the numbers of `g` on `targets` came from: one source, or `None` when they
/// differ between those targets (a target that did not compile keeps static numbers).
pub fn source_on(g: &Group<'_>, targets: &[&TargetInfo]) -> Option<NumberSource> {
    let mut found = None;
    for l in &g.layouts {
        if l.targets
            .iter()
            .any(|t| targets.iter().any(|o| o.triple == t.triple))
        {
            match found {
                None => found = Some(l.report.source),
                Some(s) if s != l.report.source => return None,
                Some(_) => {}
            }
        }
    }
    found
}

const PASS: &str = "✓";
const FAIL: &str = "✗";

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity, s: &str) -> String {
        match sev {
            Severity::Error => self.wrap("1;31", s),
            Severity::Warning => self.wrap("1;33", s),
        }
    }
    fn pass(&self) -> String {
        self.wrap("32", PASS)
    }
    fn fail(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
}

/// The whole report.
pub fn render(r: &Report<'_>, opts: Options) -> String {
    let p = Paint { on: opts.color };
    let mut out = String::new();
    if opts.mode == Mode::Full {
        // The instantiations of each generic struct, for its own entry's note.
        let mut insts: std::collections::HashMap<(&str, &str), Vec<&str>> = Default::default();
        for g in &r.structs {
            if let Some(i) = &g.first.instance {
                insts
                    .entry((g.id.package.as_str(), i.generic.as_str()))
                    .or_default()
                    .push(&g.first.name);
            }
        }
        for g in &r.structs {
            for l in &g.layouts {
                header(&mut out, l.report, &target_list(&l.targets), opts.exact);
                if l.report.generic && l.report.unknown.is_some() {
                    let key = (g.id.package.as_str(), l.report.path.as_str());
                    match insts.get(&key) {
                        Some(names) => {
                            let _ = writeln!(
                                out,
                                "    /* generic: see the instantiations below: {} */",
                                names.join(", ")
                            );
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "    /* generic: no instantiation is named (in a field type, `verify::<..>()` or `[package.metadata.layout] instantiations`) */"
                            );
                        }
                    }
                }
                let note = line_note(&l.line_sizes);
                table(&mut out, l.report, &p, note.as_deref());
                out.push('\n');
            }
        }
    }
    if opts.mode != Mode::Summary {
        for g in &r.structs {
            for f in &g.findings {
                finding_lines(&mut out, g.first, f, r.targets.len(), &p);
            }
        }
    }
    // Input errors even with --summary: they make the exit code 2, so say why.
    for e in r.errors {
        let mut at = display_path(&e.file);
        if let Some(l) = e.line {
            let _ = write!(at, ":{l}");
            if let Some(c) = e.column {
                let _ = write!(at, ":{c}");
            }
        }
        let _ = writeln!(
            out,
            "{}: {at}: {}",
            p.severity(Severity::Error, "error"),
            e.message
        );
    }
    summary(&mut out, r);
    if let Some(x) = opts.exact {
        let _ = writeln!(out, "{}", x.counts(r));
    }
    out
}

fn finding_lines(
    out: &mut String,
    s: &StructReport,
    f: &GroupedFinding<'_>,
    all: usize,
    p: &Paint,
) {
    let label = format!("{}[{}]", f.severity.as_str(), f.code.as_str());
    let _ = writeln!(
        out,
        "{}: {}:{}:{}: {}",
        p.severity(f.severity, &label),
        display_path(&s.file),
        f.line,
        f.column,
        f.message()
    );
    for (i, v) in f.variants.iter().enumerate() {
        let every = if all > 1 && v.targets.len() == all && f.variants.len() == 1 {
            " (every target)"
        } else {
            ""
        };
        if i == 0 {
            let _ = writeln!(out, "    on {}{every}", target_list(&v.targets));
        } else {
            let _ = writeln!(out, "    on {}: {}", target_list(&v.targets), v.message);
        }
    }
    let _ = writeln!(out, "    why: {}", f.code.summary());
}

fn summary(out: &mut String, r: &Report<'_>) {
    let layouts: usize = r.structs.iter().map(|g| g.layouts.len()).sum();
    // Unknown layouts are not findings (nothing is wrong that we know of), but a rule
    // was not checked for them: say how many, so a clean run does not overstate. A
    // generic struct's own entry is not one: its rules are checked at its
    // instantiations, which are entries of their own.
    let unchecked = r
        .structs
        .iter()
        .flat_map(|g| &g.layouts)
        .filter(|l| !checked(l.report) && !l.report.generic)
        .count();
    let by = |sev: Severity| -> String {
        let n = r.count(sev);
        let word = plural(n, sev.as_str());
        let codes: Vec<String> = r
            .counts()
            .iter()
            .filter(|((s, _), _)| s.0 == sev)
            .map(|((_, c), n)| format!("{} {n}", c.as_str()))
            .collect();
        if codes.is_empty() {
            word
        } else {
            format!("{word} ({})", codes.join(", "))
        }
    };
    let _ = writeln!(
        out,
        "{} on {} ({}): {}, {}, {} allowed; {}; {} unchecked (unknown layout)",
        plural(r.structs.len(), "struct"),
        plural(r.targets.len(), "target"),
        plural(layouts, "distinct layout"),
        by(Severity::Error),
        by(Severity::Warning),
        r.allowed,
        plural(r.errors.len(), "input error"),
        unchecked,
    );
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The table of one layout without its header line and without colour: two targets
/// whose bodies are equal share one table. A struct that fits in one cache line looks
/// the same whatever the line size (no line markers, one line), so its line size is
/// left out: the totals row then lists the sizes per target. Numbers from rustc are
/// kept apart from the static model's by a first line naming the source (not drawn),
/// so one header never covers numbers of both.
pub fn body(s: &StructReport) -> String {
    let mut out = String::new();
    if s.source == NumberSource::Rustc {
        out.push_str("numbers from rustc\n");
    }
    let fits = s.size.is_some_and(|z| z <= s.line_size);
    table(
        &mut out,
        s,
        &Paint { on: false },
        fits.then_some("of ? bytes"),
    );
    out
}

/// `of 64 bytes (128 on aarch64-macos; 256 on s390x-linux)` when the targets of one
/// table have different line sizes; `None` (the table's own size) when they agree.
fn line_note(sizes: &[(usize, Vec<&'static layout::target::TargetInfo>)]) -> Option<String> {
    let (first, rest) = sizes.split_first()?;
    if rest.is_empty() {
        return None;
    }
    let others: Vec<String> = rest
        .iter()
        .map(|(n, ts)| format!("{n} on {}", target_list(ts)))
        .collect();
    Some(format!("of {} bytes ({})", first.0, others.join("; ")))
}

fn header(out: &mut String, s: &StructReport, targets: &str, exact: Option<Exact<'_>>) {
    let from = exact
        .map(|x| format!(" ({})", x.label(s.source)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "struct {} {{  // {}:{}, repr({}), on {targets}{from}",
        s.name,
        display_path(&s.file),
        s.line,
        s.repr_text
    );
}

/// One row of a table, placed by byte offset.
enum Row<'a> {
    Field(&'a FieldReport),
    Hole {
        start: usize,
        len: usize,
    },
    Tail(usize),
    Line {
        k: usize,
        offset: usize,
    },
    /// Several boundaries inside one field, hole or tail: one row, not thousands.
    Lines {
        first: usize,
        last: usize,
        line: usize,
    },
}

/// `line_note` replaces the totals row's `of N bytes` (see [`line_note`]).
fn table(out: &mut String, s: &StructReport, p: &Paint, line_note: Option<&str>) {
    if let Some(i) = &s.instance {
        let mut at = format!("{}:{}:{}", display_path(&i.file), i.line, i.column);
        if let Some(v) = &i.via {
            let _ = write!(at, ", via {v}");
        }
        let _ = writeln!(
            out,
            "    /* instantiation of {}, named at {at} */",
            i.generic
        );
    }
    match &s.unknown {
        // A generic struct's own entry: what depends on a parameter is laid out with each
        // instantiation, not unknown for lack of a model.
        Some(why) if s.generic => {
            let _ = writeln!(out, "    /* depends on a parameter: {why} */");
        }
        Some(why) => {
            let _ = writeln!(out, "    /* unknown: {why} */");
        }
        None => {}
    }
    if let crate::analysis::Presence::Unknown(why) = &s.present {
        let _ = writeln!(
            out,
            "    /* present only if a cfg this tool cannot know holds: {why} */"
        );
    }
    let width = s
        .fields
        .iter()
        .map(|f| f.name.chars().count() + f.ty.chars().count() + 3)
        .max()
        .unwrap_or(0)
        .clamp(24, 48);
    for row in rows(s) {
        match row {
            Row::Field(f) => {
                let decl = format!("{}: {},", f.name, f.ty);
                let _ = write!(
                    out,
                    "    {decl:<width$} /* {:>5} {:>5} {:>5} */",
                    num(f.offset),
                    num(f.size),
                    num(f.align)
                );
                if let Some(a) = field_annotation(s, f, p) {
                    let _ = write!(out, "  {a}");
                }
                out.push('\n');
            }
            Row::Hole { start, len } => {
                let _ = writeln!(out, "    /* XXX {} hole at {start} */", bytes(len));
            }
            Row::Tail(len) => {
                let _ = writeln!(out, "    /* XXX {} tail padding */", bytes(len));
            }
            Row::Line { k, offset } => {
                let _ = writeln!(out, "    --- cache line {k} (offset {offset}) ---");
            }
            Row::Lines { first, last, line } => {
                let _ = writeln!(
                    out,
                    "    --- cache lines {first} to {last} (offsets {} to {}) ---",
                    first.saturating_mul(line),
                    last.saturating_mul(line)
                );
            }
        }
    }
    totals(out, s, line_note);
    if let Some(a) = struct_annotation(s, p) {
        let _ = writeln!(out, "    /* {a} */");
    }
    out.push_str("};\n");
}

fn bytes(n: usize) -> String {
    plural(n, "byte")
}

fn num(n: Option<usize>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

/// Fields in memory order with holes, tail and line markers; declaration order with no
/// markers when any offset is unknown (the memory order is unknown then).
fn rows(s: &StructReport) -> Vec<Row<'_>> {
    let known = s
        .fields
        .iter()
        .all(|f| f.offset.is_some() && f.size.is_some())
        && s.size.is_some();
    if !known {
        return s.fields.iter().map(Row::Field).collect();
    }
    let size = s.size.unwrap_or(0);
    let mut fields: Vec<(usize, usize, &FieldReport)> = s
        .fields
        .iter()
        .map(|f| (f.offset.unwrap_or(0), f.size.unwrap_or(0), f))
        .collect();
    // Stable: zero-sized fields sharing an offset keep declaration order.
    fields.sort_by_key(|&(off, _, _)| off);
    // (position, rank, row): at one position a line marker comes first, then a hole,
    // then the field that starts there.
    let mut placed: Vec<(usize, u8, Row<'_>)> = Vec::new();
    let mut end = 0usize;
    for &(off, len, f) in &fields {
        if off > end {
            placed.push((
                end,
                1,
                Row::Hole {
                    start: end,
                    len: off - end,
                },
            ));
        }
        placed.push((off, 2, Row::Field(f)));
        end = end.max(off.saturating_add(len));
    }
    if size > end {
        placed.push((end, 1, Row::Tail(size - end)));
    }
    if s.line_size > 0 {
        placed.extend(line_markers(&placed, size, s.line_size));
    }
    placed.sort_by_key(|&(pos, rank, _)| (pos, rank));
    placed.into_iter().map(|(_, _, r)| r).collect()
}

/// A marker at each line boundary below `size`: boundaries that fall where a row starts
/// come before that row; boundaries strictly inside a row's bytes are drawn after it,
/// one row for one boundary, a range row for several. The number of markers is bounded
/// by the number of rows, whatever the struct's size.
fn line_markers<'a>(
    placed: &[(usize, u8, Row<'a>)],
    size: usize,
    line: usize,
) -> Vec<(usize, u8, Row<'a>)> {
    let mut starts: Vec<usize> = placed.iter().map(|&(pos, _, _)| pos).collect();
    starts.push(size);
    starts.sort_unstable();
    starts.dedup();
    let mut out = Vec::new();
    for w in starts.windows(2) {
        let (a, b) = (w[0], w[1]);
        // Lines k with a <= k * line < b, k >= 1.
        let mut lo = a.div_ceil(line).max(1);
        let hi = b.div_ceil(line).saturating_sub(1);
        if lo > hi {
            continue;
        }
        if lo.saturating_mul(line) == a {
            out.push((a, 0, Row::Line { k: lo, offset: a }));
            lo += 1;
        }
        if lo == hi {
            out.push((
                lo * line,
                3,
                Row::Line {
                    k: lo,
                    offset: lo * line,
                },
            ));
        } else if lo < hi {
            out.push((
                lo * line,
                3,
                Row::Lines {
                    first: lo,
                    last: hi,
                    line,
                },
            ));
        }
    }
    out
}

fn totals(out: &mut String, s: &StructReport, line_note: Option<&str>) {
    let (Some(size), Some(align)) = (s.size, s.align) else {
        let _ = writeln!(
            out,
            "    /* size: {}, align: {}, padding: ?, lines: ? */",
            num(s.size),
            num(s.align)
        );
        return;
    };
    let end = s
        .fields
        .iter()
        .map(|f| f.offset?.checked_add(f.size?))
        .try_fold(0usize, |m, e| e.map(|e| m.max(e)));
    let padding = match (s.padding(), end) {
        (Some(pad), Some(end)) => {
            let tail = size.saturating_sub(end);
            format!("{pad} (holes {}, tail {tail})", pad.saturating_sub(tail))
        }
        (Some(pad), None) => pad.to_string(),
        _ => "?".to_string(),
    };
    let lines = if s.line_size == 0 {
        "?".to_string()
    } else {
        size.div_ceil(s.line_size).to_string()
    };
    let of = line_note.map_or_else(|| format!("of {} bytes", s.line_size), str::to_string);
    let _ = writeln!(
        out,
        "    /* size: {size}, align: {align}, padding: {padding}, lines: {lines} {of} */"
    );
}

fn failing_codes<'a>(
    s: &'a StructReport,
    field: Option<&'a str>,
    codes: &'a [Code],
) -> impl Iterator<Item = &'a str> + 'a {
    s.diagnostics
        .iter()
        .filter(move |d| {
            d.severity == Severity::Error
                && d.field.as_deref() == field
                && (codes.is_empty() || codes.contains(&d.code))
        })
        .map(|d| d.code.as_str())
}

fn mark(p: &Paint, failing: Vec<&str>) -> String {
    if failing.is_empty() {
        p.pass()
    } else {
        let mut seen = failing;
        seen.dedup();
        p.fail(&format!("{FAIL} {}", seen.join(", ")))
    }
}

/// Whether the rules could run: every number of the struct and its fields is known.
/// Otherwise annotations show `?`, never a ✓ nobody checked.
fn checked(s: &StructReport) -> bool {
    s.size.is_some()
        && s.align.is_some()
        && s.fields
            .iter()
            .all(|f| f.offset.is_some() && f.size.is_some() && f.align.is_some())
}

/// `#[layout(group = "p", isolated)] ✓` or `✗ false-sharing`; `None` without intent.
fn field_annotation(s: &StructReport, f: &FieldReport, p: &Paint) -> Option<String> {
    let i = &f.intent;
    let mut parts = Vec::new();
    if let Some(o) = i.offset {
        parts.push(format!("offset = {o}"));
    }
    if let Some(l) = i.line {
        parts.push(format!("line = {l}"));
    }
    if let Some(g) = &i.group {
        parts.push(format!("group = {g:?}"));
    }
    if i.isolated {
        parts.push("isolated".to_string());
    }
    if i.pad {
        parts.push("pad".to_string());
    }
    if parts.is_empty() {
        return None;
    }
    let verdict = if checked(s) {
        mark(p, failing_codes(s, Some(&f.name), &[]).collect())
    } else {
        "?".to_string()
    };
    Some(format!("#[layout({})] {verdict}", parts.join(", ")))
}

/// `#[layout(size = 128 ✓, max_padding = 8 ✗ padding-budget, line = 64)]`.
fn struct_annotation(s: &StructReport, p: &Paint) -> Option<String> {
    let e = &s.expect;
    let mut parts = Vec::new();
    let checked = |code: Code| -> String {
        if !checked(s) {
            return "?".to_string();
        }
        mark(p, failing_codes(s, None, &[code]).collect())
    };
    if let Some(n) = e.size {
        parts.push(format!("size = {n} {}", checked(Code::SizeMismatch)));
    }
    if let Some(n) = e.align {
        parts.push(format!("align = {n} {}", checked(Code::AlignMismatch)));
    }
    if let Some(n) = e.max_padding {
        parts.push(format!(
            "max_padding = {n} {}",
            checked(Code::PaddingBudget)
        ));
    }
    if let Some(n) = e.line {
        parts.push(format!("line = {n}"));
    }
    if parts.is_empty() {
        None
    } else {
        Some(format!("#[layout({})]", parts.join(", ")))
    }
}

#[cfg(test)]
mod tests;
