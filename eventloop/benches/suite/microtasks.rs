//! Microtask chains on the loop thread: each microtask queues the next one (a chain of
//! `iters`), and a fan-out shape where a driver microtask queues 255 leaves and then the
//! next driver (at most 256 pending, within a typical ring). Compared with a single-thread
//! `VecDeque<Box<dyn FnOnce>>` baseline running the same shapes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use criterion::Criterion;

use super::el;
use super::report;

pub const FAN: u64 = 256;

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
    ran: u64,
}

fn chain(d: &mut Deque, left: u64) {
    d.ran += 1;
    if left > 1 {
        d.q.push_back(Box::new(move |d: &mut Deque| chain(d, left - 1)));
    }
}

fn fan(d: &mut Deque, left: u64) {
    d.ran += 1;
    let leaves = (left - 1).min(FAN - 1);
    for _ in 0..leaves {
        d.q.push_back(Box::new(|d: &mut Deque| d.ran += 1));
    }
    let rest = left - 1 - leaves;
    if rest > 0 {
        d.q.push_back(Box::new(move |d: &mut Deque| fan(d, rest)));
    }
}

fn vecdeque(iters: u64, fanout: bool) -> Duration {
    let mut d = Deque {
        q: VecDeque::with_capacity(FAN as usize),
        ran: 0,
    };
    let t0 = Instant::now();
    if fanout {
        fan(&mut d, iters);
    } else {
        chain(&mut d, iters);
    }
    while let Some(m) = d.q.pop_front() {
        m(&mut d);
    }
    let elapsed = t0.elapsed();
    assert_eq!(d.ran, iters, "baseline ran every microtask");
    elapsed
}
