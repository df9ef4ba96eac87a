//! The loop-thread microtask queue: a [`MicrotaskRing`] that spills into a `VecDeque`
//! when full. Nothing is dropped; every spill is counted and a rate-limited warning
//! suggests a bigger `Config::microtask_capacity`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::ring::MicrotaskRing;

/// At most one overflow warning per this interval.
const WARN_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct MicrotaskQueue<T> {
    ring: MicrotaskRing<T>,
    /// Holds values pushed while the ring was full. While it is non-empty every push goes
    /// here too, so the ring always holds the older values and FIFO order is kept.
    overflow: VecDeque<T>,
    overflowed: u64,
    last_warn: Option<Instant>,
}

impl<T> MicrotaskQueue<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            ring: MicrotaskRing::new(capacity),
            overflow: VecDeque::new(),
            overflowed: 0,
            last_warn: None,
        }
    }

    pub(crate) fn push(&mut self, v: T) {
        let v = if self.overflow.is_empty() {
            // SAFETY: `&mut self`: this is the only pusher (and popper).
            match unsafe { self.ring.push(v) } {
                Ok(()) => return,
                Err(v) => v,
            }
        } else {
            v
        };
        self.overflow.push_back(v);
        self.overflowed += 1;
        self.warn();
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        // SAFETY: `&mut self`: this is the only popper (and pusher).
        match unsafe { self.ring.pop() } {
            Some(v) => Some(v),
            None => self.overflow.pop_front(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ring.len() == 0 && self.overflow.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.ring.len() + self.overflow.len()
    }

    /// Pushes that did not fit in the ring, since creation.
    pub(crate) fn overflowed(&self) -> u64 {
        self.overflowed
    }

    fn warn(&mut self) {
        let now = Instant::now();
        if self
            .last_warn
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            return;
        }
        self.last_warn = Some(now);
        log::warn!(
            "eventloop: microtask ring (capacity {}) is full; {} microtasks spilled to the \
             overflow queue so far. Consider Config::microtask_capacity >= {}",
            self.ring.capacity(),
            self.overflowed,
            (self.ring.capacity() + self.overflow.len()).next_power_of_two()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_in_order_and_counts() {
        let mut q = MicrotaskQueue::new(4);
        for i in 0..10 {
            q.push(i);
        }
        assert_eq!(q.len(), 10);
        assert_eq!(q.overflowed(), 6);
        // Interleave: pushes while the overflow is non-empty must queue behind it.
        assert_eq!(q.pop(), Some(0));
        q.push(10);
        assert_eq!(q.overflowed(), 7);
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(rest, (1..=10).collect::<Vec<_>>());
        assert!(q.is_empty());
        q.push(11);
        assert_eq!(
            q.overflowed(),
            7,
            "back in the ring once the overflow drained"
        );
        assert_eq!(q.pop(), Some(11));
    }
}
