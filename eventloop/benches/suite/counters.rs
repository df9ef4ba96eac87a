//! What false sharing costs on this machine: two threads each increment their own
//! `AtomicU64`, the two counters 8, 64 or 128 bytes apart (same line, adjacent lines, two
//! lines apart: the adjacent-line prefetcher pairs 64-byte lines on some CPUs). One
//! iteration is one increment by each thread, both running at once; a single-thread row
//! is the uncontended baseline.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use criterion::Criterion;

use super::report;

#[repr(C, align(128))]
struct Lines([AtomicU64; 32]);

fn spin_until(mut ready: impl FnMut() -> bool) {
    while !ready() {
        std::hint::spin_loop();
    }
}

fn increments(counter: &AtomicU64, iters: u64) {
    for _ in 0..iters {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub fn bench(c: &mut Criterion, alloc: &str) {
    let group = format!("{alloc}_false_sharing");
    let mut g = c.benchmark_group(&group);
    let lines: &'static Lines =
        Box::leak(Box::new(Lines(std::array::from_fn(|_| AtomicU64::new(0)))));

    let name = "one_thread_baseline";
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            report::sample(&group, name, iters, || {
                let t0 = Instant::now();
                increments(&lines.0[0], iters);
                t0.elapsed()
            })
        })
    });

    for distance in [8usize, 64, 128] {
        let name = format!("apart_{distance}b");
        let other = &lines.0[distance / 8];
        g.bench_function(&name, |b| {
            b.iter_custom(|iters| {
                report::sample(&group, &name, iters, || {
                    let ready = AtomicU32::new(0);
                    let finished = AtomicU32::new(0);
                    std::thread::scope(|s| {
                        s.spawn(|| {
                            ready.fetch_add(1, Ordering::AcqRel);
                            spin_until(|| ready.load(Ordering::Acquire) == 2);
                            increments(other, iters);
                            finished.store(1, Ordering::Release);
                        });
                        ready.fetch_add(1, Ordering::AcqRel);
                        spin_until(|| ready.load(Ordering::Acquire) == 2);
                        let t0 = Instant::now();
                        increments(&lines.0[0], iters);
                        // Acquire pairs with the Release store at the end of the other thread.
                        spin_until(|| finished.load(Ordering::Acquire) == 1);
                        t0.elapsed()
                    })
                })
            })
        });
    }
    g.finish();
}
