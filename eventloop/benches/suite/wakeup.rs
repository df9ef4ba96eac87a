//! Wakeup latency of a sleeping consumer: pause 1 ms (outside the timed region) so the
//! consumer has gone idle and parked, then time submit -> task ran -> producer saw it.
//! Not a criterion bench: criterion plans iteration counts from the timed region only and
//! would schedule hours of pauses. Fixed 400 iterations per executor, p50/p99 recorded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::peers::{Peer, Submitter};
use super::report::{self, Hist};

const ITERATIONS: u32 = 400;
const PAUSE: Duration = Duration::from_millis(1);

pub fn run(alloc: &str) {
    let group = format!("{alloc}_wakeup_sleeping");
    for_each_executor!(one, &group);
}

fn one<P: Peer>(group: &str) {
    if !report::filter_allows(&format!("{group}/{}", P::NAME)) {
        return;
    }
    let peer = P::start();
    let s = peer.submitter();
    let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let mut hist = Hist::new();
    let mut total = Duration::ZERO;
    for _ in 0..ITERATIONS {
        std::thread::sleep(PAUSE);
        let t0 = Instant::now();
        // Release pairs with the Acquire load below.
        s.submit(move || flag.store(true, Ordering::Release));
        while !flag.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        let d = t0.elapsed();
        flag.store(false, Ordering::Relaxed);
        hist.record(d);
        total += d;
    }
    report::add_own(group, P::NAME, total / ITERATIONS, &hist);
    println!(
        "{group}/{}: mean {:?} over {ITERATIONS} iterations",
        P::NAME,
        total / ITERATIONS
    );
    if let Some(d) = peer.describe() {
        println!("{group}/{}: {d}", P::NAME);
    }
    drop(s);
    peer.stop();
}
