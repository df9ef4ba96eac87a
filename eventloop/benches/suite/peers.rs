//! The executors compared: what a user would otherwise pick to run closures on one
//! dedicated thread, each started the way its documentation suggests.
//!
//! Every peer runs boxed closures on a single worker thread; the event loop (in `el.rs`)
//! takes the closure by value.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

pub type Task = Box<dyn FnOnce() + Send + 'static>;

/// One producer's way in. Each producer thread owns its own (a cloned sender or handle).
pub trait Submitter: Send + 'static {
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F);
}

/// An executor with one consumer thread.
pub trait Peer: Sized {
    const NAME: &'static str;
    type S: Submitter;
    fn start() -> Self;
    fn submitter(&self) -> Self::S;
    /// Stops accepting, runs what was accepted, joins the consumer thread.
    fn stop(self);
    /// Counters worth printing next to a result (the event loop's sleeps and wakeups).
    fn describe(&self) -> Option<String> {
        None
    }
    /// Times the consumer declared itself asleep so far, where the executor counts it.
    fn sleeps(&self) -> Option<u64> {
        None
    }
}

fn worker(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a bench worker thread")
}

// ---- crossbeam-channel -------------------------------------------------------------------

pub struct Crossbeam {
    tx: Option<crossbeam_channel::Sender<Task>>,
    join: JoinHandle<()>,
}

impl Submitter for crossbeam_channel::Sender<Task> {
    #[inline]
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F) {
        self.send(Box::new(f)).expect("crossbeam worker alive");
    }
}

impl Peer for Crossbeam {
    const NAME: &'static str = "crossbeam";
    type S = crossbeam_channel::Sender<Task>;
    fn start() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded::<Task>();
        let join = worker("crossbeam", move || {
            while let Ok(t) = rx.recv() {
                t();
            }
        });
        Self { tx: Some(tx), join }
    }
    fn submitter(&self) -> Self::S {
        self.tx.clone().expect("running")
    }
    fn stop(mut self) {
        drop(self.tx.take());
        self.join.join().expect("crossbeam worker");
    }
}

// ---- std::sync::mpsc ---------------------------------------------------------------------

pub struct StdMpsc {
    tx: Option<std::sync::mpsc::Sender<Task>>,
    join: JoinHandle<()>,
}

impl Submitter for std::sync::mpsc::Sender<Task> {
    #[inline]
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F) {
        self.send(Box::new(f)).expect("mpsc worker alive");
    }
}

impl Peer for StdMpsc {
    const NAME: &'static str = "std_mpsc";
    type S = std::sync::mpsc::Sender<Task>;
    fn start() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Task>();
        let join = worker("std_mpsc", move || {
            while let Ok(t) = rx.recv() {
                t();
            }
        });
        Self { tx: Some(tx), join }
    }
    fn submitter(&self) -> Self::S {
        self.tx.clone().expect("running")
    }
    fn stop(mut self) {
        drop(self.tx.take());
        self.join.join().expect("mpsc worker");
    }
}

// ---- flume -------------------------------------------------------------------------------

pub struct Flume {
    tx: Option<flume::Sender<Task>>,
    join: JoinHandle<()>,
}

impl Submitter for flume::Sender<Task> {
    #[inline]
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F) {
        self.send(Box::new(f)).expect("flume worker alive");
    }
}

impl Peer for Flume {
    const NAME: &'static str = "flume";
    type S = flume::Sender<Task>;
    fn start() -> Self {
        let (tx, rx) = flume::unbounded::<Task>();
        let join = worker("flume", move || {
            while let Ok(t) = rx.recv() {
                t();
            }
        });
        Self { tx: Some(tx), join }
    }
    fn submitter(&self) -> Self::S {
        self.tx.clone().expect("running")
    }
    fn stop(mut self) {
        drop(self.tx.take());
        self.join.join().expect("flume worker");
    }
}

// ---- tokio current-thread runtime, driven by a dedicated thread --------------------------

pub struct TokioCt {
    handle: tokio::runtime::Handle,
    stop: Arc<tokio::sync::Notify>,
    join: JoinHandle<()>,
}

impl Submitter for tokio::runtime::Handle {
    #[inline]
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F) {
        drop(self.spawn(async move { f() }));
    }
}

impl Peer for TokioCt {
    const NAME: &'static str = "tokio_ct";
    type S = tokio::runtime::Handle;
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio current-thread runtime");
        let handle = rt.handle().clone();
        let stop = Arc::new(tokio::sync::Notify::new());
        let stop2 = Arc::clone(&stop);
        let join = worker("tokio_ct", move || {
            rt.block_on(async move { stop2.notified().await });
            // Dropping the runtime drops (does not run) tasks spawned after `notified`
            // completed; the harness only stops a peer once all its work has run.
            drop(rt);
        });
        Self { handle, stop, join }
    }
    fn submitter(&self) -> Self::S {
        self.handle.clone()
    }
    fn stop(self) {
        self.stop.notify_one();
        self.join.join().expect("tokio driver thread");
    }
}

// ---- a plain mutex + batch-swap queue with a condvar-parked worker -----------------------
//
// The worker swaps the whole vector out under the lock and runs the batch unlocked. It spins
// briefly on a "non-empty" hint before parking, and producers notify only a worker that said
// (under the lock) that it is waiting, so a busy worker costs producers no syscall.

struct SwapShared {
    queue: Mutex<SwapQueue>,
    cv: Condvar,
    nonempty: AtomicBool,
}

struct SwapQueue {
    tasks: Vec<Task>,
    waiting: bool,
    closed: bool,
}

pub struct MutexSwap {
    shared: Arc<SwapShared>,
    join: JoinHandle<()>,
}

pub struct SwapSubmitter(Arc<SwapShared>);

impl Submitter for SwapSubmitter {
    #[inline]
    fn submit<F: FnOnce() + Send + 'static>(&self, f: F) {
        let task: Task = Box::new(f);
        let wake = {
            let mut q = self.0.queue.lock().expect("swap queue lock");
            q.tasks.push(task);
            if q.tasks.len() == 1 {
                // Pairs with the Acquire load in the worker's spin.
                self.0.nonempty.store(true, Ordering::Release);
            }
            q.waiting
        };
        if wake {
            self.0.cv.notify_one();
        }
    }
}

/// How many spin rounds the swap worker polls the hint before parking (~tens of us here).
const SWAP_SPINS: u32 = 2_000;

impl Peer for MutexSwap {
    const NAME: &'static str = "mutex_swap";
    type S = SwapSubmitter;
    fn start() -> Self {
        let shared = Arc::new(SwapShared {
            queue: Mutex::new(SwapQueue {
                tasks: Vec::new(),
                waiting: false,
                closed: false,
            }),
            cv: Condvar::new(),
            nonempty: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let join = worker("mutex_swap", move || {
            let mut batch: Vec<Task> = Vec::new();
            loop {
                let mut spins = 0;
                while !s.nonempty.load(Ordering::Acquire) && spins < SWAP_SPINS {
                    std::hint::spin_loop();
                    spins += 1;
                }
                {
                    let mut q = s.queue.lock().expect("swap queue lock");
                    while q.tasks.is_empty() && !q.closed {
                        q.waiting = true;
                        q = s.cv.wait(q).expect("swap queue lock");
                        q.waiting = false;
                    }
                    if q.tasks.is_empty() && q.closed {
                        return;
                    }
                    std::mem::swap(&mut q.tasks, &mut batch);
                    s.nonempty.store(false, Ordering::Relaxed);
                }
                for t in batch.drain(..) {
                    t();
                }
            }
        });
        Self { shared, join }
    }
    fn submitter(&self) -> Self::S {
        SwapSubmitter(Arc::clone(&self.shared))
    }
    fn stop(self) {
        self.shared.queue.lock().expect("swap queue lock").closed = true;
        self.shared.cv.notify_one();
        self.join.join().expect("swap worker");
    }
}
