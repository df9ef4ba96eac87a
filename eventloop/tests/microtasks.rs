//! Microtasks: ordering relative to tasks, and the ring overflow under a burst.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use common::scale;
use eventloop::{Config, Cx, EventLoop};

#[test]
fn microtasks_run_before_the_next_task() {
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    h.submit(move |cx| {
        l.lock().unwrap().push("task a");
        let l2 = l.clone();
        cx.queue_microtask(move |cx| {
            l2.lock().unwrap().push("micro 1");
            let l3 = l2.clone();
            cx.queue_microtask(move |_| l3.lock().unwrap().push("micro 2"));
        });
    })
    .unwrap();
    let l = log.clone();
    h.submit(move |cx| {
        l.lock().unwrap().push("task b");
        cx.handle().shutdown();
    })
    .unwrap();
    el.run().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["task a", "micro 1", "micro 2", "task b"]
    );
}

#[test]
fn burst_overflows_the_ring_in_order_and_counts() {
    let burst = scale(10_000, 100);
    let cap = 16;
    let mut el = EventLoop::with_config(Config {
        microtask_capacity: cap,
        ..Config::default()
    })
    .unwrap();
    let h = el.handle();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    h.submit(move |cx: &mut Cx| {
        // Rc: microtasks are loop-local and need not be Send.
        let local = Rc::new(RefCell::new(Vec::with_capacity(burst)));
        for i in 0..burst {
            let local = local.clone();
            cx.queue_microtask(move |_| local.borrow_mut().push(i));
        }
        assert_eq!(cx.pending_microtasks(), burst, "nothing dropped");
        let s = s.clone();
        cx.queue_microtask(move |cx| {
            *s.lock().unwrap() = local.borrow().clone();
            cx.handle().shutdown();
        });
    })
    .unwrap();
    el.run().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), burst);
    assert!(
        seen.iter().copied().eq(0..burst),
        "FIFO across ring and overflow"
    );
    // `cap` fit in the ring; the rest of the burst and the final microtask spilled.
    assert_eq!(h.stats().microtasks_overflowed, (burst + 1 - cap) as u64);
}
