//! The one place atomics, cells, locks and parking come from, so loom can replace them
//! (`RUSTFLAGS="--cfg loom"`, see `scripts/loom.sh`). Code outside this module never
//! names `std::sync::atomic` or `std::cell::UnsafeCell` directly.

// Parts used only by the loop, which is not built under loom.
#![cfg_attr(loom, allow(dead_code))]

#[cfg(not(loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

/// `UnsafeCell` with loom's closure API on both sides, so call sites are identical.
pub(crate) mod cell {
    #[cfg(loom)]
    pub(crate) use loom::cell::UnsafeCell;

    #[cfg(not(loom))]
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(loom))]
    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(v: T) -> Self {
            Self(std::cell::UnsafeCell::new(v))
        }

        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// The user-space wakeup tier's park/unpark, with token semantics (an unpark before the
/// park makes the park return at once).
///
/// std: the loop thread's own `Thread` (a futex on Linux; unpark of a thread that is not
/// parked is one atomic swap, no system call). loom: a mutex-and-condvar token, because
/// loom's `unpark` of a thread that happens to be blocked on a *mutex* (as the loop is,
/// briefly, while re-checking the queue before sleeping) wakes it from the mutex instead
/// of storing the token, which real `park` never does; the models would report that
/// artefact as a lost wakeup.
pub(crate) mod thread {
    #[cfg(not(loom))]
    #[derive(Debug, Clone)]
    pub(crate) struct Parker(std::thread::Thread);

    #[cfg(not(loom))]
    impl Parker {
        /// A parker for the calling thread, which alone may `park` on it.
        pub(crate) fn current() -> Self {
            Self(std::thread::current())
        }

        pub(crate) fn park(&self, timeout: Option<std::time::Duration>) {
            debug_assert_eq!(std::thread::current().id(), self.0.id());
            match timeout {
                Some(t) => std::thread::park_timeout(t),
                None => std::thread::park(),
            }
        }

        pub(crate) fn unpark(&self) {
            self.0.unpark();
        }
    }

    #[cfg(loom)]
    #[derive(Debug)]
    pub(crate) struct Parker {
        token: loom::sync::Mutex<bool>,
        cv: loom::sync::Condvar,
    }

    #[cfg(loom)]
    impl Parker {
        pub(crate) fn current() -> Self {
            Self {
                token: loom::sync::Mutex::new(false),
                cv: loom::sync::Condvar::new(),
            }
        }

        pub(crate) fn park(&self, _timeout: Option<std::time::Duration>) {
            let mut t = super::lock(&self.token);
            while !*t {
                t = match self.cv.wait(t) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
            *t = false;
        }

        pub(crate) fn unpark(&self) {
            *super::lock(&self.token) = true;
            self.cv.notify_one();
        }
    }
}

/// Locks a loom mutex (the parker's, the submit queue's under loom), ignoring poison:
/// every critical section in this crate leaves its data consistent before anything that
/// can panic (user code never runs under our locks).
#[cfg(loom)]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The submit queue's lock: test-and-test-and-set with a bounded spin, then yielding.
/// Its critical sections are a few stores (never user code), so a contended waiter
/// spins briefly and then gives its core away instead of sleeping in the kernel, and the
/// unlock is one release store: no locked instruction and, unlike a futex mutex under
/// contention, never a wake-up system call (with ten producer threads on two cores a
/// futex mutex stays in its contended state and every unlock made one).
///
/// The flag's protocol is [`RawSpin`], which loom models on its own
/// (`loom_spin_lock_excludes_and_publishes`). Under loom the queue's models use a loom
/// mutex in its place: a spinning waiter gives loom a new branch at every check, which
/// makes the protocol models of the queue (whose subject is the queue, not the lock)
/// too large to explore.
///
/// `repr(C)`: the flag first, so that a lock placed at the front of a block keeps its
/// flag there (the submit queue's layout). The flag and the value share a line on
/// purpose: only the holder writes either, and taking the lock brings the value's first
/// line along.
// layout:allow(possible-false-sharing)
#[cfg(not(loom))]
#[repr(C)]
pub(crate) struct SpinLock<T> {
    raw: RawSpin,
    value: std::cell::UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time (`RawSpin`: acquire on
// lock, release on unlock), so sharing it shares a `T` the way a mutex does: `T: Send`
// suffices.
#[cfg(not(loom))]
unsafe impl<T: Send> Sync for SpinLock<T> {}

#[cfg(not(loom))]
impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            raw: RawSpin::new(),
            value: std::cell::UnsafeCell::new(value),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        self.raw.lock();
        SpinGuard {
            lock: self,
            _value: core::marker::PhantomData,
        }
    }

    /// The flag's address (layout tests).
    #[cfg(test)]
    pub(crate) fn flag_addr(&self) -> usize {
        core::ptr::from_ref(&self.raw) as usize
    }
}

#[cfg(not(loom))]
impl<T> core::fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SpinLock(..)")
    }
}

/// The lock held; unlocks when dropped.
#[cfg(not(loom))]
pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// Shared between threads only if `T` is `Sync` (the guard hands out `&T`), as
    /// `&mut T` is; `&SpinLock<T>` alone would be `Sync` for any `T: Send`.
    _value: core::marker::PhantomData<&'a mut T>,
}

#[cfg(not(loom))]
impl<T> core::ops::Deref for SpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock, so no other reference to the value exists
        // while it lives.
        unsafe { &*self.lock.value.get() }
    }
}

#[cfg(not(loom))]
impl<T> core::ops::DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow of the guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

#[cfg(not(loom))]
impl<T> Drop for SpinGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

/// loom: the queue's models use a loom mutex (see [`SpinLock`]), with the same API.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct SpinLock<T>(Mutex<T>);

#[cfg(loom)]
impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        lock(&self.0)
    }
}

/// The spin lock's flag and protocol: `lock` returns once this thread set the flag from
/// clear (acquire), `unlock` clears it (release), so each holder sees everything the
/// previous one wrote under it.
pub(crate) struct RawSpin {
    locked: AtomicBool,
}

impl RawSpin {
    pub(crate) fn new() -> Self {
        Self {
            locked: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    /// One attempt to set the flag from clear (acquire).
    #[inline]
    fn try_lock(&self) -> bool {
        self.locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[cold]
    fn lock_contended(&self) {
        let mut checks = 0u32;
        loop {
            // Test before the test-and-set: waiters share the line instead of each
            // taking it exclusively in turn while the holder needs it back to unlock.
            while self.locked.load(Ordering::Relaxed) {
                checks = checks.saturating_add(1);
                backoff(checks);
            }
            if self.try_lock() {
                return;
            }
        }
    }

    /// Call only while holding the lock.
    #[inline]
    pub(crate) fn unlock(&self) {
        // Release: everything written under the lock is visible to the next holder,
        // whose acquire compare-exchange reads this store.
        self.locked.store(false, Ordering::Release);
    }
}

/// Checks a contended waiter makes, spinning, before it yields its core on each further
/// check. Few: with more runnable producer threads than cores, the holder may be waiting
/// for the very core a spinner keeps (interleaved A/B, ten producers under mimalloc:
/// 0-16 checks 0.28-0.35 of the best peer, 64 checks 0.58, 512 checks 0.79).
#[cfg(not(loom))]
const SPINS_BEFORE_YIELD: u32 = 16;
/// Checks after which a waiter sleeps between checks instead of yielding (about a
/// millisecond of yields). `yield_now` only gives the core to threads of the same
/// priority: a real-time waiter above a preempted holder on its core would otherwise
/// yield to nobody until the holder ran elsewhere. A short sleep lets anything run.
#[cfg(not(loom))]
const CHECKS_BEFORE_SLEEP: u32 = 1024;
/// How long such a waiter sleeps between checks.
#[cfg(not(loom))]
const SLEEP_BETWEEN_CHECKS: std::time::Duration = std::time::Duration::from_micros(50);

#[cfg(not(loom))]
#[inline]
fn backoff(checks: u32) {
    if checks < SPINS_BEFORE_YIELD {
        std::hint::spin_loop();
    } else if checks < CHECKS_BEFORE_SLEEP {
        std::thread::yield_now();
    } else {
        std::thread::sleep(SLEEP_BETWEEN_CHECKS);
    }
}

/// loom explores the other threads at each check (a spin loop must yield to it).
#[cfg(loom)]
fn backoff(_checks: u32) {
    loom::thread::yield_now();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::SpinLock;

    #[test]
    fn spin_lock_excludes_threads_contending_for_it() {
        // Four threads on (usually) two cores: every increment is a load and a store of
        // a plain integer, so two holders at once lose one.
        let lock = std::sync::Arc::new(SpinLock::new(0u64));
        let per_thread = if cfg!(miri) { 200 } else { 50_000 };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = std::sync::Arc::clone(&lock);
                std::thread::spawn(move || {
                    for _ in 0..per_thread {
                        let mut g = lock.lock();
                        let v = *g;
                        std::hint::black_box(&mut *g);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 4 * per_thread);
    }

    #[test]
    fn a_waiter_outlasting_its_spins_and_yields_still_gets_the_lock() {
        // Held for longer than the spinning and yielding checks take, so the waiter ends
        // up sleeping between checks; it must still take the lock once it is free, and
        // see what the holder wrote.
        let hold = std::time::Duration::from_millis(if cfg!(miri) { 2 } else { 30 });
        let lock = std::sync::Arc::new(SpinLock::new(0u32));
        let mut g = lock.lock();
        let waiter = {
            let lock = std::sync::Arc::clone(&lock);
            std::thread::spawn(move || {
                let mut g = lock.lock();
                *g += 1;
                *g
            })
        };
        std::thread::sleep(hold);
        *g = 10;
        drop(g);
        assert_eq!(waiter.join().unwrap(), 11);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{Arc, RawSpin};
    use loom::cell::UnsafeCell;

    /// The spin lock's protocol, as `SpinLock` uses it: a thread and the main one update
    /// a value under it. loom reports two accesses to the cell at once and any update
    /// lost (a missing acquire or release). A spinning waiter's every check is a branch
    /// for loom (it may read the flag's older value), so the model allows more branches
    /// than loom's default and keeps to two threads.
    #[test]
    fn loom_spin_lock_excludes_and_publishes() {
        let mut b = loom::model::Builder::new();
        b.max_branches = 100_000;
        b.check(|| {
            let shared = Arc::new((RawSpin::new(), UnsafeCell::new(0u32)));
            let add = |s: &(RawSpin, UnsafeCell<u32>), n: u32| {
                s.0.lock();
                // SAFETY: the lock is held; loom checks that no other access overlaps.
                s.1.with_mut(|p| unsafe { *p += n });
                s.0.unlock();
            };
            let t = {
                let s = Arc::clone(&shared);
                loom::thread::spawn(move || add(&s, 1))
            };
            add(&shared, 10);
            t.join().unwrap();
            shared.0.lock();
            // SAFETY: the lock is held and the other thread has finished.
            assert_eq!(shared.1.with(|p| unsafe { *p }), 11);
            shared.0.unlock();
        });
    }
}
