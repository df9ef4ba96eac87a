//! The best field order for a `repr(C)` struct: the smallest size that still satisfies
//! every `#[layout]` intent. Without intent it is betteralign's minimal-padding order.

use crate::analysis::StructReport;

/// The best order for `s` (indices into `s.fields`) and the size it reaches, or `None`
/// when the layout is unknown or no order satisfies the intent. Pure: no I/O.
pub fn best_order(s: &StructReport) -> Option<(Vec<usize>, usize)> {
    let _ = s;
    None
}
