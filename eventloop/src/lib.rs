//! A two-tier-wakeup event loop: tasks submitted from any thread, microtasks, timers and
//! I/O readiness (mio), run on one loop thread.
//!
//! While no I/O source is registered, a producer wakes a sleeping loop through a
//! user-space path (one atomic state check; futex-class unpark only if the loop declared
//! itself asleep, at most one wake per sleep); with sources registered, through mio's
//! waker. A running loop is never woken: submitting to it makes no system call.
//!
//! Tasks run in an order consistent with happens-before between their submits: one
//! thread's tasks in its submission order, and a task submitted after another thread's
//! submit that happened before it (through a lock, a channel, an atomic flag, ...) after
//! that one, with one submit queue or several (`Config::submit_shards`).
//!
//! The hot structures — `FastState`, `MicrotaskRing`, `Loop` — declare their cache-line
//! intent with `#[derive(layout::CacheLayout)]`, so a build for any target fails if they
//! drift (see [`hot_layouts`]).
//!
//! ```
//! use eventloop::EventLoop;
//! use std::time::Duration;
//!
//! let mut el = EventLoop::new().unwrap();
//! let h = el.handle();
//! let producer = std::thread::spawn(move || {
//!     h.submit(|cx| {
//!         cx.queue_microtask(|_| println!("microtask"));
//!         let stop = cx.handle();
//!         cx.set_timeout(Duration::from_millis(1), move |_| stop.shutdown());
//!     })
//!     .unwrap();
//! });
//! el.run().unwrap();
//! producer.join().unwrap();
//! assert_eq!(el.handle().stats().executed, 1);
//! ```

mod ring;
mod state;
mod submit;
mod sync;

#[cfg(not(loom))]
mod event_loop;
#[cfg(not(loom))]
mod io;
#[cfg(not(loom))]
mod microtask;
#[cfg(not(loom))]
mod task;
#[cfg(not(loom))]
mod timer;

#[cfg(not(loom))]
pub use event_loop::{
    Config, Cx, EventLoop, Handle, MAX_TIMER_NESTING, NESTED_MIN_DELAY, SHORT_SLEEP, Stats, Unrun,
    hot_layouts,
};
#[cfg(not(loom))]
pub use io::IoToken;
#[cfg(not(loom))]
pub use task::{INLINE_BYTES, Rejected, Task};
#[cfg(not(loom))]
pub use timer::TimerId;

/// A zero-sized field of this type starts the next field on a fresh 128-byte block: the
/// group separator in the `#[layout]` structs (128 covers x86_64's adjacent-line prefetch
/// pair and Apple's 128-byte lines; 256 on s390x, whose lines are 256 bytes), independent of the preceding fields' sizes.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
pub(crate) struct LineBreak;

/// The generic ring is checked as the loop instantiates it (plain `cargo check` cannot
/// evaluate a generic type's layout asserts on its own).
#[cfg(not(loom))]
const _: () = layout::verify::<ring::MicrotaskRing<task::RawTask>>();
#[cfg(not(loom))]
const _: () = layout::verify::<submit::SubmitQueue<task::TaskBuf>>();
#[cfg(not(loom))]
const _: () = layout::verify::<submit::Sharded<task::TaskBuf>>();
