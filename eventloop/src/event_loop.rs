//! `EventLoop` (the loop thread's side), `Handle` (any thread), `Cx` (what tasks get) and
//! `Loop`, the part they share.

use std::io;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use layout::CacheLayout;
use mio::Interest;
use mio::event::{Event, Source};

use crate::LineBreak;
use crate::io::{Io, IoToken, PollWake, WAKE_TOKEN};
use crate::microtask::MicrotaskQueue;
use crate::state::{FastState, SleepDecision, TERMINATING, Tier};
use crate::submit::{Lane, MAX_SHARDS, Sharded, merge_below, thread_shard};

thread_local! {
    /// This thread's last ordered push: (loop id, its ticket), so its next push to the
    /// same loop can reuse the ticket (see `Sharded`). Loop ids start at 1.
    static LAST_TICKET: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A number no other loop of this process has: keys `LAST_TICKET` (an address could be
/// reused by a later loop, whose counter starts again at 0).
fn new_loop_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    // Relaxed: only uniqueness matters.
    NEXT.fetch_add(1, Ordering::Relaxed)
}
use crate::sync::thread::Parker;
use crate::sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::task::{RawTask, Rejected, Task, TaskBuf};
use crate::timer::{Callback, TimerId, Timers};

/// Timers nested deeper than this (a timer scheduled from a timer callback, from a timer
/// callback, ...) get at least [`NESTED_MIN_DELAY`], as HTML clamps nested timeouts.
pub const MAX_TIMER_NESTING: u32 = 5;
/// The clamp for deeply nested timers and the shortest interval period.
pub const NESTED_MIN_DELAY: Duration = Duration::from_millis(1);

/// Batch capacity kept after a burst (64 Ki one-pointer closures).
const BATCH_KEEP_BYTES: usize = 1 << 20;
/// Batches in a row with fewer than [`SMALL_BATCH`] tasks before the loop gives back
/// batch capacity above [`BATCH_KEEP_BYTES`]. A stream that keeps the batches large keeps
/// its buffers: giving them back after every large batch made the producers grow them
/// again from fresh memory each time (with ten producers under mimalloc, a sixth of the
/// benchmark's samples were the kernel clearing those pages). Once the stream has ended,
/// the burst's memory goes back after this many small batches.
const QUIET_BATCHES: u32 = 16;
/// A sleep whose work came back sooner than this counts as "work came back soon": the
/// loop doubles its idle spin (up to `Config::spin_before_sleep`); a later one halves it.
/// "Came back" is when the producer that woke the loop submitted, not when the loop ran
/// again: the loop's own wakeup latency (the host's, on a VM) says nothing about the
/// workload and must not shrink the spin.
pub const SHORT_SLEEP: Duration = Duration::from_micros(200);
/// The adaptive idle spin never goes below this many checks.
const MIN_SPIN: u32 = 16;

/// Batches smaller than this, with more tasks already queued, wait for the stream to fill
/// the next one (see `EventLoop::wait_for_stream`).
const SMALL_BATCH: usize = 32;

/// Loop settings; `Config::default()` suits most uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Slots in the microtask ring (rounded up to a power of two); more microtasks than
    /// this spill into an overflow queue (counted, and warned about).
    pub microtask_capacity: usize,
    /// Most idle checks of the submit queue (each one `spin_loop` hint apart) before the
    /// loop declares itself asleep: a task arriving during the spin costs no wakeup at
    /// all. The loop adapts below this (as Linux's haltpoll does): a sleep that ended
    /// within [`SHORT_SLEEP`] doubles its spin, a longer one halves it. Both matter on a
    /// VM: on the KVM guest we measure on, a producer that parks until each result
    /// arrives finds a 512-check loop asleep once in ~300 round trips (2048: never), yet
    /// the longer the loop spun before parking, the slower a later wakeup (p50 after
    /// 1 ms asleep: no spin ~6 us, 512 checks ~17 us, 2048 ~56 us).
    pub spin_before_sleep: u32,
    /// mio event buffer size, once an I/O source is registered.
    pub io_events_capacity: usize,
    /// How long the loop lets streaming producers fill the queue before taking the next
    /// batch, when the batch it just ran was small (under 32 tasks) and two or more tasks
    /// were already waiting. Trades at most this much latency, only while tasks stream
    /// in, for fewer lock hand-offs between the producers' cores and the loop's (one
    /// producer on a Zen 5: ~60 -> ~25 ns per task). `Duration::ZERO` takes every batch
    /// at once.
    pub batch_wait: Duration,
    /// Submit-queue shards, 1 to 4 (clamped; default 1). Whatever the count, a task
    /// submitted after another thread's submit that happened before it runs after it
    /// (and one thread's tasks run in its submission order). With one, every producer
    /// takes the same lock and the lock's order is the run order. With more, each
    /// producer thread always uses the same shard, so a producer preempted while holding
    /// a shard's lock stalls only that shard's producers; each submit also gets a ticket
    /// from one shared counter (under the shard's lock), and the loop runs tasks in
    /// ticket order, holding back for one round any task whose ticket was taken after
    /// the round began. A producer whose last ticket is still the newest reuses it (one
    /// load, no write), so the counter's line moves between cores only when producers
    /// on different shards take turns. The cost on one thread: 176 instead of 125
    /// instructions per submit + run (callgrind, `examples/submit_instructions.rs`).
    /// The default is one because, measured so far (bench/RESULTS.md, "Ordered submit
    /// shards"), more were slower at 1 producer and, in the fast machine mode, at 2 and
    /// 4, and clearly ahead only at 10 producers in the slow mode; try 2-4 when many
    /// producer threads share few cores.
    pub submit_shards: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            microtask_capacity: 1024,
            spin_before_sleep: 2048,
            io_events_capacity: 256,
            batch_wait: Duration::from_nanos(500),
            submit_shards: 1,
        }
    }
}

/// Counters since the loop was created. `executed` is published after each batch, so it
/// can lag `submitted` while the loop runs; after `run` returns they are exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tasks accepted by [`Handle::submit`].
    pub submitted: u64,
    /// Accepted tasks that ran (panicked ones included).
    pub executed: u64,
    /// Microtasks that did not fit in the ring and went to the overflow queue.
    pub microtasks_overflowed: u64,
    /// Wakeups of a parked loop through the user-space tier (unpark).
    pub wakeups_user_space: u64,
    /// Wakeups of a loop sleeping in the OS poller (mio waker).
    pub wakeups_poller: u64,
    /// Timer callbacks run (each interval firing counts).
    pub timers_fired: u64,
    /// Tasks, microtasks, timer and I/O callbacks that panicked (caught; the loop went on).
    pub panics: u64,
    /// I/O sources registered right now.
    pub io_sources: usize,
    /// Batches taken from the submit queue (`executed / batches` is the mean batch size).
    pub batches: u64,
    /// Times the loop declared itself asleep. Wakeups never exceed it: however many
    /// producers race, one sleep is woken at most once.
    pub sleeps: u64,
}

/// What did not run because the loop stopped: see [`EventLoop::take_unrun`].
#[derive(Debug, Default)]
pub struct Unrun {
    /// Submitted tasks that were accepted but not run (immediate stop only).
    pub tasks: Vec<Task>,
    /// Microtasks dropped unrun (immediate stop only).
    pub microtasks: usize,
    /// Timers still pending when the loop stopped (dropped unrun).
    pub timers: usize,
}

/// The shared part of a loop: hot producer-written fields (one line per submit shard), loop-written
/// counters on another, rarely touched fields last, each 128 bytes apart so neither an
/// x86_64 adjacent-line prefetch pair nor an Apple 128-byte line mixes two groups.
#[derive(CacheLayout)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
#[cfg_attr(not(target_arch = "s390x"), layout(size = 1024, align = 128))]
#[cfg_attr(target_arch = "s390x", layout(size = 2048, align = 256))]
pub(crate) struct Loop {
    /// Read by every producer after each submit; written only on sleep/wake/shutdown.
    #[layout(isolated)]
    state: FastState,
    /// Per shard, the submit lock, its batch and the accepted counter, written together
    /// by that shard's producers once per submit; then the ticket counter of ordered
    /// shards on a block of its own (`Sharded`'s own layout keeps them apart).
    #[layout(group = "submit")]
    queue: Sharded<TaskBuf>,
    #[layout(pad)]
    _submit_line: LineBreak,
    /// Loop-thread counters, published once per batch; producers never write them.
    #[layout(group = "loop")]
    executed: AtomicU64,
    #[layout(group = "loop")]
    microtasks_overflowed: AtomicU64,
    #[layout(group = "loop")]
    timers_fired: AtomicU64,
    #[layout(group = "loop")]
    panics: AtomicU64,
    #[layout(group = "loop")]
    io_sources: AtomicUsize,
    #[layout(group = "loop")]
    sleeps: AtomicU64,
    #[layout(group = "loop")]
    batches: AtomicU64,
    #[layout(pad)]
    _loop_line: LineBreak,
    /// Written on shutdown and on wakeups only.
    #[layout(group = "cold")]
    stop_now: AtomicBool,
    #[layout(group = "cold")]
    wakeups_user_space: AtomicU64,
    #[layout(group = "cold")]
    wakeups_poller: AtomicU64,
    #[layout(group = "cold")]
    parker: Parker,
    #[layout(group = "cold")]
    waker: OnceLock<Box<dyn PollWake>>,
    /// When the last producer to wake the loop did so, in ns since `epoch` (0: never):
    /// lets the loop tell how long it was idle apart from how long its wakeup took.
    #[layout(group = "cold")]
    woken_at: AtomicU64,
    #[layout(group = "cold")]
    epoch: Instant,
}

impl core::fmt::Debug for Loop {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Loop")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Loop {
    /// ns since `epoch`, never 0 (0 means "no wake recorded").
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn wake(&self, tier: Tier) {
        // Relaxed: the unpark / poller wake below publishes it to the woken loop (and a
        // stale value only makes one adaptation fall back to the sleep's length).
        self.woken_at.store(self.now_ns(), Ordering::Relaxed);
        match tier {
            Tier::Park => {
                // Relaxed: a statistic.
                self.wakeups_user_space.fetch_add(1, Ordering::Relaxed);
                self.parker.unpark();
            }
            Tier::Poll => {
                // Relaxed: a statistic.
                self.wakeups_poller.fetch_add(1, Ordering::Relaxed);
                // The waker was set before the loop could declare SLEEPING_POLL.
                if let Some(Err(e)) = self.waker.get().map(|w| w.wake()) {
                    log::error!("eventloop: mio waker failed: {e}");
                }
            }
        }
    }

    fn shutdown(&self) {
        self.queue.close();
        if let Some(tier) = self.state.terminate() {
            self.wake(tier);
        }
    }
}

/// Submits work to a loop from any thread. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Loop>,
    /// The loop's shard count (`Config::submit_shards`), kept here so a submit reads
    /// nothing shared to pick its shard.
    shards: usize,
    /// The loop's id (`new_loop_id`), for the ticket reuse of ordered shards.
    id: u64,
}

impl core::fmt::Debug for Handle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Handle")
            .field("loop", &self.shared)
            .finish()
    }
}

impl Handle {
    /// Queues `f` to run on the loop thread. Tasks from one producer run in submission
    /// order, and after any task whose submit happened before this one (on any thread,
    /// with any `Config::submit_shards`). After shutdown the closure is handed back,
    /// unrun, in the `Err`.
    ///
    /// Costs one uncontended lock and no system call while the loop is running; closures
    /// up to [`crate::INLINE_BYTES`] bytes are stored without allocating.
    #[inline]
    pub fn submit<F: FnOnce(&mut Cx) + Send + 'static>(&self, f: F) -> Result<(), Rejected<F>> {
        if Task::is_inline::<F>() {
            self.push(f).map_err(Rejected::new)
        } else {
            // Boxed before the lock is taken; the box itself is stored inline.
            self.push(Box::new(f)).map_err(|b| Rejected::new(*b))
        }
    }

    /// Writes an inline closure straight into the submit queue, then wakes a sleeping
    /// loop.
    #[inline]
    fn push<G: FnOnce(&mut Cx) + Send + 'static>(&self, g: G) -> Result<(), G> {
        let shared = &*self.shared;
        if self.shards == 1 {
            shared.queue.shard(0).push_with(g, TaskBuf::push_fn)?;
        } else {
            self.push_ordered(g, TaskBuf::push_fn)?;
        }
        if let Some(tier) = shared.state.claim_wake() {
            shared.wake(tier);
        }
        Ok(())
    }

    /// Queues a task handed back by another loop's [`EventLoop::take_unrun`].
    pub fn submit_task(&self, task: Task) -> Result<(), Rejected<Task>> {
        let shared = &*self.shared;
        if self.shards == 1 {
            shared.queue.shard(0).push(task)
        } else {
            self.push_ordered(task, TaskBuf::push)
        }
        .map_err(Rejected::new)?;
        if let Some(tier) = shared.state.claim_wake() {
            shared.wake(tier);
        }
        Ok(())
    }

    /// The push with two or more shards: this thread's shard, with a ticket (reusing this
    /// thread's last one for this loop when it can).
    #[inline]
    fn push_ordered<T>(&self, item: T, put: impl FnOnce(&mut TaskBuf, T)) -> Result<(), T> {
        let (id, t) = LAST_TICKET.get();
        let last = (id == self.id).then_some(t);
        let shard = thread_shard(self.shards);
        let t = self
            .shared
            .queue
            .push_ordered_with(shard, last, item, put)?;
        LAST_TICKET.set((self.id, t));
        Ok(())
    }

    /// Graceful shutdown: stop accepting, run everything accepted (and the microtasks it
    /// queues), then `run` returns. Pending timers are dropped. Idempotent.
    pub fn shutdown(&self) {
        self.shared.shutdown();
    }

    /// Immediate stop: the loop finishes the callback it is running and stops; accepted
    /// tasks that did not run are handed back by [`EventLoop::take_unrun`].
    pub fn shutdown_now(&self) {
        // Relaxed: the Release CAS in `terminate` publishes it to the loop's Acquire load
        // of the state; the loop's per-task Relaxed check only makes it sooner.
        self.shared.stop_now.store(true, Ordering::Relaxed);
        self.shared.shutdown();
    }

    /// Whether the loop has declared itself asleep (parked, or waiting in the poller):
    /// the next submit will wake it. For tests and wakeup-latency measurements.
    pub fn is_sleeping(&self) -> bool {
        matches!(
            self.shared.state.load(),
            crate::state::SLEEPING_PARK | crate::state::SLEEPING_POLL
        )
    }

    /// Whether the loop has stopped (its `run` returned or is returning).
    pub fn is_terminated(&self) -> bool {
        self.shared.state.load() == crate::state::TERMINATED
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let s = &*self.shared;
        // Relaxed loads: independent statistics; exact once `run` has returned (its end
        // happens before the caller's join).
        Stats {
            submitted: s.queue.submitted(),
            executed: s.executed.load(Ordering::Relaxed),
            microtasks_overflowed: s.microtasks_overflowed.load(Ordering::Relaxed),
            wakeups_user_space: s.wakeups_user_space.load(Ordering::Relaxed),
            wakeups_poller: s.wakeups_poller.load(Ordering::Relaxed),
            timers_fired: s.timers_fired.load(Ordering::Relaxed),
            panics: s.panics.load(Ordering::Relaxed),
            io_sources: s.io_sources.load(Ordering::Relaxed),
            sleeps: s.sleeps.load(Ordering::Relaxed),
            batches: s.batches.load(Ordering::Relaxed),
        }
    }
}

/// The loop-thread context every task, microtask, timer and I/O callback receives.
pub struct Cx {
    shared: Arc<Loop>,
    shards: usize,
    id: u64,
    micro: MicrotaskQueue<RawTask>,
    timers: Timers,
    io: Option<Io>,
    io_events_capacity: usize,
    /// Nesting depth of the timer callback running now (0 outside timers).
    timer_depth: u32,
    /// The clock read once per tick (libuv's `uv_now`): timers scheduled during a tick
    /// count from it, so a burst of `set_timeout`s reads the clock once, not per call
    /// (measured: schedule+cancel 60 -> 37 ns). A deadline is early by at most the time
    /// the tick has run so far.
    now: Option<Instant>,
    stop_now: bool,
    executed: u64,
    panics: u64,
    timers_fired: u64,
    sleeps: u64,
    batches: u64,
}

impl core::fmt::Debug for Cx {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Cx")
            .field("microtasks", &self.micro.len())
            .field("timers", &self.timers.len())
            .field("io", &self.io)
            .finish_non_exhaustive()
    }
}

impl Cx {
    /// The tick's cached clock, read on first use.
    fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }

    /// Runs `f` after the current callback, before the next task or timer.
    pub fn queue_microtask<F: FnOnce(&mut Cx) + 'static>(&mut self, f: F) {
        self.micro.push(RawTask::new(f));
    }

    /// Runs `f` once, `after` from now (clamped to 1 ms when nested deeper than
    /// [`MAX_TIMER_NESTING`]). At most one round of due timers runs per loop tick, so a
    /// timer that keeps rescheduling itself with no delay cannot starve tasks.
    pub fn set_timeout<F: FnOnce(&mut Cx) + 'static>(&mut self, after: Duration, f: F) -> TimerId {
        let depth = self.timer_depth.saturating_add(1);
        let after = if depth > MAX_TIMER_NESTING {
            after.max(NESTED_MIN_DELAY)
        } else {
            after
        };
        let at = deadline(self.now(), after);
        self.timers
            .schedule(at, Callback::Once(RawTask::new(f)), depth)
    }

    /// Runs `f` every `every` (at least 1 ms) until cleared. A late loop does not
    /// replay missed periods.
    pub fn set_interval<F: FnMut(&mut Cx) + 'static>(&mut self, every: Duration, f: F) -> TimerId {
        let every = every.max(NESTED_MIN_DELAY);
        let depth = self.timer_depth.saturating_add(1);
        let at = deadline(self.now(), every);
        self.timers
            .schedule(at, Callback::Every(Box::new(f), every), depth)
    }

    /// Cancels a pending timeout or an interval (also from inside its own callback).
    /// Returns false if it already fired, was cleared, or never existed.
    pub fn clear_timer(&mut self, id: TimerId) -> bool {
        self.timers.cancel(id)
    }

    /// Registers an I/O source; `cb` runs on the loop thread on each readiness event.
    /// The first registration switches producers' wakeups to the poller's waker.
    pub fn register<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        interest: Interest,
        cb: impl FnMut(&mut Cx, &Event) + 'static,
    ) -> io::Result<IoToken> {
        let io = match &mut self.io {
            Some(io) => io,
            None => self
                .io
                .insert(Io::new(self.io_events_capacity, &self.shared.waker)?),
        };
        let token = io.register(source, interest, Box::new(cb))?;
        self.publish_io_count();
        Ok(token)
    }

    /// Deregisters a source (also from inside its own callback). With the last source
    /// gone the loop sleeps in the user-space tier again.
    pub fn deregister<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        token: IoToken,
    ) -> io::Result<()> {
        let io = self
            .io
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no I/O source registered"))?;
        io.deregister(source, token)?;
        self.publish_io_count();
        Ok(())
    }

    /// A handle to this loop.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::clone(&self.shared),
            shards: self.shards,
            id: self.id,
        }
    }

    /// Stops the loop once the current callback returns: no further task, microtask or
    /// timer runs. Accepted tasks that did not run are handed back by
    /// [`EventLoop::take_unrun`] after `run` returns; submits from now on are rejected.
    pub fn stop_now(&mut self) {
        self.stop_now = true;
        // Relaxed: read by this thread only after this point; other threads learn of the
        // stop through the queue being closed.
        self.shared.stop_now.store(true, Ordering::Relaxed);
        self.shared.shutdown();
    }

    /// Microtasks queued and not yet run.
    pub fn pending_microtasks(&self) -> usize {
        self.micro.len()
    }

    /// Timers scheduled and not yet fired or cleared.
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    fn io_count(&self) -> usize {
        self.io.as_ref().map_or(0, Io::count)
    }

    fn publish_io_count(&self) {
        // Relaxed: a statistic; the loop decides its sleep tier from its own count.
        self.shared
            .io_sources
            .store(self.io_count(), Ordering::Relaxed);
    }

    fn stop_requested(&mut self) -> bool {
        // Relaxed: see `Handle::shutdown_now`.
        if !self.stop_now && self.shared.stop_now.load(Ordering::Relaxed) {
            self.stop_now = true;
        }
        self.stop_now
    }

    /// Runs one callback, catching a panic so the loop survives it.
    #[inline]
    fn guarded(&mut self, what: &str, f: impl FnOnce(&mut Cx)) {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            self.panics += 1;
            let msg = p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("<non-string panic payload>");
            log::error!("eventloop: a {what} panicked (the loop continues): {msg}");
        }
    }

    fn drain_microtasks(&mut self) {
        while !self.stop_requested() {
            let Some(m) = self.micro.pop() else { break };
            self.guarded("microtask", |cx| m.run(cx));
        }
    }

    fn publish(&self) {
        let s = &*self.shared;
        // Relaxed: statistics (see `Handle::stats`).
        s.executed.store(self.executed, Ordering::Relaxed);
        s.panics.store(self.panics, Ordering::Relaxed);
        s.timers_fired.store(self.timers_fired, Ordering::Relaxed);
        s.sleeps.store(self.sleeps, Ordering::Relaxed);
        s.batches.store(self.batches, Ordering::Relaxed);
        s.microtasks_overflowed
            .store(self.micro.overflowed(), Ordering::Relaxed);
    }

    /// Dispatches readiness events; returns whether any was for a source.
    fn dispatch(&mut self, events: &mio::Events) -> bool {
        let mut any = false;
        for ev in events.iter() {
            if ev.token() == WAKE_TOKEN || self.stop_requested() {
                continue;
            }
            let Some((mut cb, generation)) =
                self.io.as_mut().and_then(|io| io.take_callback(ev.token()))
            else {
                continue;
            };
            any = true;
            self.guarded("I/O callback", |cx| cb(cx, ev));
            if let Some(io) = self.io.as_mut() {
                io.restore_callback(ev.token(), generation, cb);
            }
            self.drain_microtasks();
        }
        any
    }
}

fn deadline(now: Instant, after: Duration) -> Instant {
    // A far-future `after` saturates instead of panicking.
    now.checked_add(after)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}

/// A loop, owned by the thread that runs it. Create it, hand out [`Handle`]s, call
/// [`EventLoop::run`].
pub struct EventLoop {
    cx: Cx,
    /// The batch being run; swapped with the queue's buffer so both keep their capacity.
    /// (One shard.)
    batch: TaskBuf,
    /// Two or more shards: per shard, the tasks taken and not yet run, the carry of the
    /// last round first (see `Sharded`). Empty with one shard.
    lanes: Vec<Lane<TaskBuf>>,
    /// Tasks held in `lanes`; nonzero means queued work (the loop neither sleeps nor
    /// finishes a graceful shutdown while it is).
    held: usize,
    /// Tasks taken from the queue so far (compared with the accepted count to spin).
    taken: u64,
    /// Small batches in a row (see [`QUIET_BATCHES`]).
    quiet_batches: u32,
    /// `Config::spin_before_sleep`: the most the idle spin grows to.
    max_spin: u32,
    /// The idle spin now (see `SHORT_SLEEP`).
    spin: u32,
    batch_wait: Duration,
    unrun: Unrun,
    finished: bool,
    _not_send: PhantomData<*const ()>,
}

impl core::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventLoop")
            .field("cx", &self.cx)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    /// The loop's context, for tests that run tasks by hand.
    #[cfg(test)]
    pub(crate) fn cx_mut(&mut self) -> &mut Cx {
        &mut self.cx
    }

    /// A loop with the default [`Config`], bound to the calling thread.
    pub fn new() -> io::Result<EventLoop> {
        Self::with_config(Config::default())
    }

    /// A loop bound to the calling thread.
    pub fn with_config(cfg: Config) -> io::Result<EventLoop> {
        let shared = Arc::new(Loop {
            state: FastState::new(),
            queue: Sharded::new(),
            _submit_line: LineBreak,
            executed: AtomicU64::new(0),
            microtasks_overflowed: AtomicU64::new(0),
            timers_fired: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            io_sources: AtomicUsize::new(0),
            sleeps: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            _loop_line: LineBreak,
            stop_now: AtomicBool::new(false),
            wakeups_user_space: AtomicU64::new(0),
            wakeups_poller: AtomicU64::new(0),
            woken_at: AtomicU64::new(0),
            epoch: Instant::now(),
            parker: Parker::current(),
            waker: OnceLock::new(),
        });
        let shards = cfg.submit_shards.clamp(1, MAX_SHARDS);
        Ok(EventLoop {
            cx: Cx {
                shared,
                shards,
                id: new_loop_id(),
                micro: MicrotaskQueue::new(cfg.microtask_capacity),
                timers: Timers::default(),
                io: None,
                io_events_capacity: cfg.io_events_capacity,
                timer_depth: 0,
                now: None,
                stop_now: false,
                executed: 0,
                panics: 0,
                timers_fired: 0,
                sleeps: 0,
                batches: 0,
            },
            batch: TaskBuf::default(),
            lanes: if shards > 1 {
                (0..shards).map(|_| Lane::default()).collect()
            } else {
                Vec::new()
            },
            held: 0,
            taken: 0,
            quiet_batches: 0,
            max_spin: cfg.spin_before_sleep,
            spin: cfg.spin_before_sleep,
            batch_wait: cfg.batch_wait,
            unrun: Unrun::default(),
            finished: false,
            _not_send: PhantomData,
        })
    }

    /// Starts a loop on a new thread. The join handle yields what did not run.
    pub fn spawn(cfg: Config) -> io::Result<(Handle, std::thread::JoinHandle<io::Result<Unrun>>)> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let join = std::thread::Builder::new()
            .name("eventloop".into())
            .spawn(move || {
                let mut el = match EventLoop::with_config(cfg) {
                    Ok(el) => el,
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                let _ = tx.send(Ok(el.handle()));
                el.run()?;
                Ok(el.take_unrun())
            })?;
        let handle = rx
            .recv()
            .map_err(|_| io::Error::other("event loop thread exited early"))??;
        Ok((handle, join))
    }

    /// A handle for submitting from any thread.
    pub fn handle(&self) -> Handle {
        self.cx.handle()
    }

    /// The loop thread's context, e.g. to register sources or timers before `run`.
    pub fn cx(&mut self) -> &mut Cx {
        &mut self.cx
    }

    /// What did not run (see [`Unrun`]); empty after a graceful shutdown, apart from
    /// pending timers.
    pub fn take_unrun(&mut self) -> Unrun {
        std::mem::take(&mut self.unrun)
    }

    /// Runs until [`Handle::shutdown`] (after draining everything accepted) or an
    /// immediate stop. Calling it again after it returned returns at once.
    ///
    /// On an I/O error from the poller the loop stops as if stopped immediately (the
    /// queue is closed and unrun tasks are handed back), then returns the error.
    pub fn run(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        let shared = Arc::clone(&self.cx.shared);
        shared.state.resume();
        let result = self.run_ticks(&shared);
        if result.is_err() {
            self.cx.stop_now = true;
            shared.queue.close();
        }
        self.finish(&shared);
        result
    }

    fn run_ticks(&mut self, shared: &Loop) -> io::Result<()> {
        loop {
            // A new tick reads the clock afresh (lazily, see `Cx::now`).
            self.cx.now = None;
            let mut progressed = self.run_tasks(shared);
            if !self.cx.stop_requested() {
                progressed |= self.run_timers();
            }
            if self.cx.io_count() > 0 && !self.cx.stop_requested() {
                progressed |= self.poll_io(Some(Duration::ZERO), false)?;
            }
            if self.cx.stop_requested() {
                return Ok(());
            }
            if shared.state.load() == TERMINATING {
                // The queue was closed before the state changed (`Loop::shutdown`), so an
                // empty queue now stays empty.
                if self.lanes_empty() && shared.queue.is_empty() && self.cx.micro.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if !progressed {
                self.sleep(shared)?;
            }
        }
    }

    fn run_tasks(&mut self, shared: &Loop) -> bool {
        // After a stop, what is queued is handed back by `finish`.
        if self.cx.stop_requested() {
            return false;
        }
        if self.cx.shards > 1 {
            return self.run_ordered(shared);
        }
        if shared.queue.accepted(1) == self.taken {
            // Nothing new: leave the lock's line with the producers, whose next submit
            // would otherwise find it on this core (or find it locked). A stale read only
            // defers the batch to the next tick; sleeping re-checks under the lock.
            return false;
        }
        let taken = self.run_shard(shared, 0);
        if taken == 0 {
            return false;
        }
        self.cx.publish();
        if !self.cx.stop_requested() {
            self.wait_for_stream(shared, taken);
        }
        true
    }

    /// One shard: runs one batch (what was left after a stop goes to `unrun`).
    fn run_shard(&mut self, shared: &Loop, i: usize) -> usize {
        shared.queue.shard(i).swap(&mut self.batch);
        if self.batch.is_empty() {
            return 0;
        }
        let taken = self.batch.len();
        self.taken += taken as u64;
        let cx = &mut self.cx;
        while let Some(entry) = self.batch.pop_entry() {
            cx.guarded("task", |cx| entry.run(cx));
            cx.executed += 1;
            // Most tasks queue no microtask: two index loads instead of a stop check and
            // a pop attempt on the ring and on its overflow queue.
            if !cx.micro.is_empty() {
                cx.drain_microtasks();
            }
            if cx.stop_requested() {
                break;
            }
        }
        while let Some(task) = self.batch.pop() {
            self.unrun.tasks.push(task);
        }
        self.cx.batches += 1;
        // A burst can grow the batch to any size; once it has ended, keep a working size,
        // not the peak.
        if self.stream_ended(taken) {
            self.batch.shrink_to(BATCH_KEEP_BYTES);
        }
        taken
    }

    /// Counts a batch of `taken` tasks; true once [`QUIET_BATCHES`] small ones came in a
    /// row (then buffers may be trimmed).
    fn stream_ended(&mut self, taken: usize) -> bool {
        if taken >= SMALL_BATCH {
            self.quiet_batches = 0;
            return false;
        }
        self.quiet_batches = self.quiet_batches.saturating_add(1);
        self.quiet_batches >= QUIET_BATCHES
    }

    /// Two or more shards: one round (see `Sharded`): take every shard's batch after the
    /// cutoff read, run what is below the cutoff in ticket order, hold the rest for the
    /// next round. Returns whether it ran or still holds anything.
    fn run_ordered(&mut self, shared: &Loop) -> bool {
        let n = self.cx.shards;
        if self.held == 0 && shared.queue.accepted(n) == self.taken {
            // As with one shard: nothing new, leave the lines with the producers.
            return false;
        }
        let lanes = &mut self.lanes[..n];
        let (cutoff, _closed) = shared.queue.take_round(lanes);
        let held: usize = lanes.iter().map(Lane::len).sum();
        self.taken += (held - self.held) as u64;
        let cx = &mut self.cx;
        let ran = merge_below(lanes, cutoff, |task| {
            cx.guarded("task", |cx| task.run(cx));
            cx.executed += 1;
            if !cx.micro.is_empty() {
                cx.drain_microtasks();
            }
            // After a stop, what is held is handed back by `finish`, in ticket order.
            !cx.stop_requested()
        });
        self.held = held - ran;
        if ran == 0 {
            // Everything taken was at or above the cutoff: the next round runs it.
            return self.held > 0;
        }
        self.cx.batches += 1;
        if self.stream_ended(ran) {
            for lane in &mut self.lanes[..n] {
                lane.trim(BATCH_KEEP_BYTES, |b| b.shrink_to(BATCH_KEEP_BYTES));
            }
        }
        self.cx.publish();
        if !self.cx.stop_requested() {
            self.wait_for_stream(shared, ran);
        }
        true
    }

    /// Whether the loop holds no task taken from the shards (always, with one shard).
    fn lanes_empty(&self) -> bool {
        let empty = self.lanes.iter().all(Lane::is_empty);
        debug_assert_eq!(empty, self.held == 0);
        empty
    }

    /// A small batch with two or more tasks already queued behind it means producers
    /// are streaming: give them [`Config::batch_wait`] to fill the next batch instead of
    /// taking the lock back every few tasks. Each take moves the lock's cache line to the
    /// loop's core and back, and the producer's next lock waits for it (measured: one
    /// producer ~60 -> ~25 ns per task). A producer that waits for each task's result
    /// can have at most one queued, so request/response traffic is never delayed.
    fn wait_for_stream(&self, shared: &Loop, taken: usize) {
        if taken >= SMALL_BATCH
            || self.batch_wait.is_zero()
            || shared
                .queue
                .accepted(self.cx.shards)
                .wrapping_sub(self.taken)
                < 2
        {
            return;
        }
        let start = Instant::now();
        while start.elapsed() < self.batch_wait {
            std::hint::spin_loop();
        }
    }

    fn run_timers(&mut self) -> bool {
        if self.cx.timers.len() == 0 {
            return false;
        }
        let cx = &mut self.cx;
        let now = Instant::now();
        cx.now = Some(now);
        // One round per tick: timers scheduled by this round wait for the next tick.
        let limit = cx.timers.next_seq();
        let mut fired = false;
        while let Some(due) = cx.timers.pop_due(now, limit) {
            fired = true;
            cx.timers_fired += 1;
            let outer = std::mem::replace(&mut cx.timer_depth, due.depth);
            match due.callback {
                Callback::Once(t) => cx.guarded("timer", |cx| t.run(cx)),
                Callback::Every(mut f, period) => {
                    cx.guarded("interval", |cx| f(cx));
                    let next = (due.deadline + period).max(now);
                    cx.timers.rearm(due.id, f, period, next);
                }
            }
            cx.timer_depth = outer;
            cx.drain_microtasks();
            if cx.stop_requested() {
                break;
            }
        }
        cx.publish();
        fired
    }

    /// Polls the OS for readiness; `sleeping`: the loop declared `SLEEPING_POLL` and must
    /// resume after the poll.
    fn poll_io(&mut self, timeout: Option<Duration>, sleeping: bool) -> io::Result<bool> {
        let Some(io) = self.cx.io.as_mut() else {
            if sleeping {
                self.cx.shared.state.resume();
            }
            return Ok(false);
        };
        let polled = io.poll(timeout);
        if sleeping {
            self.cx.shared.state.resume();
        }
        let events = polled?;
        let any = self.cx.dispatch(&events);
        if let Some(io) = self.cx.io.as_mut() {
            io.restore_events(events);
        }
        self.cx.publish();
        Ok(any)
    }

    fn sleep(&mut self, shared: &Loop) -> io::Result<()> {
        for _ in 0..self.spin {
            if shared.queue.accepted(self.cx.shards) != self.taken
                || shared.state.load() == TERMINATING
            {
                return Ok(());
            }
            std::hint::spin_loop();
        }
        let timeout = match self.cx.timers.next_deadline() {
            Some(d) => {
                let now = Instant::now();
                if d <= now {
                    return Ok(());
                }
                Some(d - now)
            }
            None => None,
        };
        let tier = if self.cx.io_count() > 0 {
            Tier::Poll
        } else {
            Tier::Park
        };
        // A held carry counts as queued (it is never there when the loop gets here: a
        // round that holds some reports progress).
        let lanes_empty = self.lanes_empty();
        let decision = shared
            .state
            .prepare_sleep(|| lanes_empty && shared.queue.is_empty(), tier);
        if decision != SleepDecision::Terminating {
            self.cx.sleeps += 1;
            // Relaxed: a statistic, published now so observers see the loop asleep.
            shared.sleeps.store(self.cx.sleeps, Ordering::Relaxed);
        }
        if decision != SleepDecision::Sleep {
            return Ok(());
        }
        let asleep = Instant::now();
        let asleep_ns = shared.now_ns();
        match tier {
            Tier::Park => {
                shared.parker.park(timeout);
                shared.state.resume();
            }
            Tier::Poll => {
                self.poll_io(timeout, true)?;
            }
        }
        // Relaxed: written before the unpark that ended this sleep (see `Loop::wake`).
        let woken_at = shared.woken_at.load(Ordering::Relaxed);
        self.adapt_spin(idle_gap(asleep_ns, woken_at, asleep.elapsed()));
        Ok(())
    }

    /// After a sleep of `slept`: double the idle spin if work came back soon, else
    /// halve it (see [`SHORT_SLEEP`]).
    fn adapt_spin(&mut self, slept: Duration) {
        self.spin = if slept < SHORT_SLEEP {
            self.spin.saturating_mul(2)
        } else {
            self.spin / 2
        }
        .max(MIN_SPIN)
        .min(self.max_spin);
    }

    fn finish(&mut self, shared: &Loop) {
        if self.cx.stop_now {
            shared.queue.close();
            if self.cx.shards > 1 {
                // Everything held and queued, handed back in ticket order (the queue is
                // closed: this round takes the rest).
                let lanes = &mut self.lanes[..self.cx.shards];
                shared.queue.take_round(lanes);
                let unrun = &mut self.unrun.tasks;
                merge_below(lanes, u64::MAX, |task| {
                    unrun.push(task);
                    true
                });
                self.held = 0;
            }
            for i in 0..MAX_SHARDS {
                let mut rest = TaskBuf::default();
                shared.queue.shard(i).swap(&mut rest);
                while let Some(task) = rest.pop() {
                    self.unrun.tasks.push(task);
                }
            }
            while self.cx.micro.pop().is_some() {
                self.unrun.microtasks += 1;
            }
        }
        self.unrun.timers += self.cx.timers.clear();
        self.cx.publish();
        shared.state.set_terminated();
        self.finished = true;
    }
}

/// How long the loop was idle in a sleep that began at `asleep_ns` (ns since the loop's
/// epoch) and lasted `slept`: until the wake recorded at `woken_at` if a producer woke
/// this sleep, else (timeout, spurious return) the whole sleep. A `woken_at` from before
/// this sleep belongs to an earlier one.
fn idle_gap(asleep_ns: u64, woken_at: u64, slept: Duration) -> Duration {
    if woken_at >= asleep_ns {
        Duration::from_nanos(woken_at - asleep_ns).min(slept)
    } else {
        slept
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        // A loop dropped without running: later submits are rejected instead of queued
        // forever. Tasks already queued are dropped with the queue, unrun.
        let shared = &self.cx.shared;
        shared.queue.close();
        shared.state.terminate();
        shared.state.set_terminated();
    }
}

/// The layouts of the loop's hot structures on the target being built, as rustc laid
/// them out (`FastState`, `MicrotaskRing`, `Loop`).
pub fn hot_layouts() -> [layout::StructLayout<'static>; 3] {
    [
        FastState::LAYOUT,
        <crate::ring::MicrotaskRing<RawTask> as CacheLayout>::LAYOUT,
        Loop::LAYOUT,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle_loop(max_spin: u32) -> (EventLoop, Arc<Loop>) {
        let el = EventLoop::with_config(Config {
            spin_before_sleep: max_spin,
            ..Config::default()
        })
        .unwrap();
        let shared = Arc::clone(&el.cx.shared);
        shared.state.resume();
        (el, shared)
    }

    #[test]
    fn idle_spin_halves_after_long_sleeps_and_doubles_after_short_ones() {
        let (mut el, _shared) = idle_loop(2048);
        assert_eq!(el.spin, 2048);
        let long = SHORT_SLEEP * 5;
        let mut expect = 2048;
        for _ in 0..10 {
            el.adapt_spin(long);
            expect = (expect / 2).max(MIN_SPIN);
            assert_eq!(el.spin, expect);
        }
        assert_eq!(el.spin, MIN_SPIN);
        for want in [32, 64, 128] {
            el.adapt_spin(SHORT_SLEEP / 4);
            assert_eq!(el.spin, want);
        }
        for _ in 0..10 {
            el.adapt_spin(Duration::ZERO);
        }
        assert_eq!(el.spin, 2048, "never above spin_before_sleep");
    }

    #[test]
    fn a_sleep_cut_short_doubles_the_idle_spin() {
        let (mut el, shared) = idle_loop(2048);
        el.spin = 64;
        // An unpark token left before the park makes it return at once. Under heavy load
        // the thread can still be preempted for longer than SHORT_SLEEP around the park,
        // so the spin may halve instead; it must not stay put (the sleep happened).
        shared.parker.unpark();
        el.sleep(&shared).unwrap();
        assert_eq!(el.cx.sleeps, 1, "the loop declared a sleep");
        assert!(el.spin == 128 || el.spin == 32, "spin {}", el.spin);
    }

    #[test]
    fn idle_gap_counts_to_the_wake_not_to_the_loops_return() {
        let slept = Duration::from_micros(900);
        // Woken 30 us into a sleep that took 900 us to end: the loop was slow to run
        // again, but work came back after 30 us.
        assert_eq!(idle_gap(1_000, 31_000, slept), Duration::from_micros(30));
        // A wake recorded before this sleep began is an earlier sleep's.
        assert_eq!(idle_gap(50_000, 31_000, slept), slept);
        assert_eq!(idle_gap(50_000, 0, slept), slept);
        // Never longer than the sleep itself.
        assert_eq!(idle_gap(1_000, 5_000_000, slept), slept);
    }

    #[test]
    fn a_slow_wakeup_of_the_loop_does_not_shrink_its_spin() {
        let (mut el, shared) = idle_loop(2048);
        el.spin = 64;
        // Another thread wakes the loop while it is asleep: the wake is time-stamped.
        let waker = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                while !matches!(
                    shared.state.load(),
                    crate::state::SLEEPING_PARK | crate::state::SLEEPING_POLL
                ) {
                    std::thread::yield_now();
                }
                let tier = shared.state.claim_wake().expect("the loop is asleep");
                shared.wake(tier);
            })
        };
        el.sleep(&shared).unwrap();
        waker.join().unwrap();
        assert_eq!(el.cx.sleeps, 1, "the loop declared a sleep");
        let woken_at = shared.woken_at.load(Ordering::Relaxed);
        assert!(woken_at > 0, "the waker recorded its wake");
        // A loop that needed 2 * SHORT_SLEEP to run again after a wake 1 us into its
        // sleep must still grow its spin: work came back at once.
        el.spin = 64;
        let asleep_ns = woken_at.saturating_sub(1_000);
        el.adapt_spin(idle_gap(asleep_ns, woken_at, SHORT_SLEEP * 2));
        assert_eq!(el.spin, 128);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "submits 1 Mi tasks one by one (minutes under Miri); no unsafe code of its own"
    )]
    fn batch_capacity_is_kept_while_batches_are_large_and_given_back_after_a_quiet_spell() {
        for shards in [1, 2] {
            let mut el = EventLoop::with_config(Config {
                submit_shards: shards,
                ..Config::default()
            })
            .unwrap();
            let h = el.handle();
            let shared = Arc::clone(&el.cx.shared);
            shared.state.resume();
            let capacity = |el: &EventLoop| {
                if shards == 1 {
                    el.batch.capacity_bytes()
                } else {
                    // The lanes' buffers are private to `submit`; the queue's are swapped
                    // in and out of them, so the loop-side total is what the loop keeps.
                    el.lanes.iter().map(|l| l.capacity_bytes()).sum()
                }
            };
            let run_batch = |el: &mut EventLoop, tasks: usize| {
                for _ in 0..tasks {
                    h.submit(|_| {}).unwrap();
                }
                assert!(el.run_tasks(&shared));
            };
            // Two large batches (each 2x the kept size): both buffers grow.
            let big = 2 * BATCH_KEEP_BYTES / 8;
            run_batch(&mut el, big);
            run_batch(&mut el, big);
            assert!(capacity(&el) > BATCH_KEEP_BYTES, "{shards} shards");
            // Small batches up to one short of the quiet spell keep it.
            for _ in 1..QUIET_BATCHES {
                run_batch(&mut el, 1);
            }
            assert!(capacity(&el) > BATCH_KEEP_BYTES, "{shards} shards");
            // A large batch in between starts the count again.
            run_batch(&mut el, SMALL_BATCH);
            for _ in 1..QUIET_BATCHES {
                run_batch(&mut el, 1);
            }
            assert!(capacity(&el) > BATCH_KEEP_BYTES, "{shards} shards");
            // The spell completes: this batch's buffer is trimmed, and the queue's one
            // (the other) with the next batch.
            run_batch(&mut el, 1);
            run_batch(&mut el, 1);
            assert!(capacity(&el) <= BATCH_KEEP_BYTES, "{shards} shards");
        }
    }

    #[test]
    fn no_idle_spin_stays_none() {
        let (mut el, shared) = idle_loop(0);
        shared.parker.unpark();
        el.sleep(&shared).unwrap();
        assert_eq!(el.spin, 0);
    }
}
