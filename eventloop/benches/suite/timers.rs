//! Timer schedule + cancel on the loop thread, with 0, 1k and 100k other timers pending
//! (deadlines spread over 1-2 hours, so the new timer lands somewhere inside the heap).
//! One iteration = schedule one timer and cancel it. Peers: tokio's timer wheel (a
//! `tokio::time::sleep` polled once, which registers it, then dropped, which cancels it,
//! inside a current-thread runtime) and a `BinaryHeap` baseline with generation-checked
//! lazy cancellation.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use criterion::Criterion;

use super::el;
use super::report;

pub const PENDING: [usize; 3] = [0, 1_000, 100_000];

/// Deterministic spread of deadlines in [1 h, 2 h).
pub struct Spread(u64);

impl Spread {
    pub fn new() -> Self {
        Spread(0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> Duration {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_secs(3600) + Duration::from_micros(self.0 % 3_600_000_000)
    }
}

pub fn bench(c: &mut Criterion, alloc: &str) {
    for pending in PENDING {
        let group = format!("{alloc}_timer_pending_{pending}");
        let mut g = c.benchmark_group(&group);
        let name = "eventloop";
        if report::filter_allows(&format!("{group}/{name}")) {
            let t = el::Timers::start(pending);
            g.bench_function(name, |b| {
                b.iter_custom(|iters| report::sample(&group, name, iters, || t.run(iters)))
            });
            t.stop();
        }

        let name = "tokio_sleep";
        if report::filter_allows(&format!("{group}/{name}")) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("tokio runtime");
            rt.block_on(async {
                let mut spread = Spread::new();
                let mut noop = Context::from_waker(Waker::noop());
                let mut held: Vec<Pin<Box<tokio::time::Sleep>>> = (0..pending)
                    .map(|_| {
                        let mut s = Box::pin(tokio::time::sleep(spread.next()));
                        assert!(s.as_mut().poll(&mut noop).is_pending());
                        s
                    })
                    .collect();
                g.bench_function(name, |b| {
                    b.iter_custom(|iters| {
                        report::sample(&group, name, iters, || {
                            let t0 = Instant::now();
                            for _ in 0..iters {
                                // Registration happens on first poll; drop deregisters.
                                let mut s = std::pin::pin!(tokio::time::sleep(spread.next()));
                                let _ = s.as_mut().poll(&mut noop);
                            }
                            t0.elapsed()
                        })
                    })
                });
                held.clear();
            });
        }

        let name = "binary_heap_baseline";
        if report::filter_allows(&format!("{group}/{name}")) {
            let mut heap = HeapTimers::default();
            let mut spread = Spread::new();
            let origin = Instant::now();
            let mut held = Vec::with_capacity(pending);
            for _ in 0..pending {
                held.push(heap.schedule(origin + spread.next(), Box::new(|| {})));
            }
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    report::sample(&group, name, iters, || {
                        let t0 = Instant::now();
                        for _ in 0..iters {
                            let id = heap.schedule(Instant::now() + spread.next(), Box::new(|| {}));
                            assert!(heap.cancel(id));
                        }
                        t0.elapsed()
                    })
                })
            });
            for id in held {
                assert!(heap.cancel(id));
            }
        }
        g.finish();
    }
}

type Callback = Box<dyn FnOnce()>;

struct Slot {
    generation: u32,
    callback: Option<Callback>,
}

/// A binary min-heap of (deadline, slot, generation); cancelling bumps the slot's
/// generation, and stale heap entries are purged once they outnumber live ones.
#[derive(Default)]
struct HeapTimers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    stale: usize,
}

impl HeapTimers {
    fn schedule(&mut self, deadline: Instant, callback: Callback) -> (u32, u32) {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    callback: None,
                });
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 timers")
            }
        };
        let s = &mut self.slots[slot as usize];
        s.callback = Some(callback);
        self.heap.push(Reverse((deadline, slot, s.generation)));
        (slot, s.generation)
    }

    fn cancel(&mut self, (slot, generation): (u32, u32)) -> bool {
        let Some(s) = self.slots.get_mut(slot as usize) else {
            return false;
        };
        if s.generation != generation || s.callback.is_none() {
            return false;
        }
        s.callback = None;
        s.generation = s.generation.wrapping_add(1);
        self.free.push(slot);
        self.stale += 1;
        if self.stale > self.heap.len() / 2 + 64 {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, slot, g))| {
                let s = &slots[*slot as usize];
                s.generation == *g && s.callback.is_some()
            });
            self.stale = 0;
        }
        true
    }
}
