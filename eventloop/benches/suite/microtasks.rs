//! Microtask chains on the loop thread: each microtask queues the next one (a chain of
//! `iters`), and a fan-out shape where a driver microtask queues 255 leaves and then the
//! next driver (at most 256 pending, within a typical ring). Compared with a single-thread
//! `VecDeque<Box<dyn FnOnce>>` baseline running the same shapes.

use std::collections::VecDeque;
use std::time::Duration;

use criterion::Criterion;

use super::el;
use super::report;

pub const FAN: u64 = 256;

/// The work every microtask does, identical for the loop and the baseline: count itself
/// in a thread-local, and the last one reads the clock.
pub mod ticks {
    use std::cell::Cell;
    use std::time::{Duration, Instant};

    thread_local! {
        static RAN: Cell<u64> = const { Cell::new(0) };
        static TARGET: Cell<u64> = const { Cell::new(0) };
        static START: Cell<Option<Instant>> = const { Cell::new(None) };
        static END: Cell<Option<Instant>> = const { Cell::new(None) };
    }

    pub fn arm(target: u64) {
        RAN.set(0);
        TARGET.set(target);
        END.set(None);
        START.set(Some(Instant::now()));
    }

    #[inline]
    pub fn tick() {
        let n = RAN.get() + 1;
        RAN.set(n);
        if n == TARGET.get() {
            END.set(Some(Instant::now()));
        }
    }

    /// Checks that exactly `target` ticks ran and returns the time they took.
    pub fn elapsed(target: u64) -> Duration {
        assert_eq!(RAN.get(), target, "every microtask ran, once");
        let (Some(start), Some(end)) = (START.get(), END.get()) else {
            panic!("the run was armed and finished");
        };
        end - start
    }
}

pub fn bench(c: &mut Criterion, alloc: &str) {
    let group = format!("{alloc}_microtasks");
    let mut g = c.benchmark_group(&group);
    if report::filter_allows(&format!("{group}/eventloop")) {
        let lp = el::Microtasks::start();
        for (name, fan) in [("eventloop_chain", false), ("eventloop_fan256", true)] {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| report::sample(&group, name, iters, || lp.run(iters, fan)))
            });
        }
        lp.stop();
    }
    for (name, fan) in [
        ("vecdeque_chain_baseline", false),
        ("vecdeque_fan256_baseline", true),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| report::sample(&group, name, iters, || vecdeque(iters, fan)))
        });
    }
    g.finish();
}

type Micro = Box<dyn FnOnce(&mut Deque)>;

struct Deque {
    q: VecDeque<Micro>,
}

fn chain(d: &mut Deque, left: u64) {
    ticks::tick();
    if left > 1 {
        d.q.push_back(Box::new(move |d: &mut Deque| chain(d, left - 1)));
    }
}

fn fan(d: &mut Deque, left: u64) {
    ticks::tick();
    let leaves = (left - 1).min(FAN - 1);
    for _ in 0..leaves {
        d.q.push_back(Box::new(|_: &mut Deque| ticks::tick()));
    }
    let rest = left - 1 - leaves;
    if rest > 0 {
        d.q.push_back(Box::new(move |d: &mut Deque| fan(d, rest)));
    }
}

fn vecdeque(iters: u64, fanout: bool) -> Duration {
    let mut d = Deque {
        q: VecDeque::with_capacity(FAN as usize),
    };
    ticks::arm(iters);
    if fanout {
        fan(&mut d, iters);
    } else {
        chain(&mut d, iters);
    }
    while let Some(m) = d.q.pop_front() {
        m(&mut d);
    }
    ticks::elapsed(iters)
}
