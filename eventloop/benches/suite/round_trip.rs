//! Round trip (PingPong with one producer): the producer submits a task that flips an atomic
//! flag and waits until it sees the flip, so each iteration is one full submit -> run ->
//! observe latency, including the consumer's wake-up if it went idle in between.
//!
//! Two variants: the producer spins on the flag ("spinning"), or it waits the way a
//! producer that must not burn its core waits ("parked", see [`wait_parked`]): every
//! executor gets exactly the same waiter, so only the executor differs.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

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
                    hist.record(spinning_once(&s, flag));
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

/// One spinning round trip: submit a task that sets `flag`, spin until it is seen.
#[inline]
pub fn spinning_once<S: Submitter>(s: &S, flag: &'static AtomicBool) -> Duration {
    let t0 = Instant::now();
    // Release pairs with the Acquire load in the spin below.
    s.submit(move || flag.store(true, Ordering::Release));
    while !flag.load(Ordering::Acquire) {
        spin_loop();
    }
    let d = t0.elapsed();
    flag.store(false, Ordering::Relaxed);
    d
}

/// How long a parked waiter spins before it parks. A park/unpark round trip costs
/// ~4-5 us on the KVM guest we measure on (and up to ~40 us in its slow mode), while an
/// answer from a running executor takes 0.2-1.2 us: spinning for about one park/unpark
/// round trip first is the classic competitive choice (never more than twice the cost of
/// the better of "spin" and "park at once"), and it is bounded, so a waiter whose answer
/// is late burns at most this much before it sleeps.
pub const WAIT_SPIN: Duration = Duration::from_micros(5);

/// What a parked round trip's task sets and whom it unparks.
pub struct Wake {
    flag: AtomicBool,
    producer: Thread,
}

impl Wake {
    /// A wake target for the calling thread (the only thread that may wait on it).
    pub fn leak() -> &'static Wake {
        Box::leak(Box::new(Wake {
            flag: AtomicBool::new(false),
            producer: std::thread::current(),
        }))
    }
}

/// The waiter every executor gets in the parked round trip: check the flag, spinning, for
/// up to [`WAIT_SPIN`]; then park until the task unparks this thread. With
/// `spin == Duration::ZERO` it parks at once (the old definition of this bench, kept as
/// the `parked_at_once` diagnostic row of the interleaved driver).
#[inline]
pub fn wait_parked(flag: &AtomicBool, spin: Duration) {
    if !spin.is_zero() {
        let t0 = Instant::now();
        let mut n = 0u32;
        // Acquire pairs with the task's Release store.
        while !flag.load(Ordering::Acquire) {
            spin_loop();
            n = n.wrapping_add(1);
            // The clock costs ~20 ns here: read it every 16 checks.
            if n.is_multiple_of(16) && t0.elapsed() >= spin {
                break;
            }
        }
    }
    while !flag.load(Ordering::Acquire) {
        std::thread::park();
    }
}

/// One parked round trip: submit a task that sets the flag and unparks this thread, then
/// wait with [`wait_parked`].
#[inline]
pub fn parked_once<S: Submitter>(s: &S, wake: &'static Wake, spin: Duration) -> Duration {
    let t0 = Instant::now();
    s.submit(move || {
        // Release pairs with the Acquire loads in `wait_parked`.
        wake.flag.store(true, Ordering::Release);
        wake.producer.unpark();
    });
    wait_parked(&wake.flag, spin);
    let d = t0.elapsed();
    wake.flag.store(false, Ordering::Relaxed);
    d
}

fn parked<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>, group: &str) {
    if !report::filter_allows(&format!("{group}/{}", P::NAME)) {
        return;
    }
    let peer = P::start();
    let s = peer.submitter();
    let wake = Wake::leak();
    let mut hist = Hist::new();
    g.bench_function(P::NAME, |b| {
        b.iter_custom(|iters| {
            report::sample(group, P::NAME, iters, || {
                let start = Instant::now();
                for _ in 0..iters {
                    hist.record(parked_once(&s, wake, WAIT_SPIN));
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
