//! The benchmark suite shared by `loop_glibc` and `loop_mimalloc`.
//!
//! Both binaries run exactly this code; they differ only in the global allocator, so every
//! peer in one binary runs with the same allocator and results read as ratios. Group names
//! carry the allocator (`glibc_round_trip`, `mimalloc_round_trip`) so the two binaries never
//! overwrite each other's criterion baselines.
//!
//! Every sample waits for completion by spinning (never sleeping), and one criterion
//! iteration is one operation, so criterion's time per iteration is ns/op directly.

#![allow(missing_debug_implementations)]

/// Calls `$f::<Executor>(args)` for the event loop and every peer, in table order.
macro_rules! for_each_executor {
    ($f:ident, $($arg:expr),*) => {{
        $f::<crate::suite::el::EventLoopPeer>($($arg),*);
        $f::<crate::suite::peers::Crossbeam>($($arg),*);
        $f::<crate::suite::peers::StdMpsc>($($arg),*);
        $f::<crate::suite::peers::Flume>($($arg),*);
        $f::<crate::suite::peers::TokioCt>($($arg),*);
        $f::<crate::suite::peers::MutexSwap>($($arg),*);
    }};
}

mod counters;
mod el;
mod interleave;
mod microtasks;
mod peers;
mod report;
mod round_trip;
mod throughput;
mod timers;
mod wakeup;

use std::time::Duration;

use criterion::Criterion;

/// With `--interleaved`, runs the interleaved driver (see `interleave.rs`) instead.
/// Otherwise runs every group, then prints the summary table (criterion means with their 95% CI,
/// our own p50/p99 histograms and CPU time per op).
pub fn main(alloc: &'static str) {
    if interleave::requested() {
        interleave::run(alloc);
        return;
    }
    let dir = report::criterion_dir();
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .without_plots()
        .output_directory(&dir)
        .configure_from_args();

    round_trip::bench(&mut c, alloc);
    throughput::bench(&mut c, alloc);
    microtasks::bench(&mut c, alloc);
    timers::bench(&mut c, alloc);
    counters::bench(&mut c, alloc);
    c.final_summary();

    // The wakeup latency of a sleeping loop cannot go through criterion: each iteration needs
    // a pause (outside the timed region) long enough for the consumer to fall asleep, and
    // criterion plans its iteration counts from the timed region alone.
    wakeup::run(alloc);
    report::print_summary(alloc, &dir);
}
