//! Timers: order, cancel, intervals, the nesting clamp, and no starvation of tasks.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::scale;
use eventloop::{Cx, EventLoop, NESTED_MIN_DELAY};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Deadline spacing for ordering tests. Under Miri scheduling a timer takes virtual
/// milliseconds (its clock follows executed steps), so deadlines are spaced wider; idle
/// waits cost nothing there (the clock jumps).
fn unit(n: u64) -> Duration {
    ms(if cfg!(miri) { n * 100 } else { n })
}

/// Runs `setup` on the loop thread, then the loop until something shuts it down.
fn run_loop(setup: impl FnOnce(&mut Cx) + Send + 'static) -> eventloop::Stats {
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    h.submit(setup).unwrap();
    el.run().unwrap();
    h.stats()
}

#[test]
fn timeouts_fire_in_deadline_order_and_cancel_works() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = order.clone();
    let stats = run_loop(move |cx| {
        for (name, delay) in [("c", 30), ("a", 10), ("x", 15), ("b", 20), ("a2", 10)] {
            let o = o.clone();
            let id = cx.set_timeout(unit(delay), move |_| o.lock().unwrap().push(name));
            if name == "x" {
                assert!(cx.clear_timer(id), "pending timer cancels");
                assert!(!cx.clear_timer(id), "second cancel is a no-op");
            }
        }
        assert_eq!(cx.pending_timers(), 4);
        let h = cx.handle();
        cx.set_timeout(unit(40), move |_| h.shutdown());
    });
    assert_eq!(*order.lock().unwrap(), ["a", "a2", "b", "c"]);
    assert_eq!(stats.timers_fired, 5);
}

#[test]
fn many_timers_fire_exactly_the_uncancelled_ones() {
    let n = scale(20_000, 40);
    let fired = Arc::new(std::sync::Mutex::new(Vec::new()));
    let f = fired.clone();
    let stats = run_loop(move |cx| {
        let mut ids = Vec::new();
        for i in 0..n {
            let f = f.clone();
            // Spread over 0..8 ms, deliberately with many equal deadlines.
            ids.push(
                cx.set_timeout(Duration::from_micros((i % 8) as u64 * 1000), move |_| {
                    f.lock().unwrap().push(i)
                }),
            );
        }
        for (i, id) in ids.iter().enumerate() {
            if i % 3 == 0 {
                assert!(cx.clear_timer(*id));
            }
        }
        let h = cx.handle();
        cx.set_timeout(ms(20), move |_| h.shutdown());
    });
    let mut got = fired.lock().unwrap().clone();
    got.sort_unstable();
    let want: Vec<usize> = (0..n).filter(|i| i % 3 != 0).collect();
    assert_eq!(got, want);
    assert_eq!(stats.timers_fired as usize, want.len() + 1);
}

#[test]
fn interval_repeats_until_it_clears_itself() {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let stats = run_loop(move |cx| {
        let id = Rc::new(Cell::new(None));
        let id2 = id.clone();
        let t = cx.set_interval(ms(2), move |cx| {
            let n = c.fetch_add(1, Ordering::Relaxed) + 1;
            if n == 3 {
                assert!(cx.clear_timer(id2.get().unwrap()), "interval clears itself");
                let h = cx.handle();
                cx.set_timeout(ms(10), move |_| h.shutdown());
            }
        });
        id.set(Some(t));
    });
    assert_eq!(count.load(Ordering::Relaxed), 3);
    assert_eq!(stats.timers_fired, 4);
}

#[test]
fn deeply_nested_zero_delay_timers_are_clamped() {
    // A timer that reschedules itself with no delay: past the nesting limit each hop
    // waits at least NESTED_MIN_DELAY, so in a fixed window it runs a bounded number of
    // times instead of spinning the loop.
    let window = ms(if cfg!(miri) { 300 } else { 60 });
    let result = Arc::new(std::sync::Mutex::new((0u32, Duration::ZERO)));
    let r = result.clone();
    run_loop(move |cx| {
        fn hop(
            cx: &mut Cx,
            hops: Rc<Cell<u32>>,
            start: Instant,
            window: Duration,
            r: Arc<std::sync::Mutex<(u32, Duration)>>,
        ) {
            hops.set(hops.get() + 1);
            if start.elapsed() >= window {
                *r.lock().unwrap() = (hops.get(), start.elapsed());
                cx.handle().shutdown();
                return;
            }
            cx.set_timeout(Duration::ZERO, move |cx| hop(cx, hops, start, window, r));
        }
        let (hops, start) = (Rc::new(Cell::new(0u32)), Instant::now());
        cx.set_timeout(Duration::ZERO, move |cx| hop(cx, hops, start, window, r));
    });
    let (n, elapsed) = *result.lock().unwrap();
    let bound = (elapsed.as_micros() / NESTED_MIN_DELAY.as_micros()) as u32 + 6;
    assert!(n >= 6, "ran past the nesting limit ({n} hops)");
    assert!(
        n <= bound,
        "{n} hops in {elapsed:?}: the clamp did not apply (bound {bound})"
    );
}

#[test]
fn a_self_rescheduling_timer_does_not_starve_tasks() {
    // A zero-delay chain kept alive by the loop itself, and a task submitted from another
    // thread once the chain is running (the producer waits for it, so the test does not
    // depend on how fast the loop starts: under emulation that can take longer than any
    // fixed sleep). The task must run while the chain is still going; if it is starved,
    // the chain gives up after a bound and the test fails instead of hanging.
    const HOPS_BEFORE_SUBMIT: u64 = 3;
    const GIVE_UP_AFTER: u64 = 5_000; // hops after the submit; clamped to >= 1 ms each
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let task_ran = Arc::new(AtomicBool::new(false));
    let hops = Arc::new(AtomicU64::new(0));
    let submitted_at = Arc::new(AtomicU64::new(u64::MAX));
    let starved = Rc::new(Cell::new(false));
    let (tr, hp, sa, st) = (
        task_ran.clone(),
        hops.clone(),
        submitted_at.clone(),
        starved.clone(),
    );
    el.cx().set_timeout(Duration::ZERO, move |cx| {
        struct Chain {
            tr: Arc<AtomicBool>,
            hops: Arc<AtomicU64>,
            submitted_at: Arc<AtomicU64>,
            starved: Rc<Cell<bool>>,
        }
        fn again(cx: &mut Cx, c: Chain) {
            let n = c.hops.fetch_add(1, Ordering::SeqCst) + 1;
            if c.tr.load(Ordering::SeqCst) {
                cx.handle().shutdown();
            } else if n > c
                .submitted_at
                .load(Ordering::SeqCst)
                .saturating_add(GIVE_UP_AFTER)
            {
                c.starved.set(true);
                cx.handle().shutdown();
            } else {
                // Immediate microtask + zero-delay timer: the hardest case.
                cx.queue_microtask(|_| {});
                cx.set_timeout(Duration::ZERO, move |cx| again(cx, c));
            }
        }
        again(
            cx,
            Chain {
                tr,
                hops: hp,
                submitted_at: sa,
                starved: st,
            },
        );
    });
    let producer = std::thread::spawn(move || {
        while hops.load(Ordering::SeqCst) < HOPS_BEFORE_SUBMIT {
            std::thread::sleep(ms(1));
        }
        submitted_at.store(hops.load(Ordering::SeqCst), Ordering::SeqCst);
        let t = task_ran.clone();
        h.submit(move |_| t.store(true, Ordering::SeqCst)).unwrap();
        task_ran
    });
    el.run().unwrap();
    let task_ran = producer.join().unwrap();
    assert!(
        !starved.get(),
        "the task did not run within {GIVE_UP_AFTER} timer hops of its submit"
    );
    assert!(task_ran.load(Ordering::SeqCst));
}

/// Deadlines count from the tick's cached clock (libuv's `uv_now`), not from the call:
/// after a task has run for 15 ms, a 5 ms timeout is due before a 10 ms one set at the
/// tick's start. With a fresh clock read per call the order would be the reverse.
#[test]
#[cfg_attr(
    miri,
    ignore = "busy-waits 15 ms of clock; Miri's clock advances per executed step"
)]
fn deadlines_count_from_the_tick_clock() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = order.clone();
    run_loop(move |cx| {
        let (o1, o2) = (o.clone(), o.clone());
        let start = Instant::now();
        cx.set_timeout(unit(10), move |_| o1.lock().unwrap().push("10"));
        while start.elapsed() < unit(15) {
            std::hint::spin_loop();
        }
        cx.set_timeout(unit(5), move |_| o2.lock().unwrap().push("5"));
        let h = cx.handle();
        cx.set_timeout(unit(30), move |_| h.shutdown());
    });
    assert_eq!(*order.lock().unwrap(), ["5", "10"]);
}
