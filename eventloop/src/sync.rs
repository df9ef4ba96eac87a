//! The one place atomics, cells, locks and parking come from, so loom can replace them
//! (`RUSTFLAGS="--cfg loom"`, see `scripts/loom.sh`). Code outside this module never
//! names `std::sync::atomic` or `std::cell::UnsafeCell` directly.

// Parts used only by the loop, which is not built under loom.
#![cfg_attr(loom, allow(dead_code))]

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// Locks a mutex, ignoring poison: every critical section in this crate leaves its data
/// consistent before anything that can panic (user code never runs under our locks).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
