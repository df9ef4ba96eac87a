//! Every rule's meaning, written once.
//!
//! These are `const fn`s: the derive's generated `const` items call [`assert_struct`]
//! and [`assert_field`] so rustc evaluates them for the target being built, and
//! layout-cli calls the `check_*`/`warn_*` functions at run time over layouts it
//! computed itself. Lines are counted from the struct's first byte, as pahole does.

use crate::{Code, FieldLayout, MsgBuf, StructLayout};

/// One rule violated by one struct (and field, and other field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which rule.
    pub code: Code,
    /// Index into [`StructLayout::fields`] of the field the finding is about.
    pub field: Option<usize>,
    /// The other field of a pair rule (`false-sharing`, `not-isolated`, `adjacent-line`).
    pub other: Option<usize>,
    /// What the annotation asked for (size, offset, line, padding budget); for pair
    /// rules, the line or prefetch block they share.
    pub expected: usize,
    /// What the layout has.
    pub actual: usize,
}

const fn v(
    code: Code,
    field: Option<usize>,
    other: Option<usize>,
    expected: usize,
    actual: usize,
) -> Violation {
    Violation {
        code,
        field,
        other,
        expected,
        actual,
    }
}

/// `size-mismatch`.
pub const fn check_size(l: &StructLayout<'_>) -> Option<Violation> {
    match l.expect.size {
        Some(want) if want != l.size => Some(v(Code::SizeMismatch, None, None, want, l.size)),
        _ => None,
    }
}

/// `align-mismatch`.
pub const fn check_align(l: &StructLayout<'_>) -> Option<Violation> {
    match l.expect.align {
        Some(want) if want != l.align => Some(v(Code::AlignMismatch, None, None, want, l.align)),
        _ => None,
    }
}

/// `padding-budget`. A descriptor whose fields add up to more than its size (only a
/// wrong hand-written one can) counts as `usize::MAX` bytes of padding.
pub const fn check_padding(l: &StructLayout<'_>) -> Option<Violation> {
    match l.expect.max_padding {
        Some(max) => {
            let pad = match l.padding() {
                Some(p) => p,
                None => usize::MAX,
            };
            if pad > max {
                Some(v(Code::PaddingBudget, None, None, max, pad))
            } else {
                None
            }
        }
        None => None,
    }
}

/// The first struct-level error: size, then alignment, then padding budget.
pub const fn check_struct(l: &StructLayout<'_>) -> Option<Violation> {
    if let Some(x) = check_size(l) {
        return Some(x);
    }
    if let Some(x) = check_align(l) {
        return Some(x);
    }
    check_padding(l)
}

/// Single-field rules for field `i`: `offset-mismatch`, `wrong-line`, `line-straddle`.
pub const fn check_field(l: &StructLayout<'_>, i: usize) -> Option<Violation> {
    let f = &l.fields[i];
    if let Some(want) = f.intent.offset
        && want != f.offset
    {
        return Some(v(Code::OffsetMismatch, Some(i), None, want, f.offset));
    }
    let (first, last) = (f.first_line(l.line), f.last_line(l.line));
    if let Some(k) = f.intent.line {
        if first != k {
            return Some(v(Code::WrongLine, Some(i), None, k, first));
        }
        if last != k {
            return Some(v(Code::LineStraddle, Some(i), None, k, last));
        }
    } else if f.intent.isolated && f.size <= l.line && last != first {
        return Some(v(Code::LineStraddle, Some(i), None, first, last));
    }
    None
}

const fn share_line(a: &FieldLayout<'_>, b: &FieldLayout<'_>, line: usize) -> Option<usize> {
    let (a0, a1) = (a.first_line(line), a.last_line(line));
    let (b0, b1) = (b.first_line(line), b.last_line(line));
    let lo = if a0 > b0 { a0 } else { b0 };
    let hi = if a1 < b1 { a1 } else { b1 };
    if lo <= hi { Some(lo) } else { None }
}

/// Pair rules with field `i` as the subject and `j` as the other field:
/// `not-isolated` (if `i` is isolated) and `false-sharing` (reported once, at the later
/// field: only when `j < i`). Callers iterate all ordered pairs `i != j`.
pub const fn check_pair(l: &StructLayout<'_>, i: usize, j: usize) -> Option<Violation> {
    if i == j {
        return None;
    }
    let (a, b) = (&l.fields[i], &l.fields[j]);
    if !a.occupies() || !b.occupies() {
        return None;
    }
    let shared = match share_line(a, b, l.line) {
        Some(line) => line,
        None => return None,
    };
    if a.intent.isolated {
        return Some(v(Code::NotIsolated, Some(i), Some(j), shared, shared));
    }
    if j < i
        && let (Some(ga), Some(gb)) = (a.intent.group, b.intent.group)
        && !crate::target::str_eq(ga, gb)
    {
        return Some(v(Code::FalseSharing, Some(i), Some(j), shared, shared));
    }
    None
}

/// The first error about field `i`: its own rules, then its pairs in field order.
pub const fn check_field_all(l: &StructLayout<'_>, i: usize) -> Option<Violation> {
    if let Some(x) = check_field(l, i) {
        return Some(x);
    }
    let mut j = 0;
    while j < l.fields.len() {
        if let Some(x) = check_pair(l, i, j) {
            return Some(x);
        }
        j += 1;
    }
    None
}

/// `adjacent-line` (warning): fields `i` and `j < i` of different groups on different
/// lines of one prefetch block (`prefetch_span`-aligned, counted from the struct's start).
pub const fn warn_adjacent(l: &StructLayout<'_>, i: usize, j: usize) -> Option<Violation> {
    if j >= i || l.prefetch_span <= l.line {
        return None;
    }
    let (a, b) = (&l.fields[i], &l.fields[j]);
    if !a.occupies() || !b.occupies() || share_line(a, b, l.line).is_some() {
        return None;
    }
    match (a.intent.group, b.intent.group) {
        (Some(ga), Some(gb)) if !crate::target::str_eq(ga, gb) => {}
        _ => return None,
    }
    let span = l.prefetch_span;
    let (a0, a1) = (a.offset / span, (a.offset + a.size - 1) / span);
    let (b0, b1) = (b.offset / span, (b.offset + b.size - 1) / span);
    let lo = if a0 > b0 { a0 } else { b0 };
    let hi = if a1 < b1 { a1 } else { b1 };
    if lo <= hi {
        Some(v(Code::AdjacentLine, Some(i), Some(j), lo, lo))
    } else {
        None
    }
}

/// Every pair-rule finding of `l`, each once and in no particular order: the same
/// set as [`check_pair`] over all ordered pairs `i != j` plus [`warn_adjacent`] over
/// all pairs `j < i`, without looking at all n² pairs.
///
/// Struct fields do not overlap, so sorted by offset their first and last lines (and
/// prefetch blocks) are both non-decreasing, and the fields sharing a line or block
/// with one field are its neighbours in that order. Each field is compared with the
/// ones after it until the first that starts past its last line (or block). A line
/// holds at most `line` one-byte fields, so the work is O(n log n) for the sort plus
/// O(n · F) comparisons, F the most fields starting in one prefetch block (at most
/// `prefetch_span` bytes, a constant of the target), plus the k findings. A
/// hand-written descriptor whose fields overlap is checked pair by pair instead.
///
/// `scratch` must hold at least `l.fields.len()` entries (the crate allocates
/// nothing). Returns the number of pair comparisons made, for tests of the bound.
pub fn each_pair_violation(
    l: &StructLayout<'_>,
    scratch: &mut [usize],
    mut emit: impl FnMut(Violation),
) -> u64 {
    let fields = l.fields;
    let mut work = 0u64;
    let mut m = 0;
    let mut any_intent = false;
    for (i, f) in fields.iter().enumerate() {
        if f.occupies() && m < scratch.len() {
            scratch[m] = i;
            m += 1;
            any_intent |= f.intent.isolated || f.intent.group.is_some();
        }
    }
    // Without an isolated or grouped field no pair rule can fire.
    if !any_intent || l.line == 0 {
        return work;
    }
    let order = &mut scratch[..m];
    order.sort_unstable_by_key(|&i| (fields[i].offset, i));
    let disjoint = order
        .windows(2)
        .all(|w| fields[w[0]].offset + fields[w[0]].size <= fields[w[1]].offset);
    let mut pair = |i: usize, j: usize, work: &mut u64| {
        *work += 1;
        if let Some(v) = check_pair(l, i, j) {
            emit(v);
        }
        if let Some(v) = check_pair(l, j, i) {
            emit(v);
        }
        let (hi, lo) = if i > j { (i, j) } else { (j, i) };
        if let Some(v) = warn_adjacent(l, hi, lo) {
            emit(v);
        }
    };
    // Pairs are compared within the larger of a line and a prefetch block; that
    // covers both rules only when the larger is a multiple of the smaller.
    let span = if l.prefetch_span > l.line {
        l.prefetch_span
    } else {
        l.line
    };
    let nested = span % l.line == 0 && (l.prefetch_span == 0 || span % l.prefetch_span == 0);
    if !disjoint || !nested || m != fields.iter().filter(|f| f.occupies()).count() {
        for i in 0..fields.len() {
            for j in 0..i {
                pair(i, j, &mut work);
            }
        }
        return work;
    }
    for p in 0..order.len() {
        let a = &fields[order[p]];
        let a_last = (a.offset + a.size - 1) / span;
        for &j in &order[p + 1..] {
            if fields[j].offset / span > a_last {
                break;
            }
            pair(order[p], j, &mut work);
        }
    }
    work
}

/// `unaligned-base` (warning): line intent on a struct aligned below the line size.
pub const fn warn_unaligned_base(l: &StructLayout<'_>) -> Option<Violation> {
    if l.has_line_intent() && l.align < l.line {
        Some(v(Code::UnalignedBase, None, None, l.line, l.align))
    } else {
        None
    }
}

/// `unstable-padding` (warning): line intent or pad fields in a struct rustc may reorder.
pub const fn warn_unstable_padding(l: &StructLayout<'_>) -> Option<Violation> {
    if !l.repr.keeps_order() && l.fields.len() > 1 && l.has_line_intent() {
        Some(v(Code::UnstablePadding, None, None, 0, 0))
    } else {
        None
    }
}

/// Fails const evaluation with the first struct-level error's message.
pub const fn assert_struct(l: &StructLayout<'_>) {
    if let Some(x) = check_struct(l) {
        fail(&x, l);
    }
}

/// Fails const evaluation with the first error about field `i`.
pub const fn assert_field(l: &StructLayout<'_>, i: usize) {
    if let Some(x) = check_field_all(l, i) {
        fail(&x, l);
    }
}

/// Fails const evaluation with the first error of the whole struct.
pub const fn assert_all(l: &StructLayout<'_>) {
    assert_struct(l);
    let mut i = 0;
    while i < l.fields.len() {
        assert_field(l, i);
        i += 1;
    }
}

#[track_caller]
const fn fail(x: &Violation, l: &StructLayout<'_>) {
    let m = x.message(l);
    panic!("{}", m.as_str());
}

impl Violation {
    /// The finding as one line: rule code, struct and field, the numbers, the target.
    ///
    /// `[wrong-line] FastState::v starts at offset 64, on line 0 of 128-byte lines;
    /// #[layout(line = 1)] expects line 1 (target aarch64-macos)`
    pub const fn message(&self, l: &StructLayout<'_>) -> MsgBuf {
        let mut m = MsgBuf::new();
        m.push_str("[").push_str(self.code.as_str()).push_str("] ");
        match self.code {
            Code::SizeMismatch => {
                m.push_str(l.name).push_str(" is ").push_usize(self.actual);
                m.push_str(" bytes; #[layout(size = ")
                    .push_usize(self.expected);
                m.push_str(")] expects ").push_usize(self.expected);
            }
            Code::AlignMismatch => {
                m.push_str(l.name)
                    .push_str(" is aligned to ")
                    .push_usize(self.actual);
                m.push_str(" bytes; #[layout(align = ")
                    .push_usize(self.expected);
                m.push_str(")] expects ").push_usize(self.expected);
            }
            Code::PaddingBudget => {
                m.push_str(l.name).push_str(" has ");
                if self.actual == usize::MAX {
                    m.push_str("fields larger than its size");
                } else {
                    m.push_usize(self.actual)
                        .push_str(" bytes of padding (size ");
                    m.push_usize(l.size).push_str(")");
                }
                m.push_str("; #[layout(max_padding = ")
                    .push_usize(self.expected);
                m.push_str(")] allows ").push_usize(self.expected);
            }
            Code::OffsetMismatch => {
                field_name(&mut m, l, self.field);
                m.push_str(" is at offset ").push_usize(self.actual);
                m.push_str("; #[layout(offset = ").push_usize(self.expected);
                m.push_str(")] expects ").push_usize(self.expected);
            }
            Code::WrongLine => {
                field_name(&mut m, l, self.field);
                m.push_str(" starts at offset ");
                field_offset(&mut m, l, self.field);
                m.push_str(", on line ").push_usize(self.actual);
                lines_of(&mut m, l);
                m.push_str("; #[layout(line = ").push_usize(self.expected);
                m.push_str(")] expects line ").push_usize(self.expected);
            }
            Code::LineStraddle => {
                field_name(&mut m, l, self.field);
                m.push_str(" spans offsets ");
                field_range(&mut m, l, self.field);
                m.push_str(", lines ")
                    .push_usize(self.expected)
                    .push_str(" to ");
                m.push_usize(self.actual);
                lines_of(&mut m, l);
                m.push_str("; it must lie inside one line");
            }
            Code::NotIsolated | Code::FalseSharing => {
                field_name(&mut m, l, self.field);
                group_of(&mut m, l, self.field);
                m.push_str(" at ");
                field_range(&mut m, l, self.field);
                m.push_str(" shares line ").push_usize(self.actual);
                lines_of(&mut m, l);
                m.push_str(" with ");
                field_name(&mut m, l, self.other);
                group_of(&mut m, l, self.other);
                m.push_str(" at ");
                field_range(&mut m, l, self.other);
                if let Code::NotIsolated = self.code {
                    m.push_str("; the field is #[layout(isolated)]");
                } else {
                    m.push_str("; fields of different groups never share a line");
                }
            }
            Code::AdjacentLine => {
                field_name(&mut m, l, self.field);
                group_of(&mut m, l, self.field);
                m.push_str(" and ");
                field_name(&mut m, l, self.other);
                group_of(&mut m, l, self.other);
                m.push_str(" are in one ").push_usize(l.prefetch_span);
                m.push_str("-byte prefetch block (block ")
                    .push_usize(self.actual);
                m.push_str(")");
            }
            Code::UnalignedBase => {
                m.push_str(l.name)
                    .push_str(" is aligned to ")
                    .push_usize(l.align);
                m.push_str(" bytes, below its ").push_usize(l.line);
                m.push_str("-byte line: line rules hold relative to its start only");
            }
            Code::UnstablePadding => {
                m.push_str(l.name);
                m.push_str(" is repr(Rust) but states line intent; rustc may reorder its fields");
            }
            Code::PaddingWaste
            | Code::PossibleFalseSharing
            | Code::ModelMismatch
            | Code::UnknownLayout => {
                // Computed by layout-cli, which writes its own message.
                m.push_str(l.name)
                    .push_str(": ")
                    .push_str(self.code.summary());
            }
        }
        m.push_str(" (target ").push_str(l.target).push_str(")");
        m.finish();
        m
    }
}

const fn field_name(m: &mut MsgBuf, l: &StructLayout<'_>, i: Option<usize>) {
    m.push_str(l.name);
    if let Some(i) = i {
        m.push_str("::").push_str(l.fields[i].name);
    }
}

const fn field_offset(m: &mut MsgBuf, l: &StructLayout<'_>, i: Option<usize>) {
    if let Some(i) = i {
        m.push_usize(l.fields[i].offset);
    }
}

const fn field_range(m: &mut MsgBuf, l: &StructLayout<'_>, i: Option<usize>) {
    if let Some(i) = i {
        let f = &l.fields[i];
        m.push_usize(f.offset)
            .push_str("..")
            .push_usize(f.offset + f.size);
    }
}

const fn group_of(m: &mut MsgBuf, l: &StructLayout<'_>, i: Option<usize>) {
    if let Some(i) = i
        && let Some(g) = l.fields[i].intent.group
    {
        m.push_str(" (group \"").push_str(g).push_str("\")");
    }
}

const fn lines_of(m: &mut MsgBuf, l: &StructLayout<'_>) {
    m.push_str(" of ")
        .push_usize(l.line)
        .push_str("-byte lines");
}

#[cfg(test)]
mod tests;
