//! Runs the `layout` crate's rules (and the CLI-only heuristics) over an analysis.

use crate::analysis::Analysis;

/// Fills `diagnostics` of every struct report.
pub fn diagnose(analysis: &mut Analysis) {
    let _ = analysis;
}
