//! `FastState`, the loop's state word, and the sleep/wake protocol around it.
//!
//! States: `AWAKE` (a producer woke the loop, or it has not started), `RUNNING`,
//! `SLEEPING_PARK` / `SLEEPING_POLL` (asleep, and how to wake it: the sleeping state
//! names the tier, so producers never guess), `TERMINATING`, `TERMINATED`.
//!
//! Protocol (no lost wakeup, at most one wake per sleep):
//! - loop: CAS `RUNNING -> SLEEPING_x`, then check the submit queue *under its lock*; if
//!   it is not empty, resume instead of sleeping.
//! - producer: push under the lock, then load the state; only a producer that wins the
//!   CAS `SLEEPING_x -> AWAKE` wakes the loop, through tier `x`.
//!
//! The queue's critical sections are totally ordered. If the producer's push comes first,
//! the loop's check sees it. If the loop's check comes first, its CAS (before its unlock)
//! happens before the producer's lock, so the producer's load sees `SLEEPING_x` (or a
//! later state written by another waker, who then did the waking). A running loop is never
//! woken: the producer's only cost is one load of this line, which the loop does not write
//! while it runs. The loom model below checks exactly this code.

// Parts used only by the loop, which is not built under loom.
#![cfg_attr(loom, allow(dead_code))]

use layout::CacheLayout;

use crate::sync::{AtomicU64, Ordering};

pub(crate) const AWAKE: u64 = 0;
pub(crate) const RUNNING: u64 = 1;
pub(crate) const SLEEPING_PARK: u64 = 2;
pub(crate) const SLEEPING_POLL: u64 = 3;
pub(crate) const TERMINATING: u64 = 4;
pub(crate) const TERMINATED: u64 = 5;

/// How a sleeping loop must be woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// User-space: the loop thread is parked (futex on Linux).
    Park,
    /// The loop waits in the OS poller: wake it through `mio::Waker`.
    Poll,
}

impl Tier {
    const fn sleeping(self) -> u64 {
        match self {
            Tier::Park => SLEEPING_PARK,
            Tier::Poll => SLEEPING_POLL,
        }
    }
}

/// What the loop should do after trying to go to sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SleepDecision {
    /// Declared asleep with an empty queue: block now, then call [`FastState::resume`].
    Sleep,
    /// Declared asleep, but work arrived between the last drain and the declaration (or
    /// shutdown since): keep running.
    WorkPending,
    /// Shutdown was requested before the loop could declare itself asleep.
    Terminating,
}

/// The loop's state word, alone on its cache line (and its prefetch pair).
#[derive(CacheLayout)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
#[cfg_attr(not(target_arch = "s390x"), layout(size = 128, align = 128))]
#[cfg_attr(target_arch = "s390x", layout(size = 256, align = 256))]
pub(crate) struct FastState {
    #[layout(isolated)]
    word: AtomicU64,
}

impl core::fmt::Debug for FastState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("FastState").field(&self.load()).finish()
    }
}

impl FastState {
    pub(crate) fn new() -> Self {
        Self {
            word: AtomicU64::new(AWAKE),
        }
    }

    pub(crate) fn load(&self) -> u64 {
        // Acquire: pairs with the Release half of every CAS below; callers that see
        // TERMINATING also see what the terminating thread did before (closing the queue).
        self.word.load(Ordering::Acquire)
    }

    /// Loop thread, before blocking: declare the sleep, then re-check the queue.
    pub(crate) fn prepare_sleep(
        &self,
        queue_is_empty: impl FnOnce() -> bool,
        tier: Tier,
    ) -> SleepDecision {
        // AcqRel: the Release half pairs with the load in `claim_wake` (through the
        // queue lock, see the module docs); Acquire pairs with `terminate`.
        if let Err(s) = self.word.compare_exchange(
            RUNNING,
            tier.sleeping(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            debug_assert!(s == TERMINATING, "prepare_sleep from state {s}");
            return SleepDecision::Terminating;
        }
        if queue_is_empty() {
            return SleepDecision::Sleep;
        }
        // If shutdown raced in, `resume` leaves TERMINATING for the loop to see next.
        self.resume();
        SleepDecision::WorkPending
    }

    /// Loop thread, after waking (by a producer, a timeout, I/O or spuriously) or after a
    /// cancelled sleep: back to `RUNNING`. Returns false if shutdown was requested.
    pub(crate) fn resume(&self) -> bool {
        let mut s = self.load();
        loop {
            match s {
                AWAKE | RUNNING | SLEEPING_PARK | SLEEPING_POLL => {}
                _ => return false,
            }
            // AcqRel: Acquire pairs with the Release of `claim_wake`'s CAS; Release pairs
            // with the next `claim_wake` load.
            match self
                .word
                .compare_exchange(s, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// Producer, after a successful push: if the loop declared itself asleep, claim the
    /// (single) wake. `Some(tier)`: the caller must wake the loop through `tier`.
    pub(crate) fn claim_wake(&self) -> Option<Tier> {
        // Relaxed is enough for the load: the queue lock we just released orders it after
        // the loop's `prepare_sleep` CAS (module docs); the CAS below re-validates.
        let s = self.word.load(Ordering::Relaxed);
        let tier = match s {
            SLEEPING_PARK => Tier::Park,
            SLEEPING_POLL => Tier::Poll,
            _ => return None,
        };
        // AcqRel: Release pairs with the Acquire in `resume`; Acquire pairs with the
        // Release of `prepare_sleep`, so the loop's published waker/thread are visible.
        self.word
            .compare_exchange(s, AWAKE, Ordering::AcqRel, Ordering::Relaxed)
            .ok()
            .map(|_| tier)
    }

    /// Any thread: request termination. `Some(tier)` if the loop was asleep and the caller
    /// must wake it. Call after closing the submit queue.
    pub(crate) fn terminate(&self) -> Option<Tier> {
        let mut s = self.load();
        loop {
            let tier = match s {
                SLEEPING_PARK => Some(Tier::Park),
                SLEEPING_POLL => Some(Tier::Poll),
                AWAKE | RUNNING => None,
                _ => return None,
            };
            // AcqRel: Release pairs with the Acquire load in the loop (`load`, `resume`,
            // `prepare_sleep`), which then sees the queue closed.
            match self
                .word
                .compare_exchange(s, TERMINATING, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return tier,
                Err(now) => s = now,
            }
        }
    }

    /// Loop thread, once drained.
    pub(crate) fn set_terminated(&self) {
        // Release: pairs with the Acquire in `load` (e.g. `Handle::is_terminated`).
        self.word.store(TERMINATED, Ordering::Release);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::submit::SubmitQueue;
    use crate::sync::thread::Parker;
    use crate::sync::{Arc, AtomicUsize};
    use loom::thread;

    /// Two producers submit one item each while the loop runs, drains and sleeps with the
    /// real `prepare_sleep` / `claim_wake` / `resume`; the loop must neither sleep forever
    /// (loom reports that as a deadlock) nor miss an item, and every wake must be claimed
    /// by exactly one producer per sleep.
    #[test]
    fn loom_sleep_wake_conserves() {
        loom::model(|| {
            let state = Arc::new(FastState::new());
            let queue = Arc::new(SubmitQueue::<Vec<usize>>::new());
            let wakes = Arc::new(AtomicUsize::new(0));
            let loop_thread = Arc::new(Parker::current());
            assert!(state.resume());
            let producers: Vec<_> = (0..2)
                .map(|i| {
                    let (state, queue, wakes) = (state.clone(), queue.clone(), wakes.clone());
                    let t = loop_thread.clone();
                    thread::spawn(move || {
                        queue.push(i).unwrap();
                        if let Some(tier) = state.claim_wake() {
                            assert_eq!(tier, Tier::Park);
                            wakes.fetch_add(1, Ordering::Relaxed);
                            t.unpark();
                        }
                    })
                })
                .collect();
            let mut got = Vec::new();
            let mut sleeps = 0;
            let mut batch = Vec::new();
            while got.len() < 2 {
                queue.swap(&mut batch);
                got.append(&mut batch);
                if got.len() == 2 {
                    break;
                }
                match state.prepare_sleep(|| queue.is_empty(), Tier::Park) {
                    SleepDecision::Sleep => {
                        sleeps += 1;
                        loop_thread.park(None);
                        assert!(state.resume());
                    }
                    // Declared, then cancelled: still a sleep a producer may wake.
                    SleepDecision::WorkPending => sleeps += 1,
                    SleepDecision::Terminating => unreachable!(),
                }
            }
            for p in producers {
                p.join().unwrap();
            }
            got.sort_unstable();
            assert_eq!(got, vec![0, 1], "conservation: submitted == executed");
            assert!(
                wakes.load(Ordering::Relaxed) <= sleeps,
                "at most one wake per sleep"
            );
        });
    }

    /// Shutdown racing a producer: the item is either accepted (and then drained by the
    /// terminating loop) or handed back; never both, never neither.
    #[test]
    fn loom_shutdown_conserves() {
        loom::model(|| {
            let state = Arc::new(FastState::new());
            let queue = Arc::new(SubmitQueue::<Vec<usize>>::new());
            let loop_thread = Arc::new(Parker::current());
            assert!(state.resume());
            let (s2, q2, t2) = (state.clone(), queue.clone(), loop_thread.clone());
            let producer = thread::spawn(move || match q2.push(7) {
                Ok(()) => {
                    if s2.claim_wake().is_some() {
                        t2.unpark();
                    }
                    true
                }
                Err(v) => {
                    assert_eq!(v, 7);
                    false
                }
            });
            let (s3, q3, t3) = (state.clone(), queue.clone(), loop_thread.clone());
            let closer = thread::spawn(move || {
                q3.close();
                if s3.terminate().is_some() {
                    t3.unpark();
                }
            });
            let mut got = Vec::new();
            let mut batch = Vec::new();
            loop {
                let closed = queue.swap(&mut batch);
                got.append(&mut batch);
                // A closed queue takes no more pushes: this swap got everything accepted.
                if closed {
                    break;
                }
                if state.prepare_sleep(|| queue.is_empty(), Tier::Park) == SleepDecision::Sleep {
                    loop_thread.park(None);
                    state.resume();
                }
            }
            let accepted = producer.join().unwrap();
            closer.join().unwrap();
            assert_eq!(
                got.len(),
                usize::from(accepted),
                "conservation: run once or handed back"
            );
        });
    }
}
