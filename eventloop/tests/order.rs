//! Order across producer threads: a task submitted after another thread's submit that
//! happened before it (here: the other thread submitted, then handed a baton over with
//! Release, and this thread took it with Acquire before submitting) runs after it, with
//! any number of submit shards. Checked by counting, never by timing: every task knows
//! its place in the chain of submits and the loop counts the tasks that ran out of place.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use common::scale;
use eventloop::{Config, Cx, EventLoop, Handle};

/// Threads in the chain: more than the most shards, so the chain crosses shards whatever
/// slots the threads were given (threads are numbered on their first submit, process-wide,
/// round robin over the shards).
const THREADS: u64 = 8;

/// Waits for `cond`, spinning a little, then yielding (the chain's threads share 2 cores).
fn wait_for(cond: impl Fn() -> bool) {
    let mut n = 0u32;
    while !cond() {
        if n < 64 {
            std::hint::spin_loop();
            n += 1;
        } else {
            thread::yield_now();
        }
    }
}

/// What the loop thread checks: the next place in the chain it expects, and how many
/// tasks ran out of place. Only the loop thread touches them.
#[derive(Default)]
struct Seen {
    next: AtomicU64,
    out_of_place: AtomicU64,
}

fn check(seen: &Seen, place: u64) {
    // Relaxed: only the loop thread reads and writes these.
    if seen.next.load(Ordering::Relaxed) != place {
        seen.out_of_place.fetch_add(1, Ordering::Relaxed);
    }
    seen.next.store(place + 1, Ordering::Relaxed);
}

/// `THREADS` threads submit tasks 0, 1, 2, ... in turn, each submit happening after the
/// one before it (a baton: Release after the submit, Acquire before the next one). With
/// `gate`, each round of `THREADS` submits is queued while the loop is held in a task,
/// so a whole round is in the queue when the loop takes it (this is what exposes running
/// the shards one after the other); without, the loop runs concurrently with the chain
/// (this exposes a task taken before one that happened before it is visible).
fn chain(shards: usize, rounds: u64, gate: bool) -> (u64, u64) {
    let mut el = EventLoop::with_config(Config {
        submit_shards: shards,
        ..Config::default()
    })
    .unwrap();
    let h = el.handle();
    let seen = Arc::new(Seen::default());
    let baton = Arc::new(AtomicU64::new(0));
    let total = rounds * THREADS;
    let held = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..THREADS)
        .map(|k| {
            let (h, seen, baton, held) = (h.clone(), seen.clone(), baton.clone(), held.clone());
            thread::spawn(move || {
                for place in (k..total).step_by(THREADS as usize) {
                    // Acquire: pairs with the Release store of the thread before us, so
                    // its submit happened before ours.
                    wait_for(|| baton.load(Ordering::Acquire) == place);
                    if gate && k == 0 {
                        // The first of a round holds the loop until the round is queued.
                        let held = held.clone();
                        held.store(true, Ordering::Relaxed);
                        submit(&h, move |_| wait_for(|| !held.load(Ordering::Acquire)));
                    }
                    let s = seen.clone();
                    submit(&h, move |_| check(&s, place));
                    if gate && k == THREADS - 1 {
                        // Release: the round's submits happen before the loop goes on.
                        held.store(false, Ordering::Release);
                    }
                    // Release: our submit happens before the next thread's.
                    baton.store(place + 1, Ordering::Release);
                }
            })
        })
        .collect();
    let stopper = {
        let h = h.clone();
        thread::spawn(move || {
            for t in threads {
                t.join().unwrap();
            }
            h.shutdown();
        })
    };
    el.run().unwrap();
    stopper.join().unwrap();
    let s = h.stats();
    let gates = if gate { rounds } else { 0 };
    assert_eq!(s.submitted, total + gates);
    assert_eq!(s.executed, total + gates, "submitted == executed");
    assert!(el.take_unrun().tasks.is_empty());
    (
        seen.out_of_place.load(Ordering::Relaxed),
        seen.next.load(Ordering::Relaxed),
    )
}

fn submit(h: &Handle, f: impl FnOnce(&mut Cx) + Send + 'static) {
    assert!(h.submit(f).is_ok(), "rejected before shutdown");
}

fn assert_in_order(shards: usize, gate: bool) {
    let rounds = scale(if gate { 150 } else { 1_000 }, 2) as u64;
    let (out_of_place, next) = chain(shards, rounds, gate);
    assert_eq!(
        out_of_place, 0,
        "{shards} shards: tasks ran before one that was submitted before them"
    );
    assert_eq!(next, rounds * THREADS, "the last task ran last");
}

#[test]
fn chained_submits_run_in_order_on_one_shard() {
    assert_in_order(1, true);
    assert_in_order(1, false);
}

#[test]
fn chained_submits_run_in_order_on_two_shards_with_the_loop_held() {
    assert_in_order(2, true);
}

#[test]
fn chained_submits_run_in_order_on_four_shards_with_the_loop_held() {
    assert_in_order(4, true);
}

#[test]
fn chained_submits_run_in_order_on_four_shards_with_the_loop_running() {
    assert_in_order(4, false);
}

#[test]
fn chained_submits_run_in_order_on_three_shards_with_the_loop_running() {
    assert_in_order(3, false);
}

/// An immediate stop hands back what did not run in ticket order: submitted again to
/// another loop, the chain still runs in order.
#[test]
fn tasks_handed_back_by_an_immediate_stop_keep_the_chain_order() {
    let per = scale(100, 2) as u64;
    let total = per * THREADS;
    for shards in [2, 4] {
        let mut el = EventLoop::with_config(Config {
            submit_shards: shards,
            ..Config::default()
        })
        .unwrap();
        let h = el.handle();
        let seen = Arc::new(Seen::default());
        let baton = Arc::new(AtomicU64::new(0));
        // The chain is queued before the loop runs; its first task stops the loop.
        let threads: Vec<_> = (0..THREADS)
            .map(|k| {
                let (h, seen, baton) = (h.clone(), seen.clone(), baton.clone());
                thread::spawn(move || {
                    for place in (k..total).step_by(THREADS as usize) {
                        // Acquire / Release: as in `chain`.
                        wait_for(|| baton.load(Ordering::Acquire) == place);
                        let s = seen.clone();
                        submit(&h, move |cx| {
                            check(&s, place);
                            if place == 0 {
                                cx.stop_now();
                            }
                        });
                        baton.store(place + 1, Ordering::Release);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        el.run().unwrap();
        let unrun = el.take_unrun().tasks;
        assert_eq!(
            unrun.len() as u64,
            total - 1,
            "ran + handed back == accepted"
        );
        let mut other = EventLoop::new().unwrap();
        let h2 = other.handle();
        for t in unrun {
            h2.submit_task(t).unwrap();
        }
        h2.shutdown();
        other.run().unwrap();
        assert_eq!(
            seen.out_of_place.load(Ordering::Relaxed),
            0,
            "{shards} shards"
        );
        assert_eq!(seen.next.load(Ordering::Relaxed), total);
    }
}
