//! Cross-thread submission: conservation, per-producer order, shutdown and hand-back.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use common::{expect, scale, wait_asleep};
use eventloop::{Config, EventLoop, Task};

/// Under Miri a spin of hundreds of iterations outlasts a producer's short sleep (Miri's
/// clock advances with executed steps), so the loop would never get to park.
fn parking_config() -> Config {
    Config {
        spin_before_sleep: if cfg!(miri) {
            0
        } else {
            Config::default().spin_before_sleep
        },
        ..Config::default()
    }
}

#[test]
fn ten_producers_submitted_equals_executed() {
    ten_producers(Config::default());
}

#[test]
fn ten_producers_on_four_shards_keep_their_order_and_lose_nothing() {
    ten_producers(Config {
        submit_shards: 4,
        ..Config::default()
    });
}

fn ten_producers(cfg: Config) {
    const PRODUCERS: usize = 10;
    let per = scale(100_000, 50);
    let mut el = EventLoop::with_config(cfg).unwrap();
    let h = el.handle();
    let next: Arc<Vec<AtomicU64>> = Arc::new((0..PRODUCERS).map(|_| AtomicU64::new(0)).collect());
    let out_of_order = Arc::new(AtomicU64::new(0));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (h, next, bad) = (h.clone(), next.clone(), out_of_order.clone());
            thread::spawn(move || {
                for i in 0..per as u64 {
                    let (next, bad) = (next.clone(), bad.clone());
                    let r = h.submit(move |_| {
                        // Only the loop thread touches these: Relaxed is enough.
                        if next[p].load(Ordering::Relaxed) != i {
                            bad.fetch_add(1, Ordering::Relaxed);
                        }
                        next[p].store(i + 1, Ordering::Relaxed);
                    });
                    assert!(r.is_ok(), "rejected before shutdown");
                }
            })
        })
        .collect();
    let stopper = {
        let h = h.clone();
        thread::spawn(move || {
            for p in producers {
                p.join().unwrap();
            }
            h.shutdown();
        })
    };
    el.run().unwrap();
    stopper.join().unwrap();
    let s = h.stats();
    let total = (PRODUCERS * per) as u64;
    assert_eq!(s.submitted, total);
    assert_eq!(s.executed, total, "submitted == executed");
    assert_eq!(
        out_of_order.load(Ordering::Relaxed),
        0,
        "per-producer order"
    );
    for n in next.iter() {
        assert_eq!(n.load(Ordering::Relaxed), per as u64);
    }
    assert!(el.take_unrun().tasks.is_empty());
    assert!(h.is_terminated());
}

/// Counts drops, so the test sees every closure dropped exactly once (run or not).
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn graceful_shutdown_racing_producers_loses_nothing() {
    graceful_shutdown_racing_producers(Config::default());
}

#[test]
fn graceful_shutdown_racing_producers_on_three_shards_loses_nothing() {
    graceful_shutdown_racing_producers(Config {
        submit_shards: 3,
        ..Config::default()
    });
}

fn graceful_shutdown_racing_producers(cfg: Config) {
    const PRODUCERS: usize = 4;
    // Producers submit until they are refused; shutdown lands once this many went in.
    let threshold = scale(40_000, 40);
    let mut el = EventLoop::with_config(cfg).unwrap();
    let h = el.handle();
    let ran = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let twice = Arc::new(AtomicUsize::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (h, ran, twice, drops, started) = (
                h.clone(),
                ran.clone(),
                twice.clone(),
                drops.clone(),
                started.clone(),
            );
            thread::spawn(move || {
                let (mut accepted, mut rejected) = (0usize, 0usize);
                let make = |id: usize| {
                    let (ran, twice, guard) =
                        (ran.clone(), twice.clone(), DropCount(drops.clone()));
                    move |_: &mut eventloop::Cx| {
                        let _guard = guard;
                        if !ran.lock().unwrap().insert(id) {
                            twice.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                };
                for i in 0.. {
                    match h.submit(make(p << 32 | i)) {
                        Ok(()) => accepted += 1,
                        Err(back) => {
                            rejected += 1;
                            drop(back.into_inner());
                            break;
                        }
                    }
                    started.fetch_add(1, Ordering::Relaxed);
                }
                // Once refused, always refused.
                for i in 0..10 {
                    assert!(h.submit(make(usize::MAX - i)).is_err());
                    rejected += 1;
                }
                (accepted, rejected)
            })
        })
        .collect();
    let stopper = {
        let (h, started) = (h.clone(), started.clone());
        thread::spawn(move || {
            while started.load(Ordering::Relaxed) < threshold {
                thread::yield_now();
            }
            h.shutdown();
        })
    };
    el.run().unwrap();
    stopper.join().unwrap();
    let (mut accepted, mut rejected) = (0, 0);
    for p in producers {
        let (a, r) = p.join().unwrap();
        accepted += a;
        rejected += r;
    }
    assert!(accepted >= threshold);
    assert_eq!(rejected, PRODUCERS * 11);
    assert_eq!(twice.load(Ordering::Relaxed), 0, "nothing ran twice");
    assert_eq!(
        ran.lock().unwrap().len(),
        accepted,
        "every accepted task ran"
    );
    assert_eq!(h.stats().executed as usize, accepted);
    assert_eq!(h.stats().submitted as usize, accepted);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        accepted + rejected,
        "every closure dropped once"
    );
}

#[test]
fn stop_now_from_a_task_hands_back_the_rest() {
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..100 {
        let ran = ran.clone();
        h.submit(move |cx| {
            ran.fetch_add(1, Ordering::Relaxed);
            if i == 9 {
                cx.queue_microtask(|_| unreachable!("no microtask after stop_now"));
                cx.stop_now();
            }
        })
        .unwrap();
    }
    el.run().unwrap();
    assert_eq!(ran.load(Ordering::Relaxed), 10);
    let unrun = el.take_unrun();
    assert_eq!(unrun.tasks.len(), 90);
    assert_eq!(unrun.microtasks, 1);
    assert!(h.submit(|_| {}).is_err(), "stopped loop rejects");
    let s = h.stats();
    assert_eq!((s.submitted, s.executed), (100, 10));

    // The handed-back tasks run on another loop, in their original order.
    let mut other = EventLoop::new().unwrap();
    let h2 = other.handle();
    for t in unrun.tasks {
        h2.submit_task(t).unwrap();
    }
    h2.shutdown();
    other.run().unwrap();
    assert_eq!(ran.load(Ordering::Relaxed), 100);
}

#[test]
fn stop_now_hands_back_what_every_shard_held() {
    let mut el = EventLoop::with_config(Config {
        submit_shards: 4,
        ..Config::default()
    })
    .unwrap();
    let h = el.handle();
    let ran = Arc::new(AtomicUsize::new(0));
    // Four threads (so, with round-robin assignment, several shards) queue 50 each
    // before the loop runs; the first task to run stops the loop.
    for _ in 0..4 {
        let (h, ran) = (h.clone(), ran.clone());
        thread::spawn(move || {
            for _ in 0..50 {
                let ran = ran.clone();
                h.submit(move |cx| {
                    if ran.fetch_add(1, Ordering::Relaxed) == 0 {
                        cx.stop_now();
                    }
                })
                .unwrap();
            }
        })
        .join()
        .unwrap();
    }
    el.run().unwrap();
    let unrun = el.take_unrun().tasks.len();
    assert_eq!(ran.load(Ordering::Relaxed), 1);
    assert_eq!(unrun, 199, "ran + handed back == accepted");
    let s = h.stats();
    assert_eq!((s.submitted, s.executed), (200, 1));
}

#[test]
fn shutdown_now_racing_producers_runs_or_hands_back_each_task_once() {
    let attempts = scale(20_000, 30);
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let ran = Arc::new(AtomicUsize::new(0));
    let producer = {
        let (h, ran) = (h.clone(), ran.clone());
        thread::spawn(move || {
            let mut accepted = 0;
            for _ in 0..attempts {
                let ran = ran.clone();
                if h.submit(move |_| {
                    ran.fetch_add(1, Ordering::Relaxed);
                })
                .is_ok()
                {
                    accepted += 1;
                }
                if accepted == attempts / 2 {
                    h.shutdown_now();
                }
            }
            accepted
        })
    };
    el.run().unwrap();
    let accepted = producer.join().unwrap();
    let unrun = el.take_unrun().tasks.len();
    assert_eq!(
        accepted,
        attempts / 2,
        "nothing accepted after shutdown_now"
    );
    assert_eq!(
        ran.load(Ordering::Relaxed) + unrun,
        accepted,
        "ran + handed back == accepted"
    );
}

#[test]
fn rejected_after_shutdown_hands_the_closure_back() {
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    h.shutdown();
    let marker = Arc::new(());
    let m = marker.clone();
    let back = h.submit(move |_| drop(m)).unwrap_err();
    assert_eq!(
        Arc::strong_count(&marker),
        2,
        "closure alive inside Rejected"
    );
    let f = back.into_inner();
    drop(f);
    assert_eq!(Arc::strong_count(&marker), 1);
    el.run().unwrap();
    assert_eq!(h.stats().executed, 0);
}

#[test]
fn large_closures_are_boxed_and_still_run() {
    let big = [7u64; 32];
    assert!(!Task::is_inline::<[u64; 32]>());
    assert!(Task::is_inline::<(u64, Arc<()>, usize)>());
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let sum = Arc::new(AtomicU64::new(0));
    let s = sum.clone();
    h.submit(move |cx| {
        s.fetch_add(big.iter().sum::<u64>(), Ordering::Relaxed);
        cx.handle().shutdown();
    })
    .unwrap();
    el.run().unwrap();
    assert_eq!(sum.load(Ordering::Relaxed), 7 * 32);
}

#[test]
fn sleeping_loop_is_woken_in_user_space_once_per_sleep() {
    let (h, join) = EventLoop::spawn(parking_config()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let rounds = scale(50, 3);
    for _ in 0..rounds {
        // Let the loop spin out and park.
        wait_asleep(&h);
        let tx = tx.clone();
        h.submit(move |_| tx.send(()).unwrap()).unwrap();
        expect(&rx, "parked loop ran the task");
    }
    h.shutdown();
    let unrun = join.join().unwrap().unwrap();
    assert!(unrun.tasks.is_empty());
    let s = h.stats();
    assert!(
        s.wakeups_user_space >= 1,
        "the loop slept and was unparked: {s:?}"
    );
    assert!(
        s.wakeups_user_space <= rounds as u64 + 1,
        "at most one wake per sleep (+1 for shutdown): {s:?}"
    );
    assert_eq!(s.wakeups_poller, 0, "no I/O source, no poller wakeups");
}

#[test]
fn many_producers_wake_a_parked_loop_at_most_once_per_sleep() {
    let producers = if cfg!(miri) { 3 } else { 8 };
    let (h, join) = EventLoop::spawn(parking_config()).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let rounds = scale(20, 2);
    for _ in 0..rounds {
        wait_asleep(&h);
        let before = h.stats().executed;
        let barrier = Arc::new(std::sync::Barrier::new(producers));
        let ts: Vec<_> = (0..producers)
            .map(|_| {
                let (h, b, done) = (h.clone(), barrier.clone(), done.clone());
                thread::spawn(move || {
                    b.wait();
                    h.submit(move |_| {
                        done.fetch_add(1, Ordering::Relaxed);
                    })
                    .unwrap();
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        while h.stats().executed < before + producers as u64 {
            thread::yield_now();
        }
    }
    h.shutdown();
    join.join().unwrap().unwrap();
    let s = h.stats();
    assert_eq!(done.load(Ordering::Relaxed), producers * rounds);
    assert!(
        s.sleeps >= rounds as u64,
        "the loop slept between rounds: {s:?}"
    );
    assert!(
        s.wakeups_user_space <= s.sleeps,
        "more wakeups than sleeps: producers were not deduplicated: {s:?}"
    );
}

#[test]
fn batch_wait_never_delays_a_producer_that_waits_for_each_result() {
    // A wait this long would fail the test if it ever applied: with one producer that
    // waits for each task, at most one task is ever queued.
    let cfg = Config {
        batch_wait: std::time::Duration::from_secs(3600),
        ..Config::default()
    };
    let (h, join) = EventLoop::spawn(cfg).unwrap();
    let start = std::time::Instant::now();
    for i in 0..scale(2_000, 20) {
        let (tx, rx) = std::sync::mpsc::channel();
        h.submit(move |_| tx.send(i).unwrap()).unwrap();
        assert_eq!(expect(&rx, "round trip"), i);
    }
    assert!(start.elapsed() < common::PATIENCE);
    h.shutdown();
    join.join().unwrap().unwrap();
}

#[test]
fn batch_wait_while_streaming_keeps_order_and_loses_nothing() {
    let n = scale(200_000, 200) as u64;
    let cfg = Config {
        batch_wait: std::time::Duration::from_micros(50),
        ..Config::default()
    };
    let (h, join) = EventLoop::spawn(cfg).unwrap();
    let next = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    for i in 0..n {
        let (next, bad) = (next.clone(), bad.clone());
        h.submit(move |_| {
            // Only the loop thread touches these: Relaxed is enough.
            if next.load(Ordering::Relaxed) != i {
                bad.fetch_add(1, Ordering::Relaxed);
            }
            next.store(i + 1, Ordering::Relaxed);
        })
        .unwrap();
    }
    h.shutdown();
    join.join().unwrap().unwrap();
    let s = h.stats();
    assert_eq!((s.submitted, s.executed), (n, n));
    assert_eq!(next.load(Ordering::Relaxed), n);
    assert_eq!(bad.load(Ordering::Relaxed), 0, "tasks ran out of order");
    assert!(
        (1..=n).contains(&s.batches),
        "batches {} for {n} tasks",
        s.batches
    );
}
