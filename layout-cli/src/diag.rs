//! Runs the `layout` crate's rules (and the CLI-only heuristics) over an analysis.
//!
//! Every annotation rule is the `const fn` in `layout::rules`, called here at run time
//! on a `layout::StructLayout` built from the report: one definition of each rule for
//! the derive and the CLI. Only the two findings the compiler cannot make live here:
//! `padding-waste` (needs the reorder search) and `possible-false-sharing` (a heuristic
//! on field kinds).

use layout::rules::{self, Violation};
use layout::{Code, StructLayout};

use crate::analysis::{Analysis, FieldKind, Finding, StructReport};

/// Fills `diagnostics` of every struct report (replacing what was there).
pub fn diagnose(analysis: &mut Analysis) {
    for s in &mut analysis.structs {
        s.diagnostics = diagnose_struct(s);
    }
}

/// A struct that states intent (the derive or `#[layout]`) but whose layout is unknown:
/// its intent goes unchecked by the report, which must not pass silently. Generic
/// structs' own entries are left out (the derive checks them at their instantiations).
fn unknown_intent(s: &StructReport) -> Option<Finding> {
    if !s.annotated || s.generic {
        return None;
    }
    let why = s
        .unknown
        .as_deref()
        .unwrap_or("a field's layout is unknown");
    Some(Finding {
        code: Code::UnknownLayout,
        severity: Code::UnknownLayout.severity(),
        message: format!(
            "{} states layout intent but its layout is unknown: {why}",
            s.name
        ),
        field: None,
        partner: None,
        line: s.line,
        column: s.column,
    })
}

/// The findings for one struct on one target. Only `unknown-layout` when its layout is
/// unknown: a rule checked against a guessed number would be a guess too.
pub fn diagnose_struct(s: &StructReport) -> Vec<Finding> {
    let (Some(fields), Some(size), Some(align)) = (s.field_layouts(), s.size, s.align) else {
        return unknown_intent(s).into_iter().collect();
    };
    if s.line_size == 0 {
        return Vec::new();
    }
    let l = StructLayout {
        name: &s.name,
        size,
        align,
        line: s.line_size,
        prefetch_span: s.target.prefetch_span,
        target: s.target.short,
        repr: s.repr,
        fields: &fields,
        expect: s.expect,
    };
    let mut out = Vec::new();
    let mut push = |v: Option<Violation>| {
        if let Some(v) = v {
            out.push(finding(s, &l, &v));
        }
    };
    push(rules::check_size(&l));
    push(rules::check_align(&l));
    push(rules::check_padding(&l));
    let n = fields.len();
    // The pair rules without looking at all n² pairs, reported in the order of the
    // loops they replace: errors by (field, other field), then warnings likewise.
    let (mut pairs, mut adjacent) = (Vec::new(), Vec::new());
    rules::each_pair_violation(&l, &mut vec![0; n], |v| match v.code {
        Code::AdjacentLine => adjacent.push(v),
        _ => pairs.push(v),
    });
    pairs.sort_by_key(|v| (v.field, v.other));
    adjacent.sort_by_key(|v| (v.field, v.other));
    let mut pairs = pairs.into_iter().peekable();
    for i in 0..n {
        push(rules::check_field(&l, i));
        while let Some(v) = pairs.next_if(|v| v.field == Some(i)) {
            push(Some(v));
        }
    }
    for v in adjacent {
        push(Some(v));
    }
    push(rules::warn_unaligned_base(&l));
    push(rules::warn_unstable_padding(&l));
    out.extend(padding_waste(s, &l));
    out.extend(possible_false_sharing(s, &l));
    out
}

/// Turns a rule's violation into a finding with the rule's own message. The message's
/// `[code] ` prefix is dropped (every output format shows the code on its own), and so
/// is its ` (target T)` suffix: findings are grouped across targets, and the renderers
/// say which targets each holds on.
fn finding(s: &StructReport, l: &StructLayout<'_>, v: &Violation) -> Finding {
    let msg = v.message(l);
    let text = msg.as_str();
    let prefix = format!("[{}] ", v.code.as_str());
    let text = text.strip_prefix(&prefix).unwrap_or(text);
    let suffix = format!(" (target {})", l.target);
    let message = text.strip_suffix(&suffix).unwrap_or(text).to_string();
    let mut f = at(s, v.code, message, v.field);
    f.partner = v
        .other
        .and_then(|i| s.fields.get(i))
        .map(|p| p.name.clone());
    f
}

fn at(s: &StructReport, code: Code, message: String, field: Option<usize>) -> Finding {
    let f = field.and_then(|i| s.fields.get(i));
    Finding {
        code,
        severity: code.severity(),
        message,
        field: f.map(|f| f.name.clone()),
        partner: None,
        line: f.map_or(s.line, |f| f.line),
        column: f.map_or(s.column, |f| f.column),
    }
}

/// `padding-waste`: a `repr(C)` struct whose best order (keeping every intent) is
/// smaller. `repr(Rust)` is skipped (rustc reorders it already) and so are structs the
/// user marked `fixed`.
fn padding_waste(s: &StructReport, l: &StructLayout<'_>) -> Option<Finding> {
    if !s.repr.c || s.fixed {
        return None;
    }
    let best = s.optimal_size?;
    if best >= l.size {
        return None;
    }
    let mut message = format!("{}: struct of size {} could be {}", s.name, l.size, best);
    if let Some(order) = &s.optimal_order {
        let names: Vec<&str> = order
            .iter()
            .filter_map(|&i| s.fields.get(i).map(|f| f.name.as_str()))
            .collect();
        if names.len() == s.fields.len() {
            message.push_str(&format!(" with the order {{ {} }}", names.join(", ")));
        }
    }
    Some(at(s, Code::PaddingWaste, message, None))
}

/// `possible-false-sharing`: a struct without line intent that holds an atomic or a
/// lock (so threads plausibly share it) and has two or more atomics, locks or cells on
/// one cache line. A field's kind looks into the crate's own structs
/// (`Ctx::kind_of`). One finding per such line, at the second field that lands there.
fn possible_false_sharing(s: &StructReport, l: &StructLayout<'_>) -> Vec<Finding> {
    if l.has_line_intent() {
        return Vec::new();
    }
    let shared_kind = |k: FieldKind| matches!(k, FieldKind::Atomic | FieldKind::Lock);
    if !s.fields.iter().any(|f| shared_kind(f.kind)) {
        return Vec::new();
    }
    let hot: Vec<usize> = (0..l.fields.len())
        .filter(|&i| s.fields[i].kind != FieldKind::Plain && l.fields[i].size != 0)
        .collect();
    // Lines where two or more hot fields overlap: every such overlap begins on some hot
    // field's first line, so only those lines are candidates (a huge array cannot make
    // this loop long).
    let mut candidates: Vec<usize> = hot
        .iter()
        .map(|&i| l.fields[i].first_line(l.line))
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut out = Vec::new();
    let mut last_set: Vec<usize> = Vec::new();
    for line in candidates {
        let mut on_line: Vec<usize> = hot
            .iter()
            .copied()
            .filter(|&i| {
                let f = &l.fields[i];
                f.first_line(l.line) <= line && line <= f.last_line(l.line)
            })
            .collect();
        if on_line.len() < 2 || on_line == last_set {
            continue;
        }
        last_set.clone_from(&on_line);
        on_line.sort_by_key(|&i| (l.fields[i].offset, i));
        let names: Vec<String> = on_line
            .iter()
            .map(|&i| format!("{} at {}", l.fields[i].name, l.fields[i].offset))
            .collect();
        let message = format!(
            "{}: {} atomics, locks or cells share line {} of {}-byte lines ({}); \
             separate them, or mark one writer's fields with one #[layout(group)]",
            s.name,
            on_line.len(),
            line,
            l.line,
            names.join(", "),
        );
        let mut f = at(s, Code::PossibleFalseSharing, message, Some(on_line[1]));
        f.partner = Some(l.fields[on_line[0]].name.to_string());
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests;
