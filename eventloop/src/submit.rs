//! The cross-thread submit queue: a mutex over a buffer that the loop swaps for an empty
//! one (batch swap). Producers hold the lock for one push of an inline task (a few words
//! into a [`crate::task::TaskBuf`]); the loop takes a whole batch per lock. Both buffers
//! keep their capacity, so a steady stream of small tasks allocates nothing.

// Parts used only by the loop, which is not built under loom.
#![cfg_attr(loom, allow(dead_code))]

use layout::CacheLayout;

use crate::sync::{AtomicU64, Mutex, Ordering, lock};

/// What a batch is stored in: a `TaskBuf` in the loop, a `Vec` in the loom models.
pub(crate) trait Buffer: Default {
    type Item;
    fn push(&mut self, item: Self::Item);
    fn is_empty(&self) -> bool;
    /// Moves every item of `other` to the end of `self`, in order.
    fn append(&mut self, other: &mut Self);
}

impl<T> Buffer for Vec<T> {
    type Item = T;
    fn push(&mut self, item: T) {
        Vec::push(self, item);
    }
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
    fn append(&mut self, other: &mut Self) {
        Vec::append(self, other);
    }
}

#[derive(Debug)]
struct Batch<B> {
    items: B,
    /// Set by shutdown under the lock: a push either lands before it (and will run) or
    /// sees it (and is handed back). This is what makes shutdown lose nothing.
    closed: bool,
    accepted: u64,
}

/// Multi-producer queue drained in batches by one consumer. The lock and the counter
/// are written together by the producer holding the lock: one group, one line.
#[derive(Debug, CacheLayout)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
#[cfg_attr(not(target_arch = "s390x"), layout(align = 128))]
#[cfg_attr(target_arch = "s390x", layout(align = 256))]
pub(crate) struct SubmitQueue<B> {
    #[layout(group = "submit")]
    batch: Mutex<Batch<B>>,
    /// Copy of `Batch::accepted`, stored under the lock: lets the loop spin and `stats`
    /// read without taking the lock.
    #[layout(group = "submit")]
    accepted_hint: AtomicU64,
}

impl<B: Buffer> SubmitQueue<B> {
    pub(crate) fn new() -> Self {
        Self {
            batch: Mutex::new(Batch {
                items: B::default(),
                closed: false,
                accepted: 0,
            }),
            accepted_hint: AtomicU64::new(0),
        }
    }

    /// Appends `item`, or hands it back once the queue is closed.
    pub(crate) fn push(&self, item: B::Item) -> Result<(), B::Item> {
        self.push_with(item, B::push)
    }

    /// Stores `item` with `put` under the lock, or hands it back once the queue is
    /// closed (`put` is not called then).
    #[inline]
    pub(crate) fn push_with<T>(&self, item: T, put: impl FnOnce(&mut B, T)) -> Result<(), T> {
        let mut b = lock(&self.batch);
        if b.closed {
            return Err(item);
        }
        put(&mut b.items, item);
        b.accepted += 1;
        // Relaxed: a hint; the mutex orders the queue itself (its unlock pairs with the
        // lock in `swap` / `is_empty`).
        self.accepted_hint.store(b.accepted, Ordering::Relaxed);
        Ok(())
    }

    /// Moves every queued item into `into` (which should be empty, to keep the capacity
    /// recycling) and returns whether the queue is closed.
    pub(crate) fn swap(&self, into: &mut B) -> bool {
        let mut b = lock(&self.batch);
        if into.is_empty() {
            std::mem::swap(&mut b.items, into);
        } else {
            into.append(&mut b.items);
        }
        b.closed
    }

    /// Whether nothing is queued; takes the lock, which is what the sleep protocol needs.
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.batch).items.is_empty()
    }

    /// Stops accepting. Returns whether this call closed it.
    pub(crate) fn close(&self) -> bool {
        let mut b = lock(&self.batch);
        !std::mem::replace(&mut b.closed, true)
    }

    /// Items accepted so far (a relaxed snapshot).
    pub(crate) fn accepted(&self) -> u64 {
        // Relaxed: statistics and spin hints only.
        self.accepted_hint.load(Ordering::Relaxed)
    }
}

/// Most submit-queue shards a loop can have (`Config::submit_shards`).
#[cfg(not(loom))]
pub(crate) const MAX_SHARDS: usize = 4;

/// The submit queue, sharded: each producer thread always uses the same shard of the
/// loop's first `n` (so its tasks keep their order), and a producer preempted while
/// holding one shard's lock stalls only the producers of that shard. With `n == 1` this
/// is one queue, and acceptance order is one total order across all producers.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct Sharded<B> {
    shards: [SubmitQueue<B>; MAX_SHARDS],
}

/// This thread's shard among `n`: threads are numbered in the order they first submit
/// (to any loop), round robin over the shards.
#[cfg(not(loom))]
#[inline]
pub(crate) fn thread_shard(n: usize) -> usize {
    // The default (one shard) reads no thread-local at all.
    if n <= 1 { 0 } else { thread_slot() % n }
}

/// This thread's number, assigned on its first sharded submit.
#[cfg(not(loom))]
fn thread_slot() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: Cell<Option<usize>> = const { Cell::new(None) };
    }
    SLOT.with(|c| match c.get() {
        Some(v) => v,
        None => {
            // Relaxed: only distinctness matters.
            let v = NEXT.fetch_add(1, Ordering::Relaxed);
            c.set(Some(v));
            v
        }
    })
}

#[cfg(not(loom))]
impl<B: Buffer> Sharded<B> {
    pub(crate) fn new() -> Self {
        Self {
            shards: std::array::from_fn(|_| SubmitQueue::new()),
        }
    }

    #[inline]
    pub(crate) fn shard(&self, i: usize) -> &SubmitQueue<B> {
        &self.shards[i]
    }

    /// Whether all shards are empty, each checked under its lock (the sleep protocol of
    /// `state.rs`, once per shard).
    pub(crate) fn is_empty(&self) -> bool {
        self.shards.iter().all(SubmitQueue::is_empty)
    }

    /// Closes every shard; a push lands before its shard closed (and runs) or is handed
    /// back.
    pub(crate) fn close(&self) {
        for s in &self.shards {
            s.close();
        }
    }

    /// Tasks accepted by the first `n` shards (relaxed snapshots).
    pub(crate) fn accepted(&self, n: usize) -> u64 {
        self.shards[..n].iter().map(SubmitQueue::accepted).sum()
    }
}
