//! The event loop under test, seen through the same `Peer` interface as the others, plus
//! the loop-thread-only workloads (microtasks, timers) that have no cross-thread peer.

use std::cell::RefCell;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eventloop::{Config, Cx, EventLoop, Handle, TimerId, Unrun};

use super::microtasks::ticks::tick;
use super::microtasks::{FAN, ticks};
use super::peers::{Peer, Submitter};
use super::timers::Spread;

pub struct EventLoopPeer {
    handle: Handle,
    join: LoopThread,
}

impl Submitter for Handle {
    #[inline]
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F) {
        if Handle::submit(self, move |_: &mut Cx| f()).is_err() {
            panic!("event loop rejected a task while running");
        }
    }
}

type LoopThread = JoinHandle<std::io::Result<Unrun>>;

fn start_loop() -> (Handle, LoopThread) {
    EventLoop::spawn(Config::default()).expect("start the event loop thread")
}

fn stop_loop(handle: &Handle, join: LoopThread) {
    handle.shutdown();
    let unrun = join.join().expect("loop thread").expect("event loop run");
    assert!(
        unrun.tasks.is_empty(),
        "graceful shutdown runs every accepted task"
    );
    let stats = handle.stats();
    assert_eq!(stats.submitted, stats.executed, "every accepted task ran");
}

/// The loop's counters, for the wakeup report.
pub fn stats_line(handle: &Handle) -> String {
    let s = handle.stats();
    format!(
        "submitted {} executed {} sleeps {} wakeups: user-space {} poller {}",
        s.submitted, s.executed, s.sleeps, s.wakeups_user_space, s.wakeups_poller
    )
}

impl Peer for EventLoopPeer {
    const NAME: &'static str = "eventloop";
    type S = Handle;
    fn start() -> Self {
        let (handle, join) = start_loop();
        Self { handle, join }
    }
    fn submitter(&self) -> Self::S {
        self.handle.clone()
    }
    fn stop(self) {
        stop_loop(&self.handle, self.join);
    }
    fn describe(&self) -> Option<String> {
        Some(stats_line(&self.handle))
    }
    fn sleeps(&self) -> Option<u64> {
        Some(self.handle.stats().sleeps)
    }
}

/// The event loop with its submit queue in `N` shards (`Config::submit_shards`; ordered
/// across threads like one shard), measured next to the default.
pub struct EventLoopSharded<const N: usize>(EventLoopPeer);

impl<const N: usize> Peer for EventLoopSharded<N> {
    const NAME: &'static str = match N {
        2 => "eventloop_2shards",
        3 => "eventloop_3shards",
        _ => "eventloop_4shards",
    };
    type S = Handle;
    fn start() -> Self {
        let cfg = Config {
            submit_shards: N,
            ..Config::default()
        };
        let (handle, join) = EventLoop::spawn(cfg).expect("start the event loop thread");
        Self(EventLoopPeer { handle, join })
    }
    fn submitter(&self) -> Self::S {
        self.0.submitter()
    }
    fn stop(self) {
        self.0.stop();
    }
    fn describe(&self) -> Option<String> {
        self.0.describe()
    }
    fn sleeps(&self) -> Option<u64> {
        self.0.sleeps()
    }
}

/// Runs `work` on the loop thread and returns the duration it measured there.
///
/// The bench thread blocks (it does not spin) while it waits: the timing is taken on the
/// loop thread, and a spinning waiter would only take a vCPU away from the loop.
fn on_loop(handle: &Handle, work: impl FnOnce(&mut Cx) -> Duration + Send + 'static) -> Duration {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let ok = handle
        .submit(move |cx: &mut Cx| {
            let d = work(cx);
            // The receiver waits for exactly this message.
            let _ = tx.send(d);
        })
        .is_ok();
    assert!(ok, "event loop accepts bench work");
    rx.recv().expect("the loop thread replies")
}

// ---- microtasks ------------------------------------------------------------------------

pub struct Microtasks {
    handle: Handle,
    join: LoopThread,
}

fn chain(cx: &mut Cx, left: u64) {
    tick();
    if left > 1 {
        cx.queue_microtask(move |cx: &mut Cx| chain(cx, left - 1));
    }
}

fn fan(cx: &mut Cx, left: u64) {
    tick();
    let leaves = (left - 1).min(FAN - 1);
    for _ in 0..leaves {
        cx.queue_microtask(|_: &mut Cx| tick());
    }
    let rest = left - 1 - leaves;
    if rest > 0 {
        cx.queue_microtask(move |cx: &mut Cx| fan(cx, rest));
    }
}

impl Microtasks {
    pub fn start() -> Self {
        let (handle, join) = start_loop();
        Self { handle, join }
    }

    /// Runs `iters` microtasks on the loop thread (one chain, or fan-outs of 256) and
    /// returns the time from the first to the last one having run (read by a second task,
    /// which runs after them: microtasks run before the next task).
    pub fn run(&self, iters: u64, fanout: bool) -> Duration {
        let ok = self
            .handle
            .submit(move |cx: &mut Cx| {
                ticks::arm(iters);
                if fanout {
                    fan(cx, iters);
                } else {
                    chain(cx, iters);
                }
            })
            .is_ok();
        assert!(ok, "event loop accepts bench work");
        on_loop(&self.handle, move |_| ticks::elapsed(iters))
    }

    pub fn stop(self) {
        stop_loop(&self.handle, self.join);
    }
}

// ---- timers ----------------------------------------------------------------------------

pub struct Timers {
    handle: Handle,
    join: LoopThread,
}

thread_local! {
    static HELD: RefCell<Vec<TimerId>> = const { RefCell::new(Vec::new()) };
    static SPREAD: RefCell<Option<Spread>> = const { RefCell::new(None) };
}

impl Timers {
    /// Starts a loop with `pending` long timers already scheduled.
    pub fn start(pending: usize) -> Self {
        let (handle, join) = start_loop();
        on_loop(&handle, move |cx| {
            let mut spread = Spread::new();
            HELD.with(|h| {
                let mut h = h.borrow_mut();
                for _ in 0..pending {
                    h.push(cx.set_timeout(spread.next(), |_: &mut Cx| {}));
                }
            });
            SPREAD.with(|s| *s.borrow_mut() = Some(spread));
            Duration::ZERO
        });
        Self { handle, join }
    }

    /// Schedules and cancels `iters` timers on the loop thread; returns the time taken.
    pub fn run(&self, iters: u64) -> Duration {
        on_loop(&self.handle, move |cx| {
            SPREAD.with(|s| {
                let mut s = s.borrow_mut();
                let spread = s.as_mut().expect("started");
                let t0 = Instant::now();
                for _ in 0..iters {
                    let id = cx.set_timeout(spread.next(), |_: &mut Cx| {});
                    assert!(cx.clear_timer(id), "a pending timer cancels");
                }
                t0.elapsed()
            })
        })
    }

    pub fn stop(self) {
        on_loop(&self.handle, |cx| {
            HELD.with(|h| {
                for id in h.borrow_mut().drain(..) {
                    assert!(cx.clear_timer(id), "held timers are still pending");
                }
            });
            Duration::ZERO
        });
        stop_loop(&self.handle, self.join);
    }
}
