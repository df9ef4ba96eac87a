//! Wall-clock phase marks on stderr, for profiling a run: set `LAYOUT_CLI_TIMINGS=1` and
//! every phase prints `timing: <ms since start> <resident MB> <phase>`. Off, a mark is
//! one check of an initialised cell and formats nothing. Not an interface: the phase
//! names may change.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("LAYOUT_CLI_TIMINGS").map(|_| Instant::now()))
}

/// Starts the clock (call first thing in `main`).
pub fn init() {
    let _ = start();
}

/// Prints the time since [`init`] and `phase`, when timings are on (`phase` is only
/// formatted then: pass `format_args!` for a phase with values in it).
pub fn mark(phase: impl std::fmt::Display) {
    if let Some(t) = start() {
        eprintln!(
            "timing: {:7.1} ms {:6.1} MB {phase}",
            t.elapsed().as_secs_f64() * 1e3,
            rss_mb()
        );
    }
}

/// Resident memory in MB (Linux `/proc/self/statm`, 4 KiB pages), 0 elsewhere.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}
