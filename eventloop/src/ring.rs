//! `MicrotaskRing`: a bounded single-producer single-consumer ring.
//!
//! Model: at most one thread pushes at a time and at most one thread pops at a time (the
//! two may differ). The event loop uses it from its own thread only, through
//! [`crate::microtask::MicrotaskQueue`], which also owns the overflow queue; the loom
//! models below check the two-thread claim.
//!
//! `head` (written by the consumer) and `tail` (written by the producer) sit on lines of
//! their own, 128 bytes apart so an x86_64 adjacent-line prefetch pair or an Apple
//! 128-byte line never holds both; `#[derive(CacheLayout)]` makes rustc check it for the
//! target being built.

use core::mem::MaybeUninit;

use layout::CacheLayout;

use crate::LineBreak;
use crate::sync::cell::UnsafeCell;
use crate::sync::{AtomicUsize, Ordering};

type Slot<T> = UnsafeCell<MaybeUninit<T>>;

/// Bounded SPSC ring of `T`; capacity is a power of two.
#[derive(CacheLayout)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
#[cfg_attr(not(target_arch = "s390x"), layout(size = 384, align = 128))]
#[cfg_attr(target_arch = "s390x", layout(size = 768, align = 256))]
pub(crate) struct MicrotaskRing<T> {
    /// Next index to pop; written only by the consumer.
    #[layout(group = "consumer", isolated)]
    head: AtomicUsize,
    #[layout(pad)]
    _head_line: LineBreak,
    /// Next index to push; written only by the producer.
    #[layout(group = "producer", isolated)]
    tail: AtomicUsize,
    #[layout(pad)]
    _tail_line: LineBreak,
    /// Read-only after construction, so both sides may read it without contention.
    #[layout(group = "config")]
    slots: Box<[Slot<T>]>,
    #[layout(group = "config")]
    mask: usize,
}

// SAFETY: the ring owns its `T`s and hands each to exactly one popper; moving the ring
// moves the values, so `T: Send` suffices.
unsafe impl<T: Send> Send for MicrotaskRing<T> {}
// SAFETY: shared access is limited by the `push`/`pop` contracts (one pusher, one
// popper); a slot is written by the pusher before the Release store of `tail` and read by
// the popper after the Acquire load of it, so no slot is accessed by two threads at once.
unsafe impl<T: Send> Sync for MicrotaskRing<T> {}

impl<T> MicrotaskRing<T> {
    /// A ring with room for `capacity` values, rounded up to a power of two (at least 2).
    pub(crate) fn new(capacity: usize) -> Self {
        let cap = capacity
            .max(2)
            .checked_next_power_of_two()
            .unwrap_or(1 << 20);
        let slots = (0..cap)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        Self {
            head: AtomicUsize::new(0),
            _head_line: LineBreak,
            tail: AtomicUsize::new(0),
            _tail_line: LineBreak,
            slots,
            mask: cap - 1,
        }
    }

    /// Slots in the ring.
    pub(crate) fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// Values currently queued (exact when called by the producer or consumer thread).
    pub(crate) fn len(&self) -> usize {
        // Relaxed: a snapshot for sizing decisions, not for touching slots.
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Relaxed);
        tail.wrapping_sub(head)
    }

    /// Appends `v`, or hands it back when the ring is full.
    ///
    /// # Safety
    /// No other thread may run `push` on this ring at the same time.
    pub(crate) unsafe fn push(&self, v: T) -> Result<(), T> {
        // Relaxed: only this (the single) producer writes `tail`.
        let tail = self.tail.load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of `head` in `pop`, so the consumer's read
        // of the slot we may now reuse happened before our write to it.
        let head = self.head.load(Ordering::Acquire);
        if tail.wrapping_sub(head) > self.mask {
            return Err(v);
        }
        self.slots[tail & self.mask].with_mut(|p| {
            // SAFETY: the slot at `tail` is outside `head..tail`, so the consumer does not
            // read it (see the Acquire above), and no other producer runs (our contract).
            unsafe { (*p).write(v) };
        });
        // Release: pairs with the Acquire load of `tail` in `pop`, publishing the slot.
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Removes the oldest value.
    ///
    /// # Safety
    /// No other thread may run `pop` on this ring at the same time.
    pub(crate) unsafe fn pop(&self) -> Option<T> {
        // Relaxed: only this (the single) consumer writes `head`.
        let head = self.head.load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of `tail` in `push`: the slot's value is
        // visible once we see the index that covers it.
        let tail = self.tail.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        let v = self.slots[head & self.mask].with_mut(|p| {
            // SAFETY: `head < tail`, so `push` initialised this slot and published it with
            // the Release store we acquired; no other consumer runs (our contract), and
            // the producer does not reuse it until our `head` store below.
            unsafe { (*p).assume_init_read() }
        });
        // Release: pairs with the Acquire load of `head` in `push`: our read of the slot
        // happens before the producer overwrites it.
        self.head.store(head.wrapping_add(1), Ordering::Release);
        Some(v)
    }
}

impl<T> Drop for MicrotaskRing<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread pushes or pops.
        while let Some(v) = unsafe { self.pop() } {
            drop(v);
        }
    }
}

impl<T> core::fmt::Debug for MicrotaskRing<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MicrotaskRing")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn fifo_wraps_and_reports_full() {
        let r = MicrotaskRing::new(3);
        assert_eq!(r.capacity(), 4);
        for round in 0..5 {
            for i in 0..4 {
                // SAFETY: single-threaded test: one pusher, one popper.
                assert!(unsafe { r.push(round * 10 + i) }.is_ok());
            }
            // SAFETY: as above.
            assert_eq!(unsafe { r.push(99) }, Err(99));
            for i in 0..4 {
                // SAFETY: as above.
                assert_eq!(unsafe { r.pop() }, Some(round * 10 + i));
            }
            // SAFETY: as above.
            assert_eq!(unsafe { r.pop() }, None);
        }
    }

    #[test]
    fn drop_releases_queued_values() {
        let token = Rc::new(());
        {
            let r = MicrotaskRing::new(8);
            for _ in 0..5 {
                // SAFETY: single-threaded test.
                unsafe { r.push(Rc::clone(&token)) }.unwrap();
            }
            // SAFETY: single-threaded test.
            drop(unsafe { r.pop() });
            assert_eq!(Rc::strong_count(&token), 5);
        }
        assert_eq!(Rc::strong_count(&token), 1);
    }

    #[test]
    fn two_threads_conserve_values() {
        let n: usize = if cfg!(miri) { 200 } else { 200_000 };
        let r = std::sync::Arc::new(MicrotaskRing::new(16));
        let p = std::sync::Arc::clone(&r);
        let producer = std::thread::spawn(move || {
            for i in 0..n {
                let mut v = i;
                loop {
                    // SAFETY: this thread is the only pusher.
                    match unsafe { p.push(v) } {
                        Ok(()) => break,
                        Err(back) => {
                            v = back;
                            std::thread::yield_now();
                        }
                    }
                }
            }
        });
        let mut next = 0;
        while next < n {
            // SAFETY: this thread is the only popper.
            match unsafe { r.pop() } {
                Some(v) => {
                    assert_eq!(v, next, "FIFO order");
                    next += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
        // SAFETY: producer joined; single thread.
        assert_eq!(unsafe { r.pop() }, None);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Producer pushes 3 values into a 2-slot ring (retrying when full) while the consumer
    /// pops; every value arrives once, in order, and none is left behind.
    #[test]
    fn loom_ring_spsc_conserves() {
        loom::model(|| {
            let r = Arc::new(MicrotaskRing::new(2));
            let p = Arc::clone(&r);
            let producer = loom::thread::spawn(move || {
                let mut pushed = 0;
                for i in 0..3usize {
                    let mut v = i;
                    loop {
                        // SAFETY: the only pusher.
                        match unsafe { p.push(v) } {
                            Ok(()) => break,
                            Err(back) => {
                                v = back;
                                loom::thread::yield_now();
                            }
                        }
                    }
                    pushed += 1;
                }
                pushed
            });
            let mut got = Vec::new();
            while got.len() < 3 {
                // SAFETY: the only popper.
                match unsafe { r.pop() } {
                    Some(v) => got.push(v),
                    None => loom::thread::yield_now(),
                }
            }
            let pushed = producer.join().unwrap();
            // SAFETY: producer joined.
            assert_eq!(unsafe { r.pop() }, None);
            assert_eq!(pushed, got.len(), "conservation: pushed == popped");
            assert_eq!(got, vec![0, 1, 2]);
        });
    }
}
