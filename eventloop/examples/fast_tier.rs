//! A producer submits N tasks (default 1,000,000) to a loop that is kept running, between
//! two marker writes on stderr. `scripts/strace-check.sh` runs it under `strace -f` and
//! counts the system calls made between the markers: a running loop's fast-tier submit
//! path must make (next to) none.
//!
//! The loop is kept busy by a task that resubmits itself until the producer is done, so
//! the loop never runs out of work, never declares itself asleep, and so never needs a
//! wake. Exits non-zero if a task was lost or the loop slept or was woken in the window.
//!
//! `cargo run --release -p eventloop --example fast_tier -- 1000000`

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use eventloop::{Config, Cx, EventLoop, Handle};

static STOP: AtomicBool = AtomicBool::new(false);
static KEEPER_RUNS: AtomicU64 = AtomicU64::new(0);
static EXECUTED: AtomicU64 = AtomicU64::new(0);

/// Runs on the loop thread and queues itself again, so the submit queue is never empty.
fn keep_busy(handle: Handle) {
    // Relaxed: a progress counter read only to know the loop has started.
    KEEPER_RUNS.fetch_add(1, Ordering::Relaxed);
    // Acquire pairs with the Release store of STOP after the window.
    if !STOP.load(Ordering::Acquire) {
        let next = handle.clone();
        if handle.submit(move |_: &mut Cx| keep_busy(next)).is_err() {
            eprintln!("fast_tier: the loop rejected the keeper task");
        }
    }
}

fn main() -> ExitCode {
    let n: u64 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("fast_tier: the argument must be a task count: {e}");
            return ExitCode::from(2);
        }
    };
    let (handle, join) = match EventLoop::spawn(Config::default()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fast_tier: cannot start the loop: {e}");
            return ExitCode::from(2);
        }
    };
    let keeper = handle.clone();
    if handle.submit(move |_: &mut Cx| keep_busy(keeper)).is_err() {
        eprintln!("fast_tier: the loop rejected the keeper task");
        return ExitCode::from(2);
    }
    // The loop is running once the keeper has gone round a few times.
    while KEEPER_RUNS.load(Ordering::Relaxed) < 1_000 {
        std::hint::spin_loop();
    }

    let before = handle.stats();
    eprintln!("FAST_TIER_BEGIN");
    for _ in 0..n {
        let ok = handle
            .submit(|_: &mut Cx| {
                // Relaxed: only the loop thread writes it; read after the join.
                EXECUTED.fetch_add(1, Ordering::Relaxed);
            })
            .is_ok();
        if !ok {
            eprintln!("FAST_TIER_END");
            eprintln!("fast_tier: a submit was rejected while the loop was running");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("FAST_TIER_END");
    let after = handle.stats();
    // Release pairs with the Acquire load in `keep_busy`.
    STOP.store(true, Ordering::Release);

    handle.shutdown();
    let unrun = match join.join() {
        Ok(Ok(unrun)) => unrun,
        Ok(Err(e)) => {
            eprintln!("fast_tier: the loop failed: {e}");
            return ExitCode::FAILURE;
        }
        Err(_) => {
            eprintln!("fast_tier: the loop thread panicked");
            return ExitCode::FAILURE;
        }
    };
    let executed = EXECUTED.load(Ordering::Relaxed);
    let sleeps = after.sleeps - before.sleeps;
    let wakeups = (after.wakeups_user_space + after.wakeups_poller)
        - (before.wakeups_user_space + before.wakeups_poller);
    println!(
        "fast_tier: submitted {n}, executed {executed}, loop sleeps during the window {sleeps}, \
         wakeups during the window {wakeups}, keeper rounds {}",
        KEEPER_RUNS.load(Ordering::Relaxed)
    );
    if executed != n || !unrun.tasks.is_empty() {
        eprintln!("fast_tier: lost work: {executed} of {n} tasks ran");
        return ExitCode::FAILURE;
    }
    if wakeups != 0 {
        eprintln!("fast_tier: producers woke a running loop {wakeups} times");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
