//! Named exit codes, and the one pure function that picks between them.

use layout::Severity;

use crate::analysis::Analysis;

/// No findings at or above `--deny`, no input errors.
pub const CLEAN: i32 = 0;
/// Findings at or above `--deny`.
pub const FINDINGS: i32 = 1;
/// Usage, I/O or parse error (other files were still reported).
pub const ERROR: i32 = 2;

/// The exit code of `report`: input errors win over findings; findings count when
/// their severity is at or above `deny` (`--deny warning` fails on warnings and errors,
/// `--deny error` on errors only).
pub fn exit_code(analysis: &Analysis, deny: Severity) -> i32 {
    let worst = analysis
        .structs
        .iter()
        .flat_map(|s| &s.diagnostics)
        .map(|f| f.severity)
        .max();
    code_for(!analysis.errors.is_empty(), worst, deny)
}

/// [`exit_code`] on its inputs: whether there were input errors and the worst finding.
pub fn code_for(input_errors: bool, worst: Option<Severity>, deny: Severity) -> i32 {
    if input_errors {
        ERROR
    } else if worst.is_some_and(|w| w >= deny) {
        FINDINGS
    } else {
        CLEAN
    }
}

/// `report --baseline`: a changed layout counts as a finding; a baseline that cannot be
/// read is an input error. Input errors still win.
pub fn with_baseline(code: i32, changed: bool, baseline_error: bool) -> i32 {
    if code == ERROR || baseline_error {
        ERROR
    } else if code == FINDINGS || changed {
        FINDINGS
    } else {
        CLEAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn errors_win_then_findings_at_or_above_deny() {
        use Severity::{Error, Warning};
        assert_eq!(code_for(false, None, Warning), CLEAN);
        assert_eq!(code_for(false, Some(Warning), Error), CLEAN);
        assert_eq!(code_for(false, Some(Warning), Warning), FINDINGS);
        assert_eq!(code_for(false, Some(Error), Error), FINDINGS);
        assert_eq!(code_for(false, Some(Error), Warning), FINDINGS);
        assert_eq!(code_for(true, None, Error), ERROR);
        assert_eq!(code_for(true, Some(Error), Warning), ERROR);
    }

    #[test]
    fn baseline_changes_are_findings_and_errors_still_win() {
        assert_eq!(with_baseline(CLEAN, false, false), CLEAN);
        assert_eq!(with_baseline(CLEAN, true, false), FINDINGS);
        assert_eq!(with_baseline(FINDINGS, false, false), FINDINGS);
        assert_eq!(with_baseline(CLEAN, false, true), ERROR);
        assert_eq!(with_baseline(ERROR, true, false), ERROR);
        assert_eq!(with_baseline(FINDINGS, true, true), ERROR);
    }

    #[test]
    fn on_analyses() {
        let mut a = sample::analysis();
        assert_eq!(exit_code(&a, Severity::Error), ERROR);
        a.errors.clear();
        // ring() has a false-sharing error.
        assert_eq!(exit_code(&a, Severity::Error), FINDINGS);
        a.structs.retain(|s| s.name != "Ring");
        // Only warnings left.
        assert_eq!(exit_code(&a, Severity::Error), CLEAN);
        assert_eq!(exit_code(&a, Severity::Warning), FINDINGS);
        a.structs.clear();
        assert_eq!(exit_code(&a, Severity::Warning), CLEAN);
        assert_ne!(CLEAN, FINDINGS);
        assert_ne!(FINDINGS, ERROR);
    }
}
