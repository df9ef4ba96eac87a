//! Round trip (PingPong with one producer): the producer submits a task that flips an atomic
//! flag and waits until it sees the flip, so each iteration is one full submit -> run ->
//! observe latency, including the consumer's wake-up if it went idle in between.
//!
//! Two variants: the producer spins on the flag, or the producer parks and the task unparks
//! it (a producer that does not burn its core while waiting).

use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;
use std::time::Instant;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

use super::peers::{Peer, Submitter};
use super::report::{self, Hist};

pub fn bench(c: &mut Criterion, alloc: &str) {
    let group = format!("{alloc}_round_trip");
    let mut g = c.benchmark_group(&group);
    for_each_executor!(spinning, &mut g, &group);
    g.finish();

    let group = format!("{alloc}_round_trip_parked");
    let mut g = c.benchmark_group(&group);
    for_each_executor!(parked, &mut g, &group);
    g.finish();
}

fn spinning<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>, group: &str) {
    if !report::filter_allows(&format!("{group}/{}", P::NAME)) {
        return;
    }
    let peer = P::start();
    let s = peer.submitter();
    let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let mut hist = Hist::new();
    g.bench_function(P::NAME, |b| {
        b.iter_custom(|iters| {
            report::sample(group, P::NAME, iters, || {
                let start = Instant::now();
                for _ in 0..iters {
                    let t0 = Instant::now();
                    // Release pairs with the Acquire load in the spin below.
                    s.submit(move || flag.store(true, Ordering::Release));
                    while !flag.load(Ordering::Acquire) {
                        spin_loop();
                    }
                    hist.record(t0.elapsed());
                    flag.store(false, Ordering::Relaxed);
                }
                start.elapsed()
            })
        })
    });
    report::add_hist(group, P::NAME, &hist);
    if let Some(d) = peer.describe() {
        println!("{group}/{}: {d}", P::NAME);
    }
    drop(s);
    peer.stop();
}

struct Wake {
    flag: AtomicBool,
    producer: Thread,
}

fn parked<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>, group: &str) {
    if !report::filter_allows(&format!("{group}/{}", P::NAME)) {
        return;
    }
    let peer = P::start();
    let s = peer.submitter();
    let wake: &'static Wake = Box::leak(Box::new(Wake {
        flag: AtomicBool::new(false),
        producer: std::thread::current(),
    }));
    let mut hist = Hist::new();
    g.bench_function(P::NAME, |b| {
        b.iter_custom(|iters| {
            report::sample(group, P::NAME, iters, || {
                let start = Instant::now();
                for _ in 0..iters {
                    let t0 = Instant::now();
                    s.submit(move || {
                        // Release pairs with the Acquire load in the park loop below.
                        wake.flag.store(true, Ordering::Release);
                        wake.producer.unpark();
                    });
                    while !wake.flag.load(Ordering::Acquire) {
                        std::thread::park();
                    }
                    hist.record(t0.elapsed());
                    wake.flag.store(false, Ordering::Relaxed);
                }
                start.elapsed()
            })
        })
    });
    report::add_hist(group, P::NAME, &hist);
    if let Some(d) = peer.describe() {
        println!("{group}/{}: {d}", P::NAME);
    }
    drop(s);
    peer.stop();
}
