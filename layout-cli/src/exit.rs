//! Named exit codes.

/// No findings at or above `--deny`, no input errors.
pub const CLEAN: i32 = 0;
/// Findings at or above `--deny`.
pub const FINDINGS: i32 = 1;
/// Usage, I/O or parse error (other files were still reported).
pub const ERROR: i32 = 2;
