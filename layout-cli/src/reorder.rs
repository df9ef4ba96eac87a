//! The best field order for a `repr(C)` struct: the smallest size that still satisfies
//! every `#[layout]` intent. Without intent it is betteralign's minimal-padding order.
//!
//! What an order must do is decided by the `layout::rules` const fns, never restated
//! here: the search builds a `layout::StructLayout` for every partial placement and asks
//! the rules whether the field just placed breaks one, and the winner is checked again
//! as a whole. What [`plan`] guarantees for the order it returns, on every view:
//! - every error-level rule holds (`size`, `align`, `max_padding`, `offset`, `line`,
//!   `group`, `isolated`);
//! - the size is never larger than the current order's on any view (when the current
//!   order breaks the intent and only a larger order would mend it, there is no order:
//!   that takes resized pad fields, not a reorder);
//! - among the smallest orders it prefers the fewest `adjacent-line` warnings (groups in
//!   one prefetch pair): that is a tie-break, not a guarantee, since separating two
//!   groups by a whole prefetch block can take space that only pad fields can give;
//! - among equal orders, the one closest to the declaration order (lexicographically
//!   smallest), so the current order wins every tie and a second `fix` changes nothing.
//!
//! Search: an exact dynamic programme over "which fields are left, where the next one
//! would go, and who occupies the current line and prefetch block", with interchangeable
//! fields merged into classes. When the state space exceeds [`STATE_BUDGET`] it falls
//! back to the best of a few heuristic orders (the current one, alignment descending —
//! optimal when every size is a multiple of its alignment, as it is for every Rust type —
//! and a greedy placement), still verified by the rules.
//!
//! Pad fields are kept as they are: reordering cannot resize them. Hand padding without
//! `#[layout(pad)]` (a field named like `_pad`) means "these fields are separated on
//! purpose" in a way no rule states, so such a struct keeps its order.

use std::collections::HashMap;

use layout::rules::{self, Violation};
use layout::{FieldIntent, FieldLayout, ReprInfo, StructExpect, StructLayout};

use crate::analysis::StructReport;

/// Most search states the exact search may visit before falling back to heuristics.
pub const STATE_BUDGET: usize = 20_000;

/// The best order for `s` (indices into `s.fields`) and the size it reaches, or `None`
/// when the layout is unknown, no order satisfies the intent, or the best size is not
/// known (see [`best_order_or_why`]). Pure: no I/O.
///
/// Only `repr(C)` structs get an order (rustc orders `repr(Rust)` itself). When the
/// current order is already best the identity is returned.
pub fn best_order(s: &StructReport) -> Option<(Vec<usize>, usize)> {
    best_order_or_why(s).ok()
}

/// [`best_order`], or why there is none. The size returned is the smallest any valid
/// order reaches, never a guess: the exact search proved it, or the order reaches the
/// lower bound (the fields' bytes rounded up to the alignment), which nothing beats.
/// Past the search's cap ([`STATE_BUDGET`] states, a tenth of that when no intent is
/// at stake) an order from the heuristics that stays above the lower bound may not be
/// the best, so the best size is then unknown, and the reason says so.
pub fn best_order_or_why(s: &StructReport) -> Result<(Vec<usize>, usize), String> {
    let view = View::whole(s);
    match plan(s.fields.len(), std::slice::from_ref(&view)) {
        Ok(p) if p.exact => Ok((p.order, p.sizes[0])),
        Ok(p) => {
            let bound = TargetView::new(s.fields.len(), &view)
                .ok()
                .and_then(|tv| tv.lower_bound());
            if bound == Some(p.sizes[0]) {
                Ok((p.order, p.sizes[0]))
            } else {
                Err(format!(
                    "the exact search stopped at its cap of {STATE_BUDGET} states; the best \
                     order found is {} bytes, above the {}-byte lower bound, so the best \
                     size is unknown",
                    p.sizes[0],
                    bound.map_or_else(|| "unknown".to_string(), |b| b.to_string())
                ))
            }
        }
        Err(NoOrder::HandPadding(_)) => s
            .size
            .map(|size| ((0..s.fields.len()).collect(), size))
            .ok_or_else(|| "the size is unknown".to_string()),
        Err(NoOrder::Unknown(why) | NoOrder::Inconsistent(why) | NoOrder::Unsatisfiable(why)) => {
            Err(why)
        }
        Err(NoOrder::NotReprC) => Err("not repr(C): rustc orders the fields".into()),
        Err(NoOrder::Transparent) => Err("repr(transparent): nothing to order".into()),
    }
}

/// One struct on one target, with its fields mapped onto a shared index space (the
/// fields as declared in the source; a field `cfg`'d out on this target maps to `None`).
#[derive(Clone, Debug)]
pub struct View<'a> {
    /// The engine's layout of the struct on one target.
    pub report: &'a StructReport,
    /// For each shared field index: the index into `report.fields`, if present.
    pub fields: Vec<Option<usize>>,
}

impl<'a> View<'a> {
    /// Every field of `report`, in its own order.
    pub fn whole(report: &'a StructReport) -> Self {
        View {
            report,
            fields: (0..report.fields.len()).map(Some).collect(),
        }
    }
}

/// An order that satisfies the intent on every view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Shared field indices in their new order.
    pub order: Vec<usize>,
    /// Size reached on each view.
    pub sizes: Vec<usize>,
    /// Size of the current order on each view.
    pub current_sizes: Vec<usize>,
    /// `adjacent-line` warnings the order leaves, summed over the views.
    pub adjacent: usize,
    /// Proven best by the exact search (`false`: best of the heuristics).
    pub exact: bool,
}

impl Plan {
    /// Whether the order differs from the declaration order.
    pub fn changes_order(&self) -> bool {
        self.order.iter().enumerate().any(|(i, &g)| i != g)
    }
}

/// Why there is no order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoOrder {
    /// A number is unknown (the reason).
    Unknown(String),
    /// Not `repr(C)`: rustc reorders the fields itself.
    NotReprC,
    /// `repr(transparent)`: one field that matters, nothing to order.
    Transparent,
    /// The report's numbers are not what `repr(C)` gives for its own order.
    Inconsistent(String),
    /// A field that looks like hand padding carries no `#[layout(pad)]` (its name).
    HandPadding(String),
    /// No order satisfies the intent on every view: the current order's first violation.
    Unsatisfiable(String),
}

impl std::fmt::Display for NoOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoOrder::Unknown(why) => write!(f, "layout unknown: {why}"),
            NoOrder::NotReprC => f.write_str("rustc already reorders repr(Rust) fields"),
            NoOrder::Transparent => f.write_str("repr(transparent) has nothing to reorder"),
            NoOrder::Inconsistent(why) => write!(f, "layout not reproducible: {why}"),
            NoOrder::HandPadding(name) => write!(
                f,
                "field `{name}` looks like hand padding but has no #[layout(pad)]; \
                 mark it and state what it separates (group/isolated) to let fix reorder"
            ),
            NoOrder::Unsatisfiable(why) => write!(
                f,
                "no field order satisfies the intent without growing the struct; \
                 resize or add #[layout(pad)] fields ({why})"
            ),
        }
    }
}

/// Finds the best order of `n` shared fields for every view at once (the cost is the
/// sum of the views' sizes, then `adjacent-line` warnings).
pub fn plan(n: usize, views: &[View<'_>]) -> Result<Plan, NoOrder> {
    let tvs = views
        .iter()
        .map(|v| TargetView::new(n, v))
        .collect::<Result<Vec<_>, _>>()?;
    if tvs.is_empty() {
        return Err(NoOrder::Unknown("no target".into()));
    }
    let identity: Vec<usize> = (0..n).collect();
    let current = evaluate(&tvs, &identity)
        .ok_or_else(|| NoOrder::Unknown("the current order overflows the address space".into()))?;
    let current_sizes = current.sizes.clone();
    // Never larger than the current order, on any view, even to mend a violation:
    // reordering cannot make room, only pad fields can.
    let mut tvs = tvs;
    for (tv, &size) in tvs.iter_mut().zip(&current.sizes) {
        tv.bound = Some(size);
    }
    if current.violation.is_none() {
        let tight = tvs
            .iter()
            .zip(&current.sizes)
            .all(|(tv, &size)| Some(size) == tv.lower_bound());
        if tight && current.adjacent == 0 {
            return Ok(Plan {
                order: identity,
                sizes: current_sizes,
                current_sizes: current.sizes,
                adjacent: 0,
                exact: true,
            });
        }
    }

    let Some((order, exact)) = solve(&tvs, n) else {
        return Err(NoOrder::Unsatisfiable(
            current
                .violation
                .unwrap_or_else(|| "no order fits within the current size".into()),
        ));
    };
    let eval = evaluate(&tvs, &order).ok_or_else(|| NoOrder::Inconsistent("overflow".into()))?;
    if let Some(msg) = eval.violation {
        // The search and the whole-struct check use the same rules; a disagreement is a
        // bug here, and the safe answer is no order.
        return Err(NoOrder::Inconsistent(format!("search result fails: {msg}")));
    }
    if tvs
        .iter()
        .zip(&eval.sizes)
        .any(|(tv, &s)| tv.bound.is_some_and(|b| s > b))
    {
        return Err(NoOrder::Inconsistent("search result is larger".into()));
    }
    Ok(Plan {
        order,
        sizes: eval.sizes,
        current_sizes,
        adjacent: eval.adjacent,
        exact,
    })
}

/// The best valid order of `tvs`, and whether the exact search proved it best.
fn solve(tvs: &[TargetView<'_>], n: usize) -> Option<(Vec<usize>, bool)> {
    let mut search = Search::new(tvs, n);
    match search.value() {
        Ok(Some(cost)) => Some((search.reconstruct(cost), true)),
        Ok(None) => None,
        Err(Exhausted) => heuristic(tvs, n).map(|o| (o, false)),
    }
}

/// A pad field that would let some order satisfy the intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadSuggestion {
    /// Bytes of the `#[layout(pad)] [u8; N]` field to add.
    pub bytes: usize,
    /// Size of the struct on each view with it, in the best order.
    pub sizes: Vec<usize>,
    /// That order: shared field indices, the new pad field being index `n`.
    pub order: Vec<usize>,
}

/// When [`plan`] finds no order: the smallest `#[layout(pad)]` byte array (a multiple
/// of 8, up to two lines) that, added to the struct, makes an order satisfy the intent
/// on every view. The struct grows: this is a suggestion for a person, not a fix.
pub fn pad_suggestion(n: usize, views: &[View<'_>]) -> Option<PadSuggestion> {
    let base = views
        .iter()
        .map(|v| TargetView::new(n, v))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let max_line = base.iter().map(|tv| tv.line).max()?;
    (8..=2 * max_line).step_by(8).find_map(|bytes| {
        let tvs: Vec<TargetView<'_>> = base
            .iter()
            .map(|tv| {
                let mut tv = tv.clone();
                tv.fields.push(Some(Pf {
                    name: "_pad",
                    size: bytes,
                    align: 1,
                    eff: 1,
                    intent: FieldIntent {
                        pad: true,
                        ..FieldIntent::default()
                    },
                }));
                tv
            })
            .collect();
        let (order, _) = solve(&tvs, n + 1)?;
        let eval = evaluate(&tvs, &order)?;
        eval.violation.is_none().then_some(PadSuggestion {
            bytes,
            sizes: eval.sizes,
            order,
        })
    })
}

/// One field on one view, as the search needs it.
#[derive(Clone, Copy, Debug)]
struct Pf<'a> {
    name: &'a str,
    size: usize,
    /// `align_of` the type (what the rules' descriptor holds).
    align: usize,
    /// Alignment in this struct: `min(align, packed)`.
    eff: usize,
    intent: FieldIntent<'a>,
}

/// A view, checked and flattened.
#[derive(Clone, Debug)]
struct TargetView<'a> {
    name: &'a str,
    target: &'static str,
    line: usize,
    prefetch: usize,
    repr: ReprInfo,
    expect: StructExpect,
    struct_align: usize,
    fields: Vec<Option<Pf<'a>>>,
    /// Largest size an order may reach: the current size.
    bound: Option<usize>,
}

fn align_up(x: usize, a: usize) -> Option<usize> {
    // `a` is a power of two (checked when the view is built).
    Some(x.checked_add(a - 1)? & !(a - 1))
}

impl<'a> TargetView<'a> {
    fn new(n: usize, v: &View<'a>) -> Result<Self, NoOrder> {
        let s = v.report;
        if let Some(why) = &s.unknown {
            return Err(NoOrder::Unknown(why.clone()));
        }
        if s.repr.transparent {
            return Err(NoOrder::Transparent);
        }
        if !s.repr.c {
            return Err(NoOrder::NotReprC);
        }
        let (Some(size), Some(align)) = (s.size, s.align) else {
            return Err(NoOrder::Unknown(format!("size of `{}` is unknown", s.name)));
        };
        if v.fields.len() != n {
            return Err(NoOrder::Inconsistent(
                "field map has the wrong length".into(),
            ));
        }
        let pow2 = |x: usize| x.is_power_of_two();
        if !pow2(s.line_size) || !pow2(s.target.prefetch_span) {
            return Err(NoOrder::Inconsistent(
                "line size is not a power of two".into(),
            ));
        }
        let pack = s.repr.packed;
        if pack.is_some_and(|p| !pow2(p)) || s.repr.align.is_some_and(|a| !pow2(a)) {
            return Err(NoOrder::Inconsistent(
                "repr(packed/align) is not a power of two".into(),
            ));
        }
        let mut seen = vec![false; s.fields.len()];
        let mut fields = Vec::with_capacity(n);
        for slot in &v.fields {
            let Some(local) = *slot else {
                fields.push(None);
                continue;
            };
            let f = s.fields.get(local).ok_or_else(|| {
                NoOrder::Inconsistent(format!("field map points past the fields ({local})"))
            })?;
            if std::mem::replace(&mut seen[local], true) {
                return Err(NoOrder::Inconsistent("field map repeats a field".into()));
            }
            let (Some(fsize), Some(falign)) = (f.size, f.align) else {
                return Err(NoOrder::Unknown(format!(
                    "layout of field `{}` (`{}`) is unknown",
                    f.name, f.ty
                )));
            };
            if !pow2(falign) {
                return Err(NoOrder::Inconsistent(format!(
                    "alignment {falign} of `{}` is not a power of two",
                    f.name
                )));
            }
            let intent = FieldIntent {
                offset: f.intent.offset,
                line: f.intent.line,
                group: f.intent.group.as_deref(),
                isolated: f.intent.isolated,
                pad: f.intent.pad,
            };
            if intent == FieldIntent::default() && looks_like_padding(&f.name) {
                return Err(NoOrder::HandPadding(f.name.clone()));
            }
            fields.push(Some(Pf {
                name: &f.name,
                size: fsize,
                align: falign,
                eff: pack.map_or(falign, |p| falign.min(p)),
                intent,
            }));
        }
        if seen.iter().any(|s| !s) {
            return Err(NoOrder::Inconsistent("field map leaves a field out".into()));
        }
        let field_align = fields.iter().flatten().map(|f| f.eff).max().unwrap_or(1);
        let struct_align = field_align.max(s.repr.align.unwrap_or(1));
        let tv = TargetView {
            name: &s.name,
            target: s.target.short,
            line: s.line_size,
            prefetch: s.target.prefetch_span,
            repr: s.repr,
            expect: s.expect,
            struct_align,
            fields,
            bound: None,
        };
        // The engine's numbers must be what repr(C) gives for the declared order;
        // otherwise nothing computed here would be trustworthy.
        let (placed, my_size) = tv
            .lay_out(&(0..n).collect::<Vec<_>>())
            .ok_or_else(|| NoOrder::Inconsistent("the current order overflows".into()))?;
        if my_size != size || struct_align != align {
            return Err(NoOrder::Inconsistent(format!(
                "repr(C) gives size {my_size} align {struct_align}, the report says {size} align {align}"
            )));
        }
        let mut k = 0;
        for (g, slot) in v.fields.iter().enumerate() {
            let Some(local) = *slot else { continue };
            let want = s.fields[local].offset;
            if want != Some(placed[k].offset) {
                return Err(NoOrder::Inconsistent(format!(
                    "field `{}` is at {:?}, repr(C) puts it at {} (shared index {g})",
                    s.fields[local].name, want, placed[k].offset
                )));
            }
            k += 1;
        }
        Ok(tv)
    }

    /// Places the fields of `order` (shared indices) as repr(C) does; the descriptors in
    /// placement order and the struct's size.
    fn lay_out(&self, order: &[usize]) -> Option<(Vec<FieldLayout<'a>>, usize)> {
        let mut out = Vec::with_capacity(order.len());
        let mut end = 0usize;
        for &g in order {
            if let Some(f) = self.fields[g] {
                let offset = align_up(end, f.eff)?;
                end = offset.checked_add(f.size)?;
                out.push(f.at(offset));
            }
        }
        let size = align_up(end, self.struct_align)?;
        Some((out, size))
    }

    /// No order can be smaller: the fields' bytes, rounded up to the alignment.
    fn lower_bound(&self) -> Option<usize> {
        let mut sum = 0usize;
        for f in self.fields.iter().flatten() {
            sum = sum.checked_add(f.size)?;
        }
        align_up(sum, self.struct_align)
    }

    fn descriptor<'s>(&self, fields: &'s [FieldLayout<'a>], size: usize) -> StructLayout<'s>
    where
        'a: 's,
    {
        StructLayout {
            name: self.name,
            size,
            align: self.struct_align,
            line: self.line,
            prefetch_span: self.prefetch,
            target: self.target,
            repr: self.repr,
            fields,
            expect: self.expect,
        }
    }
}

impl<'a> Pf<'a> {
    fn at(&self, offset: usize) -> FieldLayout<'a> {
        FieldLayout {
            name: self.name,
            offset,
            size: self.size,
            align: self.align,
            intent: self.intent,
        }
    }
}

/// `_pad`, `__padding1`, `pad0`, `_reserved`: names people give to hand padding.
fn looks_like_padding(name: &str) -> bool {
    let bare = name.trim_start_matches('_').to_ascii_lowercase();
    bare.starts_with("pad") || (name.starts_with('_') && bare.starts_with("reserved"))
}

/// The first error-level violation of a whole layout, if any.
pub(crate) fn first_violation(l: &StructLayout<'_>) -> Option<Violation> {
    if let Some(v) = rules::check_struct(l) {
        return Some(v);
    }
    (0..l.fields.len()).find_map(|i| rules::check_field_all(l, i))
}

/// `adjacent-line` warnings of a whole layout.
pub(crate) fn adjacent_warnings(l: &StructLayout<'_>) -> usize {
    let n = l.fields.len();
    (0..n)
        .flat_map(|i| (0..i).map(move |j| (i, j)))
        .filter(|&(i, j)| rules::warn_adjacent(l, i, j).is_some())
        .count()
}

/// The first error-level rule `s` breaks, as its message (`Some(None)`: none), or
/// `None` when its layout is not fully known.
pub fn check_report(s: &StructReport) -> Option<Option<String>> {
    if s.unknown.is_some() || s.line_size == 0 || s.target.prefetch_span == 0 {
        return None;
    }
    let fields = s.field_layouts()?;
    // The rules add offsets and sizes unchecked; a layout that overflows is not real.
    fields
        .iter()
        .try_fold(0usize, |_, f| f.offset.checked_add(f.size))?;
    let l = StructLayout {
        name: &s.name,
        size: s.size?,
        align: s.align?,
        line: s.line_size,
        prefetch_span: s.target.prefetch_span,
        target: s.target.short,
        repr: s.repr,
        fields: &fields,
        expect: s.expect,
    };
    Some(first_violation(&l).map(|v| v.message(&l).as_str().to_owned()))
}

/// An order, judged on every view.
struct Eval {
    sizes: Vec<usize>,
    violation: Option<String>,
    adjacent: usize,
}

fn evaluate(tvs: &[TargetView<'_>], order: &[usize]) -> Option<Eval> {
    let mut e = Eval {
        sizes: Vec::new(),
        violation: None,
        adjacent: 0,
    };
    for tv in tvs {
        let (fields, size) = tv.lay_out(order)?;
        let l = tv.descriptor(&fields, size);
        if e.violation.is_none() {
            e.violation = first_violation(&l).map(|v| v.message(&l).as_str().to_owned());
        }
        e.adjacent += adjacent_warnings(&l);
        e.sizes.push(size);
    }
    Some(e)
}

/// What makes two fields interchangeable on one view: size, align, effective align, intent.
type ClassKey<'a> = (usize, usize, usize, FieldIntent<'a>);

/// Greedy preference: alignment waste, then larger alignment, then declaration order.
type GreedyRank = (usize, std::cmp::Reverse<usize>, usize);

/// Sum of sizes, then `adjacent-line` warnings.
type Cost = (usize, usize);

/// The exact search ran out of [`STATE_BUDGET`].
struct Exhausted;

struct Search<'p, 'a> {
    tvs: &'p [TargetView<'a>],
    /// Members of each class of interchangeable fields, ascending.
    classes: Vec<Vec<usize>>,
    /// Members of each class still to place.
    remaining: Vec<usize>,
    /// Per view: descriptors of the placed fields, in placement order.
    placed: Vec<Vec<FieldLayout<'a>>>,
    /// Per view: bytes of the placed fields.
    used: Vec<usize>,
    memo: HashMap<Vec<u64>, Option<Cost>>,
    groups: HashMap<&'a str, u64>,
    /// [`STATE_BUDGET`], or a tenth of it when nothing but padding is at stake (the
    /// alignment-descending fallback is then optimal for Rust types).
    budget: usize,
}

impl<'p, 'a> Search<'p, 'a> {
    fn new(tvs: &'p [TargetView<'a>], n: usize) -> Self {
        // Fields with the same size, alignment and intent on every view are
        // interchangeable: placing them in declaration order loses no solution and keeps
        // the lexicographically smallest one.
        let mut classes: Vec<Vec<usize>> = Vec::new();
        let mut keys: Vec<Vec<Option<ClassKey<'a>>>> = Vec::new();
        for g in 0..n {
            let key: Vec<_> = tvs
                .iter()
                .map(|tv| tv.fields[g].map(|f| (f.size, f.align, f.eff, f.intent)))
                .collect();
            match keys.iter().position(|k| *k == key) {
                Some(c) => classes[c].push(g),
                None => {
                    keys.push(key);
                    classes.push(vec![g]);
                }
            }
        }
        let mut groups = HashMap::new();
        for tv in tvs {
            for f in tv.fields.iter().flatten() {
                if let Some(name) = f.intent.group {
                    let next = groups.len() as u64;
                    groups.entry(name).or_insert(next);
                }
            }
        }
        let intent = tvs.iter().any(|tv| {
            tv.expect.size.is_some()
                || tv.expect.max_padding.is_some()
                || tv
                    .fields
                    .iter()
                    .flatten()
                    .any(|f| f.intent != FieldIntent::default())
        });
        Search {
            budget: if intent {
                STATE_BUDGET
            } else {
                STATE_BUDGET / 10
            },
            tvs,
            remaining: classes.iter().map(Vec::len).collect(),
            classes,
            placed: vec![Vec::new(); tvs.len()],
            used: vec![0; tvs.len()],
            memo: HashMap::new(),
            groups,
        }
    }

    fn end(&self, t: usize) -> usize {
        self.placed[t].last().map_or(0, |f| f.offset + f.size)
    }

    fn next_of(&self, c: usize) -> usize {
        self.classes[c][self.classes[c].len() - self.remaining[c]]
    }

    /// Places shared field `g` on every view; the `adjacent-line` warnings it adds, or
    /// `None` (and nothing placed) when a rule already fails.
    fn step(&mut self, g: usize) -> Option<usize> {
        let mut adjacent = 0;
        for t in 0..self.tvs.len() {
            match self.place(t, g) {
                Some(a) => adjacent += a,
                None => {
                    for u in 0..t {
                        self.unplace(u, g);
                    }
                    return None;
                }
            }
        }
        Some(adjacent)
    }

    fn unstep(&mut self, g: usize) {
        for t in 0..self.tvs.len() {
            self.unplace(t, g);
        }
    }

    fn place(&mut self, t: usize, g: usize) -> Option<usize> {
        let tv = &self.tvs[t];
        let Some(f) = tv.fields[g] else {
            return Some(0);
        };
        let offset = align_up(self.end(t), f.eff)?;
        let end = offset.checked_add(f.size)?;
        let used = self.used[t] + f.size;
        let limit = match (tv.bound, tv.expect.size) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if limit.is_some_and(|l| end > l) || tv.expect.max_padding.is_some_and(|m| end - used > m) {
            return None;
        }
        self.placed[t].push(f.at(offset));
        let fields = &self.placed[t];
        let l = tv.descriptor(fields, end);
        let k = fields.len() - 1;
        // Only fields reaching the new one's first prefetch block (so also its first
        // line) can share a line or a block with it; the others' rules are `None`.
        let near = near_from(&fields[..k], tv.prefetch.max(tv.line), offset);
        let ok = rules::check_field(&l, k).is_none()
            && (near..k).all(|j| {
                rules::check_pair(&l, k, j).is_none() && rules::check_pair(&l, j, k).is_none()
            });
        if !ok {
            self.placed[t].pop();
            return None;
        }
        let adjacent = (near..k)
            .filter(|&j| rules::warn_adjacent(&l, k, j).is_some())
            .count();
        self.used[t] = used;
        Some(adjacent)
    }

    fn unplace(&mut self, t: usize, g: usize) {
        if let Some(f) = self.tvs[t].fields[g] {
            self.placed[t].pop();
            self.used[t] -= f.size;
        }
    }

    /// The state as a key: what is left, and per view where the next field goes and who
    /// holds the line and prefetch block it would land in (all a later rule can see).
    fn key(&self) -> Vec<u64> {
        let mut key: Vec<u64> = self.remaining.iter().map(|&r| r as u64).collect();
        for (t, tv) in self.tvs.iter().enumerate() {
            let end = self.end(t);
            key.push(end as u64);
            let mut sig = Vec::new();
            let placed = &self.placed[t];
            if !end.is_multiple_of(tv.line) {
                let cur = end / tv.line;
                for f in &placed[near_from(placed, tv.line, end)..] {
                    if f.occupies() && f.last_line(tv.line) == cur {
                        let group = f.intent.group.map_or(0, |g| 1 + self.groups[g]);
                        sig.push(((1 + u64::from(f.intent.isolated)) << 60) | group);
                    }
                }
            }
            if tv.prefetch > tv.line && !end.is_multiple_of(tv.prefetch) {
                let block = end / tv.prefetch;
                for f in &placed[near_from(placed, tv.prefetch, end)..] {
                    if let (true, Some(g)) = (f.occupies(), f.intent.group)
                        && (f.offset + f.size - 1) / tv.prefetch == block
                    {
                        sig.push((3 << 60) | (self.groups[g] << 32) | f.last_line(tv.line) as u64);
                    }
                }
            }
            sig.sort_unstable();
            key.push(sig.len() as u64);
            key.extend(sig);
        }
        key
    }

    fn terminal(&self) -> Option<Cost> {
        let mut total = 0usize;
        for (t, tv) in self.tvs.iter().enumerate() {
            let size = align_up(self.end(t), tv.struct_align)?;
            if tv.bound.is_some_and(|b| size > b) {
                return None;
            }
            let l = tv.descriptor(&self.placed[t], size);
            if rules::check_struct(&l).is_some() {
                return None;
            }
            total = total.checked_add(size)?;
        }
        Some((total, 0))
    }

    /// The best cost reachable from the current state.
    fn value(&mut self) -> Result<Option<Cost>, Exhausted> {
        if self.remaining.iter().all(|&r| r == 0) {
            return Ok(self.terminal());
        }
        let key = self.key();
        if let Some(v) = self.memo.get(&key) {
            return Ok(*v);
        }
        if self.memo.len() >= self.budget {
            return Err(Exhausted);
        }
        let mut best: Option<Cost> = None;
        for c in 0..self.classes.len() {
            if self.remaining[c] == 0 {
                continue;
            }
            let g = self.next_of(c);
            let Some(adjacent) = self.step(g) else {
                continue;
            };
            self.remaining[c] -= 1;
            let sub = self.value();
            self.remaining[c] += 1;
            self.unstep(g);
            if let Some((size, adj)) = sub? {
                let cost = (size, adj + adjacent);
                if best.is_none_or(|b| cost < b) {
                    best = Some(cost);
                }
            }
        }
        self.memo.insert(key, best);
        Ok(best)
    }

    /// Walks the memo from the root: the lexicographically smallest order of cost `best`.
    fn reconstruct(&mut self, mut best: Cost) -> Vec<usize> {
        let mut order = Vec::new();
        while self.remaining.iter().any(|&r| r > 0) {
            let mut next: Vec<(usize, usize)> = (0..self.classes.len())
                .filter(|&c| self.remaining[c] > 0)
                .map(|c| (self.next_of(c), c))
                .collect();
            next.sort_unstable();
            let mut moved = false;
            for (g, c) in next {
                let Some(adjacent) = self.step(g) else {
                    continue;
                };
                self.remaining[c] -= 1;
                // Every child of a visited state was visited, so this is a memo hit.
                let sub = self.value().ok().flatten();
                if let Some((size, adj)) = sub
                    && (size, adj + adjacent) == best
                {
                    order.push(g);
                    best = (size, adj);
                    moved = true;
                    break;
                }
                self.remaining[c] += 1;
                self.unstep(g);
            }
            if !moved {
                break;
            }
        }
        order
    }
}

/// The first of `placed` (in placement order, so with non-decreasing last bytes) whose
/// last `span`-block is at or after the block holding byte `at`.
fn near_from(placed: &[FieldLayout<'_>], span: usize, at: usize) -> usize {
    let block = at / span;
    placed.partition_point(|f| {
        let last = if f.size == 0 {
            f.offset
        } else {
            f.offset + f.size - 1
        };
        last / span < block
    })
}

/// When the exact search is too big: the best valid order among the current one,
/// alignment descending on each view, and a greedy placement.
fn heuristic(tvs: &[TargetView<'_>], n: usize) -> Option<Vec<usize>> {
    let mut candidates: Vec<Vec<usize>> = vec![(0..n).collect()];
    for tv in tvs {
        let mut order: Vec<usize> = (0..n).collect();
        // Fields absent on this view sort by their largest alignment elsewhere.
        let key = |g: usize| {
            tv.fields[g]
                .map(|f| f.eff)
                .or_else(|| tvs.iter().filter_map(|o| o.fields[g]).map(|f| f.eff).max())
                .unwrap_or(1)
        };
        order.sort_by_key(|&g| std::cmp::Reverse(key(g)));
        candidates.push(order);
    }
    candidates.extend(greedy(tvs, n));
    let mut best: Option<(Cost, Vec<usize>)> = None;
    for order in candidates {
        let Some(e) = evaluate(tvs, &order) else {
            continue;
        };
        let fits = tvs
            .iter()
            .zip(&e.sizes)
            .all(|(tv, &s)| tv.bound.is_none_or(|b| s <= b));
        if e.violation.is_some() || !fits {
            continue;
        }
        let cost = (e.sizes.iter().sum::<usize>(), e.adjacent);
        if best.as_ref().is_none_or(|(b, _)| cost < *b) {
            best = Some((cost, order));
        }
    }
    best.map(|(_, o)| o)
}

/// Places, at each step, the field that the rules accept with the least alignment
/// padding (then the largest alignment, then declaration order). May dead-end.
fn greedy(tvs: &[TargetView<'_>], n: usize) -> Option<Vec<usize>> {
    let mut s = Search::new(tvs, n);
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let mut best: Option<(GreedyRank, usize)> = None;
        for c in 0..s.classes.len() {
            if s.remaining[c] == 0 {
                continue;
            }
            let g = s.next_of(c);
            let waste: usize = (0..tvs.len())
                .filter_map(|t| {
                    let f = tvs[t].fields[g]?;
                    let end = s.end(t);
                    Some(align_up(end, f.eff)? - end)
                })
                .sum();
            let align = tvs
                .iter()
                .filter_map(|tv| tv.fields[g])
                .map(|f| f.eff)
                .max()
                .unwrap_or(1);
            if s.step(g).is_none() {
                continue;
            }
            s.unstep(g);
            let rank = (waste, std::cmp::Reverse(align), g);
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                best = Some((rank, c));
            }
        }
        let (_, c) = best?;
        let g = s.next_of(c);
        s.step(g)?;
        s.remaining[c] -= 1;
        order.push(g);
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{FieldKind, FieldReport, Intent, StructKind};
    use layout::target::{I686_LINUX, TargetInfo, X86_64_LINUX};
    use proptest::prelude::*;

    /// `(name, size, align, intent)`.
    type Spec<'a> = (&'a str, usize, usize, Intent);

    fn plain(name: &str, size: usize, align: usize) -> Spec<'_> {
        (name, size, align, Intent::default())
    }

    fn with(name: &str, size: usize, align: usize, f: impl FnOnce(&mut Intent)) -> Spec<'_> {
        let mut i = Intent::default();
        f(&mut i);
        (name, size, align, i)
    }

    fn group(g: &str) -> impl FnOnce(&mut Intent) + '_ {
        move |i: &mut Intent| i.group = Some(g.to_owned())
    }

    fn pad(i: &mut Intent) {
        i.pad = true;
    }

    fn repr_c() -> ReprInfo {
        ReprInfo {
            c: true,
            ..ReprInfo::default()
        }
    }

    /// A report laid out as repr(C) (computed independently of the code under test).
    fn report_on(
        specs: &[Spec<'_>],
        repr: ReprInfo,
        expect: StructExpect,
        target: &'static TargetInfo,
    ) -> StructReport {
        let mut off = 0usize;
        let mut max_align = 1usize;
        let mut fields = Vec::new();
        for (i, (name, size, align, intent)) in specs.iter().enumerate() {
            let eff = repr.packed.map_or(*align, |p| (*align).min(p));
            off = off.div_ceil(eff) * eff;
            fields.push(FieldReport {
                name: (*name).to_owned(),
                ty: format!("[u8; {size}]"),
                line: i + 2,
                column: 5,
                offset: Some(off),
                size: Some(*size),
                align: Some(*align),
                intent: intent.clone(),
                kind: FieldKind::Plain,
            });
            off += size;
            max_align = max_align.max(eff);
        }
        let align = max_align.max(repr.align.unwrap_or(1));
        StructReport {
            id: crate::analysis::StructId {
                name: "S".into(),
                module: "crate".into(),
                ..Default::default()
            },
            source: Default::default(),
            present: Default::default(),
            name: "S".into(),
            path: "crate::S".into(),
            file: "s.rs".into(),
            line: 1,
            column: 8,
            target,
            kind: StructKind::Named,
            repr,
            repr_text: "C".into(),
            expect,
            fixed: false,
            annotated: true,
            generic: false,
            instance: None,
            allowed: Vec::new(),
            line_size: expect.line.unwrap_or(target.cache_line),
            size: Some(off.div_ceil(align) * align),
            align: Some(align),
            optimal_size: None,
            optimal_order: None,
            unknown: None,
            fields,
            diagnostics: Vec::new(),
        }
    }

    fn report(specs: &[Spec<'_>]) -> StructReport {
        report_on(specs, repr_c(), StructExpect::default(), &X86_64_LINUX)
    }

    /// The report with its fields in `order`, re-laid out.
    fn reordered(s: &StructReport, order: &[usize]) -> StructReport {
        let specs: Vec<Spec<'_>> = order
            .iter()
            .map(|&i| {
                let f = &s.fields[i];
                (
                    f.name.as_str(),
                    f.size.unwrap(),
                    f.align.unwrap(),
                    f.intent.clone(),
                )
            })
            .collect();
        report_on(&specs, s.repr, s.expect, s.target)
    }

    fn violation(s: &StructReport) -> Option<String> {
        let tv = TargetView::new(s.fields.len(), &View::whole(s)).unwrap();
        let (fields, size) = tv
            .lay_out(&(0..s.fields.len()).collect::<Vec<_>>())
            .unwrap();
        let l = tv.descriptor(&fields, size);
        first_violation(&l).map(|v| v.message(&l).as_str().to_owned())
    }

    #[test]
    fn minimal_padding_without_intent() {
        let s = report(&[plain("a", 1, 1), plain("b", 8, 8), plain("c", 1, 1)]);
        assert_eq!(s.size, Some(24));
        // a, c, b is the smallest (16) and the closest to the declared order.
        assert_eq!(best_order(&s), Some((vec![0, 2, 1], 16)));
    }

    #[test]
    fn tight_struct_keeps_its_order() {
        let s = report(&[plain("a", 1, 1), plain("b", 8, 8)]);
        assert_eq!(best_order(&s), Some((vec![0, 1], 16)));
        let s = report(&[plain("a", 4, 4), plain("b", 2, 2), plain("c", 2, 2)]);
        assert_eq!(best_order(&s), Some((vec![0, 1, 2], 8)));
    }

    #[test]
    fn groups_are_separated_by_pad_fields() {
        let s = report_on(
            &[
                with("head", 8, 8, group("producer")),
                with("tail", 8, 8, group("consumer")),
                with("_pad", 56, 1, pad),
            ],
            ReprInfo {
                align: Some(64),
                ..repr_c()
            },
            StructExpect::default(),
            &X86_64_LINUX,
        );
        assert!(violation(&s).unwrap().contains("[false-sharing]"));
        let (order, size) = best_order(&s).unwrap();
        assert_eq!((order.as_slice(), size), (&[0, 2, 1][..], 128));
        assert_eq!(violation(&reordered(&s, &order)), None);
    }

    #[test]
    fn prefers_orders_without_adjacent_groups() {
        let s = report_on(
            &[
                with("a", 8, 8, group("x")),
                with("b", 8, 8, group("y")),
                with("_p1", 56, 1, pad),
                with("_p2", 64, 1, pad),
            ],
            ReprInfo {
                align: Some(64),
                ..repr_c()
            },
            StructExpect::default(),
            &X86_64_LINUX,
        );
        let view = View::whole(&s);
        let p = plan(4, &[view]).unwrap();
        // b on line 1 would be in a's 128-byte prefetch pair; line 2 is not.
        assert_eq!(p.order, vec![0, 2, 3, 1]);
        assert_eq!((p.sizes[0], p.adjacent, p.exact), (192, 0, true));
    }

    #[test]
    fn isolated_field_gets_its_own_line() {
        let iso = Intent {
            isolated: true,
            ..Intent::default()
        };
        let s = report_on(
            &[
                plain("flag", 1, 1),
                ("state", 8, 8, iso),
                plain("count", 4, 4),
                with("_pad", 64, 1, pad),
            ],
            ReprInfo {
                align: Some(64),
                ..repr_c()
            },
            StructExpect::default(),
            &X86_64_LINUX,
        );
        assert!(violation(&s).unwrap().contains("[not-isolated]"));
        let (order, size) = best_order(&s).unwrap();
        let fixed = reordered(&s, &order);
        assert_eq!(violation(&fixed), None, "order {order:?}");
        assert_eq!(size, fixed.size.unwrap());
        assert_eq!(size, 128);
    }

    #[test]
    fn offset_pin_holds_even_when_it_costs_space() {
        let s = report(&[
            plain("a", 1, 1),
            plain("b", 8, 8),
            with("c", 1, 1, |i| i.offset = Some(16)),
        ]);
        assert_eq!(best_order(&s), Some((vec![0, 1, 2], 24)));
    }

    #[test]
    fn line_pin_holds() {
        let s = report_on(
            &[
                with("hot", 8, 8, |i| i.line = Some(1)),
                with("_pad", 64, 1, pad),
            ],
            repr_c(),
            StructExpect::default(),
            &X86_64_LINUX,
        );
        assert!(violation(&s).is_some());
        assert_eq!(best_order(&s), Some((vec![1, 0], 72)));
    }

    #[test]
    fn size_expectation_keeps_a_larger_order() {
        let specs = [plain("a", 1, 1), plain("b", 8, 8), plain("c", 1, 1)];
        let expect = StructExpect {
            size: Some(24),
            ..StructExpect::default()
        };
        let s = report_on(&specs, repr_c(), expect, &X86_64_LINUX);
        assert_eq!(best_order(&s), Some((vec![0, 1, 2], 24)));
    }

    #[test]
    fn padding_budget_is_met_by_reordering() {
        let specs = [plain("a", 1, 1), plain("b", 8, 8), plain("c", 1, 1)];
        let expect = StructExpect {
            max_padding: Some(6),
            ..StructExpect::default()
        };
        let s = report_on(&specs, repr_c(), expect, &X86_64_LINUX);
        assert!(violation(&s).unwrap().contains("[padding-budget]"));
        assert_eq!(best_order(&s), Some((vec![0, 2, 1], 16)));
    }

    #[test]
    fn unsatisfiable_intent_has_no_order() {
        let s = report(&[with("a", 8, 8, group("x")), with("b", 8, 8, group("y"))]);
        assert_eq!(best_order(&s), None);
        let err = plan(2, &[View::whole(&s)]).unwrap_err();
        assert!(matches!(&err, NoOrder::Unsatisfiable(m) if m.contains("[false-sharing]")));
    }

    #[test]
    fn suggests_the_pad_that_would_separate_groups() {
        let s = report_on(
            &[with("x", 8, 8, group("a")), with("y", 8, 8, group("b"))],
            repr_c(),
            StructExpect::default(),
            &X86_64_LINUX,
        );
        let views = [View::whole(&s)];
        assert!(plan(2, &views).is_err());
        let p = pad_suggestion(2, &views).unwrap();
        // x, 56 bytes of pad, y on the next line.
        assert_eq!(
            (p.bytes, p.sizes.as_slice(), p.order.as_slice()),
            (56, &[72][..], &[0, 2, 1][..])
        );
    }

    #[test]
    fn packed_struct_has_nothing_to_gain() {
        let specs = [plain("a", 1, 1), plain("b", 8, 8), plain("c", 1, 1)];
        let repr = ReprInfo {
            packed: Some(1),
            ..repr_c()
        };
        let s = report_on(&specs, repr, StructExpect::default(), &X86_64_LINUX);
        assert_eq!(s.size, Some(10));
        assert_eq!(best_order(&s), Some((vec![0, 1, 2], 10)));
        let repr = ReprInfo {
            packed: Some(2),
            ..repr_c()
        };
        let s = report_on(&specs, repr, StructExpect::default(), &X86_64_LINUX);
        assert_eq!(s.size, Some(12));
        assert_eq!(best_order(&s), Some((vec![0, 2, 1], 10)));
    }

    #[test]
    fn refuses_what_it_cannot_order() {
        let specs = [plain("a", 1, 1), plain("b", 8, 8)];
        let mut s = report(&specs);
        s.repr.c = false;
        assert_eq!(best_order(&s), None);
        let mut s = report(&specs);
        s.fields[1].size = None;
        assert_eq!(best_order(&s), None);
        let mut s = report(&specs);
        s.unknown = Some("type `Foo` is not defined in this crate".into());
        assert_eq!(best_order(&s), None);
        // The report's offsets must be what repr(C) gives.
        let mut s = report(&specs);
        s.fields[1].offset = Some(4);
        assert!(matches!(
            plan(2, &[View::whole(&s)]),
            Err(NoOrder::Inconsistent(_))
        ));
        let mut s = report(&specs);
        s.line_size = 0;
        assert_eq!(best_order(&s), None);
    }

    #[test]
    fn hand_padding_keeps_the_order() {
        let s = report(&[
            plain("head", 8, 8),
            plain("_pad", 56, 1),
            plain("tail", 8, 8),
            plain("flag", 1, 1),
        ]);
        assert_eq!(best_order(&s), Some((vec![0, 1, 2, 3], 80)));
    }

    #[test]
    fn sizes_that_are_not_multiples_of_the_alignment() {
        // Not a Rust type, but the search must not assume sorting is optimal.
        let s = report(&[plain("a", 3, 2), plain("b", 4, 4), plain("c", 1, 1)]);
        let (order, size) = best_order(&s).unwrap();
        assert_eq!(size, brute(&s).unwrap().0.0);
        assert_eq!(reordered(&s, &order).size, Some(size));
    }

    #[test]
    fn a_field_cfgd_out_on_one_target() {
        // Shared fields: a: u8, b: u64 (absent on i686), c: u32, d: u8.
        let x = report(&[
            plain("a", 1, 1),
            plain("b", 8, 8),
            plain("c", 4, 4),
            plain("d", 1, 1),
        ]);
        let i = report_on(
            &[plain("a", 1, 1), plain("c", 4, 4), plain("d", 1, 1)],
            repr_c(),
            StructExpect::default(),
            &I686_LINUX,
        );
        let views = [
            View::whole(&x),
            View {
                report: &i,
                fields: vec![Some(0), None, Some(1), Some(2)],
            },
        ];
        let p = plan(4, &views).unwrap();
        assert_eq!(p.current_sizes, vec![24, 12]);
        assert_eq!(p.sizes, vec![16, 8]);
        assert_eq!(p.order, vec![0, 3, 2, 1]);
    }

    #[test]
    fn big_structs_fall_back_to_heuristics_and_stay_valid() {
        let mut specs = Vec::new();
        let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            let (size, align) = [(1, 1), (8, 8), (2, 2), (4, 4), (16, 8)][i % 5];
            let g = ["a", "b", "c", "d", "e", "f", "g", "h"][i % 8];
            specs.push(with(name, size, align, group(g)));
        }
        // 40 fields in 8 groups cannot share lines: add pad fields to make room.
        let pads: Vec<String> = (0..8).map(|i| format!("_gap{i}")).collect();
        for name in &pads {
            specs.push(with(name, 64, 1, pad));
        }
        let s = report_on(
            &specs,
            ReprInfo {
                align: Some(64),
                ..repr_c()
            },
            StructExpect::default(),
            &X86_64_LINUX,
        );
        assert!(violation(&s).is_some());
        let p = plan(specs.len(), &[View::whole(&s)]).unwrap();
        assert!(!p.exact, "the exact search should have run out of budget");
        let fixed = reordered(&s, &p.order);
        assert_eq!(violation(&fixed), None);
        assert_eq!(fixed.size, Some(p.sizes[0]));
        // That order is valid but not proven best: the best size is unknown, and why.
        let lower = specs.iter().map(|s| s.1).sum::<usize>().div_ceil(64) * 64;
        if p.sizes[0] > lower {
            assert_eq!(best_order(&s), None);
            let why = best_order_or_why(&s).unwrap_err();
            assert!(why.contains("cap of 20000 states"), "{why}");
        } else {
            assert_eq!(best_order(&s).map(|b| b.1), Some(lower));
        }
        // Without intent a big struct is sorted by alignment: the lower bound.
        let specs: Vec<Spec<'_>> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (size, align) = [(1, 1), (8, 8), (2, 2), (4, 4), (16, 16), (3, 1)][i % 6];
                plain(n, size, align)
            })
            .collect();
        let s = report(&specs);
        let (order, size) = best_order(&s).unwrap();
        let sum: usize = specs.iter().map(|s| s.1).sum();
        assert_eq!(size, sum.div_ceil(16) * 16);
        assert_eq!(reordered(&s, &order).size, Some(size));
    }

    #[test]
    fn capped_search_leaves_the_best_size_unknown() {
        // Ten groups, each led by a 64-aligned field so each starts its own line: the
        // current order is valid at 640 bytes, the lower bound (230 bytes of fields) is
        // 256, and fifty distinct fields are far past the state cap.
        let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
        let groups: Vec<String> = (0..10).map(|g| format!("g{g}")).collect();
        let mut specs = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let (size, align) = [(8, 64), (1, 1), (2, 2), (4, 4), (8, 8)][i % 5];
            specs.push(with(name, size, align, group(&groups[i / 5])));
        }
        let s = report(&specs);
        assert_eq!((violation(&s), s.size), (None, Some(640)));
        let p = plan(specs.len(), &[View::whole(&s)]).unwrap();
        assert!(!p.exact);
        assert!(p.sizes[0] > 256);
        assert_eq!(best_order(&s), None);
        let why = best_order_or_why(&s).unwrap_err();
        assert!(
            why.contains("cap of 20000 states") && why.contains("256-byte lower bound"),
            "{why}"
        );
    }

    /// Every permutation: the smallest valid cost and the first order reaching it.
    fn brute(s: &StructReport) -> Option<(Cost, Vec<usize>)> {
        let n = s.fields.len();
        let mut best: Option<(Cost, Vec<usize>)> = None;
        let mut perm: Vec<usize> = (0..n).collect();
        loop {
            let r = reordered(s, &perm);
            let tv = TargetView::new(n, &View::whole(&r)).unwrap();
            let (fields, size) = tv.lay_out(&(0..n).collect::<Vec<_>>()).unwrap();
            let l = tv.descriptor(&fields, size);
            let fits = size <= s.size.unwrap();
            if first_violation(&l).is_none() && fits {
                let cost = (size, adjacent_warnings(&l));
                if best.as_ref().is_none_or(|(b, _)| cost < *b) {
                    best = Some((cost, perm.clone()));
                }
            }
            // Next permutation in lexicographic order.
            let Some(i) = (1..n).rev().find(|&i| perm[i - 1] < perm[i]) else {
                break;
            };
            let j = (i..n).rev().find(|&j| perm[j] > perm[i - 1]).unwrap();
            perm.swap(i - 1, j);
            perm[i..].reverse();
        }
        best
    }

    fn arb_field() -> impl Strategy<Value = (usize, usize, u8, u8)> {
        (
            prop::sample::select(vec![
                (1, 1),
                (2, 2),
                (4, 4),
                (8, 8),
                (16, 8),
                (3, 1),
                (24, 8),
                (40, 8),
                (0, 8),
            ]),
            0u8..8,
            0u8..4,
        )
            .prop_map(|((size, align), intent, g)| (size, align, intent, g))
    }

    fn to_specs(raw: &[(usize, usize, u8, u8)], names: &[String]) -> Vec<Spec<'static>> {
        raw.iter()
            .zip(names)
            .map(|(&(size, align, intent, g), name)| {
                let name: &'static str = Box::leak(name.clone().into_boxed_str());
                let mut i = Intent::default();
                match intent {
                    0 => i.group = Some(["p", "c"][usize::from(g % 2)].into()),
                    1 => i.isolated = true,
                    2 => {
                        i.pad = true;
                        return (name, 8 * usize::from(g) + 8, 1, i);
                    }
                    3 if g == 0 => i.line = Some(1),
                    _ => {}
                }
                (name, size, align, i)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The exact search finds the brute-force optimum, and the same order.
        #[test]
        fn exact_search_matches_brute_force(
            raw in prop::collection::vec(arb_field(), 1..7),
            line in prop::sample::select(vec![None, Some(16usize), Some(32)]),
            aligned in any::<bool>(),
        ) {
            let names: Vec<String> = (0..raw.len()).map(|i| format!("f{i}")).collect();
            let specs = to_specs(&raw, &names);
            let repr = ReprInfo { align: aligned.then_some(32), ..repr_c() };
            let expect = StructExpect { line, ..StructExpect::default() };
            let s = report_on(&specs, repr, expect, &X86_64_LINUX);
            let got = plan(specs.len(), &[View::whole(&s)]);
            match brute(&s) {
                None => prop_assert!(matches!(got, Err(NoOrder::Unsatisfiable(_))), "{got:?}"),
                Some(((size, adjacent), order)) => {
                    let p = got.unwrap();
                    prop_assert_eq!((p.sizes[0], p.adjacent), (size, adjacent));
                    prop_assert_eq!(&p.order, &order);
                    // Applying the order and asking again changes nothing.
                    let again = reordered(&s, &p.order);
                    let q = plan(specs.len(), &[View::whole(&again)]).unwrap();
                    prop_assert!(!q.changes_order(), "{:?}", q.order);
                }
            }
        }
    }
}
