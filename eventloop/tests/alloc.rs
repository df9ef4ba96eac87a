//! Submitting a small closure to a running loop allocates nothing on the producer (the
//! closure is stored inline in the queue's recycled `Vec`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use eventloop::{Config, EventLoop};

struct Counting;

thread_local! {
    static COUNT_HERE: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the bookkeeping touches only const-initialised
// thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNT_HERE.with(Cell::get) {
            ALLOCS.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: forwarded contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
#[cfg_attr(
    miri,
    ignore = "a throughput property; Miri checks the unsafe paths elsewhere"
)]
fn small_closure_submit_allocates_nothing_in_steady_state() {
    let (h, join) = EventLoop::spawn(Config::default()).unwrap();
    let sum = Arc::new(AtomicU64::new(0));
    let n = 100_000u64;
    let submit_all = |base: u64| {
        for i in 0..n {
            let s = sum.clone(); // Arc clone: no allocation.
            h.submit(move |_| {
                s.fetch_add(base + i, Ordering::Relaxed);
            })
            .unwrap();
        }
    };
    // Warm-up grows both of the queue's vectors to their working size.
    submit_all(0);
    while h.stats().executed < n {
        std::thread::yield_now();
    }
    COUNT_HERE.with(|c| c.set(true));
    submit_all(1);
    COUNT_HERE.with(|c| c.set(false));
    let allocs = ALLOCS.with(Cell::get);
    h.shutdown();
    join.join().unwrap().unwrap();
    assert_eq!(h.stats().executed, 2 * n);
    // If the loop lags further behind than during the warm-up (a busy machine), each of
    // the queue's two vectors may still double its way up to the backlog: at most
    // 2 * log2(n) allocations. Anything per submit would be ~n.
    let bound = 2 * (64 - n.leading_zeros() as u64);
    assert!(
        allocs <= bound,
        "{allocs} allocations for {n} submits (bound {bound})"
    );
}
