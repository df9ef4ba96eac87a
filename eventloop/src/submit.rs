//! The cross-thread submit queue: a lock ([`SpinLock`]) over a buffer that the loop swaps
//! for an empty one (batch swap). Producers hold the lock for one push of an inline task
//! (a few words into a [`crate::task::TaskBuf`]); the loop takes a whole batch per lock.
//! Both buffers keep their capacity, so a steady stream of small tasks allocates nothing.
//!
//! With two or more shards ([`Sharded`]) each submit also takes a *ticket*, and the loop
//! runs tasks in ticket order, which keeps every happens-before order between submits
//! (the proof is on [`Sharded`]).

// Parts used only by the loop, which is not built under loom.
#![cfg_attr(loom, allow(dead_code))]

use layout::CacheLayout;

use crate::sync::{AtomicU64, Ordering, SpinLock};

/// What a batch is stored in: a `TaskBuf` in the loop, a `Vec` in the loom models.
pub(crate) trait Buffer: Default {
    type Item;
    fn push(&mut self, item: Self::Item);
    fn is_empty(&self) -> bool;
    /// Moves every item of `other` to the end of `self`, in order.
    fn append(&mut self, other: &mut Self);
    /// The oldest item, moved out.
    fn pop(&mut self) -> Option<Self::Item>;
}

/// The loom models' buffer (`pop` is O(n): the models hold a few items).
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
    fn pop(&mut self) -> Option<T> {
        if self.is_empty() {
            None
        } else {
            Some(self.remove(0))
        }
    }
}

/// What the lock guards. `repr(C)`, in this order, so that with the counter and the lock
/// before it, everything a push into an empty one-shard queue reads or writes (the
/// counter, the lock word, `closed`, and the buffer's inline entry and count: see
/// `TaskBuf`) lies in the first 64 bytes of the queue's 128-byte block. A 64-byte-line
/// CPU moves that block as two lines; a request/response round trip now moves one.
/// (On 32-bit targets `closed` first costs an 8-byte hole that `tickets` second would
/// fill; that would push the inline entry towards the next line, so the hole stays.)
// layout:allow(padding-waste)
#[derive(Debug)]
#[repr(C)]
struct Batch<B> {
    /// Set by shutdown under the lock: a push either lands before it (and will run) or
    /// sees it (and is handed back). This is what makes shutdown lose nothing.
    closed: bool,
    items: B,
    /// With two or more shards: each item's ticket, in push order (so increasing). Empty
    /// with one shard.
    tickets: Vec<u64>,
}

/// Multi-producer queue drained in batches by one consumer. The counter and the lock
/// are written together by the producer holding the lock: one group, one line.
#[derive(Debug, CacheLayout)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
#[cfg_attr(not(target_arch = "s390x"), layout(align = 128))]
#[cfg_attr(target_arch = "s390x", layout(align = 256))]
pub(crate) struct SubmitQueue<B> {
    /// Tasks accepted so far: written only under the lock (so a plain load and store
    /// count it), read without the lock by the loop's spin and by `stats`.
    #[layout(group = "submit")]
    accepted: AtomicU64,
    #[layout(group = "submit")]
    batch: SpinLock<Batch<B>>,
}

impl<B: Buffer> SubmitQueue<B> {
    pub(crate) fn new() -> Self {
        Self {
            accepted: AtomicU64::new(0),
            batch: SpinLock::new(Batch {
                closed: false,
                items: B::default(),
                tickets: Vec::new(),
            }),
        }
    }

    /// Appends `item`, or hands it back once the queue is closed.
    pub(crate) fn push(&self, item: B::Item) -> Result<(), B::Item> {
        self.push_with(item, B::push)
    }

    /// Stores `item` with `put` under the lock, or hands it back once the queue is
    /// closed (`put` is not called then). The one-shard push: no ticket.
    #[inline]
    pub(crate) fn push_with<T>(&self, item: T, put: impl FnOnce(&mut B, T)) -> Result<(), T> {
        let mut b = self.batch.lock();
        if b.closed {
            return Err(item);
        }
        put(&mut b.items, item);
        self.count_accepted();
        Ok(())
    }

    /// The push of [`Sharded`]: as `push_with`, and gives the item a ticket while holding
    /// the lock (which the ordering proof on `Sharded` needs): `last`, this thread's
    /// ticket of its previous push to this loop, again if no ticket was taken since,
    /// else a new one from `next`. Returns the ticket.
    #[inline]
    fn push_ticketed<T>(
        &self,
        next: &AtomicU64,
        last: Option<u64>,
        item: T,
        put: impl FnOnce(&mut B, T),
    ) -> Result<u64, T> {
        let mut b = self.batch.lock();
        if b.closed {
            return Err(item);
        }
        // The item first: a `put` that unwinds (it can only fail before it stores
        // anything) then takes no ticket. Where in the critical section the ticket is
        // taken does not matter to the proof, only that the lock is held.
        put(&mut b.items, item);
        // Relaxed, both: the proof on `Sharded` uses the shard lock and the coherence of
        // this one atomic, never a synchronization through it.
        let t = match last {
            Some(t) if next.load(Ordering::Relaxed) == t + 1 => t,
            _ => next.fetch_add(1, Ordering::Relaxed),
        };
        b.tickets.push(t);
        self.count_accepted();
        Ok(t)
    }

    /// One more accepted; call with the lock held (only lock holders write the counter,
    /// so a load and a store count without a locked instruction).
    #[inline]
    fn count_accepted(&self) {
        // Relaxed: a count for the loop's spin and `stats`; the lock orders the queue
        // itself (its unlock pairs with the lock in `swap` / `is_empty`).
        let n = self.accepted.load(Ordering::Relaxed);
        self.accepted.store(n + 1, Ordering::Relaxed);
    }

    /// Moves every queued item into `into` (which should be empty, to keep the capacity
    /// recycling) and returns whether the queue is closed.
    pub(crate) fn swap(&self, into: &mut B) -> bool {
        let mut b = self.batch.lock();
        if into.is_empty() {
            std::mem::swap(&mut b.items, into);
        } else {
            into.append(&mut b.items);
        }
        b.closed
    }

    /// `swap` for ticketed items: `into` must be empty (`Lane::make_room`); it gets the
    /// batch and its tickets, and the queue gets `into`'s buffers (their capacity).
    fn swap_ticketed(&self, into: &mut Run<B>) -> bool {
        debug_assert!(into.is_empty() && into.tickets.is_empty());
        let mut b = self.batch.lock();
        let b = &mut *b;
        std::mem::swap(&mut b.items, &mut into.items);
        std::mem::swap(&mut b.tickets, &mut into.tickets);
        into.head = 0;
        b.closed
    }

    /// Whether nothing is queued; takes the lock, which is what the sleep protocol needs.
    pub(crate) fn is_empty(&self) -> bool {
        self.batch.lock().items.is_empty()
    }

    /// Stops accepting. Returns whether this call closed it.
    pub(crate) fn close(&self) -> bool {
        let mut b = self.batch.lock();
        !std::mem::replace(&mut b.closed, true)
    }

    /// Items accepted so far by `push_with` (a relaxed snapshot).
    pub(crate) fn accepted(&self) -> u64 {
        // Relaxed: statistics and spin hints only.
        self.accepted.load(Ordering::Relaxed)
    }
}

/// Most submit-queue shards a loop can have (`Config::submit_shards`).
pub(crate) const MAX_SHARDS: usize = 4;

/// The submit queue, sharded: each producer thread always uses the same shard of the
/// loop's first `n`, and a producer preempted while holding one shard's lock stalls only
/// the producers of that shard. With `n == 1` this is one queue (`shard(0)`, no ticket),
/// and acceptance order is one total order across all producers.
///
/// # Order across shards (`n >= 2`)
///
/// Every push gives its item a ticket while holding its shard's lock
/// ([`SubmitQueue::push_ticketed`]): a new one, `next_ticket.fetch_add(1)`, or, if the
/// counter still reads one past the ticket of this thread's previous push to this loop
/// (no one took a ticket since), that ticket again (*reuse*: a load instead of a write,
/// so a producer that streams alone, or in turns with others, does not pull the
/// counter's line from their cores on every submit). A round of the loop
/// ([`Sharded::take_round`]) loads the counter (`C`) *before* it locks any shard, then
/// swaps every shard's batch out; [`merge_below`] runs the tasks with a ticket below `C`
/// in ticket order and leaves the others (the carry) for the next round, in front of what
/// that round takes. Why this keeps every happens-before order, using only the shard
/// locks and the coherence of the one counter (every access to it is Relaxed):
///
/// 1. *A shard's tickets never decrease, and a ticket is in one shard only.* A new
///    ticket is unique (an RMW result); a reused one is its thread's own, and a thread
///    always uses one shard. A thread reuses `t` only if the counter reads `t + 1`; a
///    push by another thread to the same shard since this thread's last one accessed
///    the counter in between (the lock orders them), and either moved it past `t + 1`
///    (a new ticket) or saw at least `t + 1` and reused its own ticket `u >= t`, where
///    `u = t` would make it the same ticket, so the same thread. So a reuse repeats the
///    newest ticket of its shard.
/// 2. *Tickets follow happens-before across shards.* Let submit A happen before submit B,
///    on different shards, with tickets `a` and `b`. A's access to the counter (its
///    `fetch_add`, or the load that saw `a + 1`) happens before B's, so B's sees at
///    least `a + 1` (coherence). If B takes a new ticket, `b >= a + 1`. If B reuses `b`,
///    it saw `b + 1 >= a + 1`, so `b >= a`, and `b = a` would make it the same ticket of
///    the same thread, so the same shard. Either way `a < b`.
/// 3. *Nothing runs before what happened before it.* Let B run in a round with cutoff `C`
///    (`b < C`) and A happen before B. Same shard: A's push came first under the lock, so
///    it was taken with or before B's. Other shard: suppose A was not taken yet. Then the
///    loop locked A's shard in this round before A did, so the loop's load of `C`
///    happens before A's access to the counter, which therefore sees at least `C`: a new
///    ticket is `a >= C`, a reuse `a >= C - 1`. But `a < b < C` (2), so `a <= C - 2`: a
///    contradiction. So A was taken, in this round or before, and the merge runs it
///    first (`a < b`).
/// 4. *The carry runs next round.* A carried task's ticket `t >= C` was read under its
///    shard's lock after the counter showed `t + 1` (written by that `fetch_add`, or seen
///    by the reuse); the next round's load comes later, so it reads at least `t + 1`
///    (coherence) and that round runs it. The loop never sleeps or finishes with a carry:
///    it counts as queued work (`Lane::is_empty`).
///
/// Shutdown is unchanged: `close` sets each shard's `closed` under its lock, and a push
/// takes its ticket only after finding its shard open, under the same lock; a push
/// either lands before the close (it is then swapped out by a later round, and, by 4, run
/// or handed back in ticket order) or is handed back. The counter stops once every
/// shard is closed, so the rounds after that run everything.
///
/// A task may wait one round for a ticket taken between the load and a swap; with one
/// shard none of this is needed (the lock's total order is the order) and nothing of it
/// runs.
#[derive(Debug, CacheLayout)]
#[cfg_attr(not(target_arch = "s390x"), repr(C, align(128)))]
#[cfg_attr(target_arch = "s390x", repr(C, align(256)))]
#[cfg_attr(not(target_arch = "s390x"), layout(align = 128))]
#[cfg_attr(target_arch = "s390x", layout(align = 256))]
pub(crate) struct Sharded<B, const N: usize = MAX_SHARDS> {
    /// Each written by its own producers and swapped by the loop: one aligned block each.
    #[layout(group = "shards")]
    shards: [SubmitQueue<B>; N],
    /// The next ticket (with two or more shards): read by every submit and written by
    /// those that take a new ticket, read by the loop once per round. On a line of its
    /// own, so the producers of one shard never pull another shard's lock line to take a
    /// ticket. Never touched with one shard.
    #[layout(isolated)]
    next_ticket: AtomicU64,
}

#[cfg(not(loom))]
thread_local! {
    /// This thread's shard for each shard count 2..=MAX_SHARDS, one byte each (byte
    /// `n - 2`), with bit 31 set once assigned: a submit picks its shard with a shift and
    /// a mask instead of a division.
    static SHARDS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// This thread's shard among `n` (2 to `MAX_SHARDS`): threads are numbered in the order
/// they first submit to a sharded loop (to any loop), round robin over the shards.
#[cfg(not(loom))]
#[inline]
pub(crate) fn thread_shard(n: usize) -> usize {
    debug_assert!((2..=MAX_SHARDS).contains(&n));
    let mut packed = SHARDS.get();
    if packed == 0 {
        packed = assign_thread_shards();
    }
    ((packed >> (8 * (n - 2))) & 0xff) as usize
}

/// Numbers this thread (on its first sharded submit) and stores its shard for every
/// shard count.
#[cfg(not(loom))]
#[cold]
fn assign_thread_shards() -> u32 {
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // Relaxed: only distinctness matters.
    let slot = NEXT.fetch_add(1, Ordering::Relaxed);
    let packed = (2..=MAX_SHARDS).fold(1 << 31, |p, n| p | ((slot % n) as u32) << (8 * (n - 2)));
    SHARDS.set(packed);
    packed
}

impl<B: Buffer, const N: usize> Sharded<B, N> {
    pub(crate) fn new() -> Self {
        Self {
            shards: std::array::from_fn(|_| SubmitQueue::new()),
            next_ticket: AtomicU64::new(0),
        }
    }

    /// Shard `i`; with one shard, `shard(0)` is the whole queue (`push_with`, `swap`).
    #[inline]
    pub(crate) fn shard(&self, i: usize) -> &SubmitQueue<B> {
        &self.shards[i]
    }

    /// The push with two or more shards: to shard `i`, with a ticket. `last`: the
    /// ticket this thread's previous push to this loop returned, if any (the caller
    /// keeps it per thread and per loop; a thread must always use the same shard).
    /// Returns this push's ticket.
    #[inline]
    pub(crate) fn push_ordered_with<T>(
        &self,
        i: usize,
        last: Option<u64>,
        item: T,
        put: impl FnOnce(&mut B, T),
    ) -> Result<u64, T> {
        self.shards[i].push_ticketed(&self.next_ticket, last, item, put)
    }

    /// One round's take with two or more shards: reads the cutoff, then swaps each of the
    /// first `lanes.len()` shards' batch into its lane (after the lane's carry). Returns
    /// the cutoff (pass it to [`merge_below`]) and whether every shard was closed when
    /// it was swapped (then nothing more will arrive).
    pub(crate) fn take_round(&self, lanes: &mut [Lane<B>]) -> (u64, bool) {
        // Relaxed: what matters is that it comes before the first lock below (the type's
        // docs, point 3).
        let cutoff = self.next_ticket.load(Ordering::Relaxed);
        let mut closed = true;
        for (q, lane) in self.shards.iter().zip(lanes.iter_mut()) {
            lane.make_room();
            closed &= q.swap_ticketed(&mut lane.fresh);
        }
        (cutoff, closed)
    }

    /// Whether all shards are empty, each checked under its lock (the sleep protocol of
    /// `state.rs`, once per shard). The loop's own carry is checked apart (`Lane`).
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
    #[inline]
    pub(crate) fn accepted(&self, n: usize) -> u64 {
        if n <= 1 {
            self.shards[0].accepted()
        } else {
            self.shards[..n].iter().map(SubmitQueue::accepted).sum()
        }
    }

    /// Tasks accepted by any shard (statistics).
    pub(crate) fn submitted(&self) -> u64 {
        self.accepted(N)
    }
}

/// Ticketed items taken from one shard: `items`' k-th entry has ticket
/// `tickets[head + k]`.
#[derive(Debug, Default)]
struct Run<B> {
    items: B,
    tickets: Vec<u64>,
    head: usize,
}

impl<B: Buffer> Run<B> {
    #[inline]
    fn front(&self) -> Option<u64> {
        self.tickets.get(self.head).copied()
    }

    /// How many items from the front have a ticket below `limit` (tickets increase).
    #[inline]
    fn count_below(&self, limit: u64) -> usize {
        self.tickets[self.head..].partition_point(|&t| t < limit)
    }

    /// Runs up to `k` items from the front through `run` until it returns false; returns
    /// how many it ran and whether it was told to stop.
    #[inline]
    fn run_front(&mut self, k: usize, run: &mut impl FnMut(B::Item) -> bool) -> (usize, bool) {
        let mut done = 0;
        let mut stopped = false;
        while done < k {
            let Some(item) = self.items.pop() else { break };
            // Advanced per item, so the tickets stay in step whatever `run` does.
            self.head += 1;
            done += 1;
            if !run(item) {
                stopped = true;
                break;
            }
        }
        if self.head == self.tickets.len() {
            // Everything popped: reuse the tickets' room from the start.
            self.tickets.clear();
            self.head = 0;
        }
        (done, stopped)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn len(&self) -> usize {
        self.tickets.len() - self.head
    }

    /// Moves `other`'s items after this run's, keeping their tickets.
    fn append(&mut self, other: &mut Self) {
        self.items.append(&mut other.items);
        self.tickets.extend_from_slice(&other.tickets[other.head..]);
        other.tickets.clear();
        other.head = 0;
    }
}

/// The loop's side of one shard (two or more shards): what earlier rounds left
/// (`carry`, tickets at or above their cutoff) and what this round took (`fresh`,
/// all newer). Loop-thread only.
#[derive(Debug, Default)]
pub(crate) struct Lane<B> {
    carry: Run<B>,
    fresh: Run<B>,
}

impl<B: Buffer> Lane<B> {
    #[inline]
    fn front(&self) -> Option<u64> {
        if self.carry.is_empty() {
            self.fresh.front()
        } else {
            self.carry.front()
        }
    }

    /// The run the front belongs to.
    #[inline]
    fn current(&mut self) -> &mut Run<B> {
        if self.carry.is_empty() {
            &mut self.fresh
        } else {
            &mut self.carry
        }
    }

    /// Whether nothing is held: a carry counts as queued work for the sleep protocol
    /// and for shutdown.
    pub(crate) fn is_empty(&self) -> bool {
        self.carry.is_empty() && self.fresh.is_empty()
    }

    /// Tasks held (taken from the shard, not yet run or handed back).
    pub(crate) fn len(&self) -> usize {
        self.carry.len() + self.fresh.len()
    }

    /// Empties `fresh` for the next swap, keeping the order: what is left of it becomes
    /// the carry (usual: the carry was run), or is appended to it (only after a stop).
    fn make_room(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        if self.carry.is_empty() {
            std::mem::swap(&mut self.carry, &mut self.fresh);
        } else {
            self.carry.append(&mut self.fresh);
        }
    }

    /// After a burst: keeps at most `keep_bytes` of ticket room per run, and lets
    /// `items` trim each item buffer likewise.
    pub(crate) fn trim(&mut self, keep_bytes: usize, mut items: impl FnMut(&mut B)) {
        for run in [&mut self.carry, &mut self.fresh] {
            items(&mut run.items);
            let keep = keep_bytes / size_of::<u64>();
            if run.tickets.capacity() > keep {
                run.tickets.shrink_to(keep);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
impl Lane<crate::task::TaskBuf> {
    /// Bytes reserved by the lane's two item buffers.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.carry.items.capacity_bytes() + self.fresh.items.capacity_bytes()
    }
}

/// Runs, in ticket order, every task held by `lanes` whose ticket is below `cutoff`: a
/// k-way merge of the lanes, whose tickets each increase. From the lane with the
/// smallest front it runs every task whose ticket is below both the cutoff and every
/// other lane's front (one scan of the fronts and one binary search per switch of lane;
/// per task, only the pop). `run` returns false to stop at once (the rest stays held).
/// Returns how many ran.
pub(crate) fn merge_below<B: Buffer>(
    lanes: &mut [Lane<B>],
    cutoff: u64,
    mut run: impl FnMut(B::Item) -> bool,
) -> usize {
    let mut ran = 0;
    loop {
        // `lo`: the smallest front (in lane `best`); `limit`: the next smallest of the
        // other fronts and the cutoff. Tickets are unique, so fronts never tie.
        let (mut best, mut lo, mut limit) = (usize::MAX, cutoff, cutoff);
        for (i, lane) in lanes.iter().enumerate() {
            if let Some(t) = lane.front() {
                if t < lo {
                    (limit, lo, best) = (lo, t, i);
                } else if t < limit {
                    limit = t;
                }
            }
        }
        let Some(lane) = lanes.get_mut(best) else {
            return ran;
        };
        let cur = lane.current();
        let k = cur.count_below(limit);
        let (done, stopped) = cur.run_front(k, &mut run);
        ran += done;
        if stopped || done < k {
            // Told to stop (or, never, a run shorter than its tickets).
            return ran;
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn lane(tickets: &[u64]) -> Lane<Vec<u64>> {
        let mut l = Lane::default();
        // Items are their own tickets here, so the run order shows the merge.
        l.fresh.items = tickets.to_vec();
        l.fresh.tickets = tickets.to_vec();
        l
    }

    #[test]
    fn merge_runs_below_the_cutoff_in_ticket_order_and_carries_the_rest() {
        let mut lanes = vec![
            lane(&[0, 3, 4, 9]),
            lane(&[1, 2, 7]),
            lane(&[]),
            lane(&[5, 8]),
        ];
        let mut got = Vec::new();
        let ran = merge_below(&mut lanes, 8, |x| {
            got.push(x);
            true
        });
        assert_eq!(got, vec![0, 1, 2, 3, 4, 5, 7]);
        assert_eq!(ran, 7);
        assert_eq!(
            lanes.iter().map(Lane::len).sum::<usize>(),
            2,
            "9 and 8 carried"
        );
        // The next round: new tickets come after the carry.
        for l in &mut lanes {
            l.make_room();
        }
        lanes[0].fresh.items = vec![10];
        lanes[0].fresh.tickets = vec![10];
        got.clear();
        merge_below(&mut lanes, 11, |x| {
            got.push(x);
            true
        });
        assert_eq!(got, vec![8, 9, 10]);
        assert!(lanes.iter().all(Lane::is_empty));
    }

    #[test]
    fn merge_stops_when_asked_and_keeps_the_rest_in_order() {
        let mut lanes = vec![lane(&[0, 2]), lane(&[1, 3])];
        let mut got = Vec::new();
        merge_below(&mut lanes, u64::MAX, |x| {
            got.push(x);
            x != 1
        });
        assert_eq!(got, vec![0, 1]);
        // A stop leaves a carry and a fresh run in one lane: both kept, in order.
        lanes[0].carry = std::mem::take(&mut lanes[0].fresh);
        lanes[0].fresh.items = vec![4];
        lanes[0].fresh.tickets = vec![4];
        lanes[0].make_room();
        got.clear();
        merge_below(&mut lanes, u64::MAX, |x| {
            got.push(x);
            true
        });
        assert_eq!(got, vec![2, 3, 4]);
    }

    #[test]
    fn a_ticket_missing_from_every_lane_does_not_stall_the_merge() {
        // Tickets are dense in practice; the merge must not depend on it.
        let mut lanes = vec![lane(&[0, 5]), lane(&[2])];
        let mut got = Vec::new();
        merge_below(&mut lanes, 6, |x| {
            got.push(x);
            true
        });
        assert_eq!(got, vec![0, 2, 5]);
    }

    #[test]
    fn a_push_into_an_empty_queue_touches_only_the_first_64_bytes() {
        let q = SubmitQueue::<crate::task::TaskBuf>::new();
        let base = core::ptr::from_ref(&q) as usize;
        let b = q.batch.lock();
        let closed = core::ptr::from_ref(&b.closed) as usize - base;
        let inline = b.items.inline_push_bytes();
        let lock_word = q.batch.flag_addr() - base;
        // The counter, the lock's flag, `closed`, and the buffer's inline entry and count.
        assert_eq!(core::ptr::from_ref(&q.accepted) as usize - base, 0);
        assert!(lock_word < 64 && closed < 64, "{lock_word} {closed}");
        assert!(
            inline.end - base <= 64,
            "inline entry ends at {}",
            inline.end - base
        );
    }

    #[test]
    fn sharded_layout_keeps_the_ticket_off_every_shard_line() {
        let l = <Sharded<crate::task::TaskBuf> as CacheLayout>::LAYOUT;
        assert!(layout::rules::check_struct(&l).is_none());
        for i in 0..l.fields.len() {
            assert!(layout::rules::check_field_all(&l, i).is_none());
        }
        let off = |name: &str| l.fields.iter().find(|f| f.name == name).unwrap().offset;
        assert_eq!(off("next_ticket"), MAX_SHARDS * l.align);
        assert_eq!(l.size, (MAX_SHARDS + 1) * l.align);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::state::{FastState, SleepDecision, Tier};
    use crate::sync::thread::Parker;
    use crate::sync::{Arc, AtomicUsize};
    use loom::sync::atomic::AtomicBool;
    use loom::thread;

    type Queue = Sharded<Vec<usize>, 2>;

    /// The loop's side, as `EventLoop::run_ordered` drives it: rounds of `take_round` +
    /// `merge_below`, and the sleep protocol with the held carry counted as queued.
    struct Consumer {
        lanes: Vec<Lane<Vec<usize>>>,
        got: Vec<usize>,
        sleeps: usize,
    }

    impl Consumer {
        fn new() -> Self {
            Self {
                lanes: vec![Lane::default(), Lane::default()],
                got: Vec::new(),
                sleeps: 0,
            }
        }

        /// One round; returns whether every shard was closed when it was swapped.
        fn round(&mut self, q: &Queue) -> bool {
            let (cutoff, closed) = q.take_round(&mut self.lanes);
            let got = &mut self.got;
            merge_below(&mut self.lanes, cutoff, |x| {
                got.push(x);
                true
            });
            closed
        }

        fn holds_nothing(&self) -> bool {
            self.lanes.iter().all(Lane::is_empty)
        }

        /// The loop's idle step: declare the sleep, re-check the carry and every shard
        /// under its lock, park only if all are empty. False: shutdown was requested.
        /// (The loop itself does not get here holding a carry; the models call it
        /// anyway, so the re-check is what they test.)
        fn sleep(&mut self, state: &FastState, q: &Queue, parker: &Parker) -> bool {
            let held = !self.holds_nothing();
            match state.prepare_sleep(|| !held && q.is_empty(), Tier::Park) {
                SleepDecision::Sleep => {
                    self.sleeps += 1;
                    parker.park(None);
                    state.resume()
                }
                // Declared, then cancelled: still a sleep a producer may wake.
                SleepDecision::WorkPending => {
                    self.sleeps += 1;
                    true
                }
                SleepDecision::Terminating => false,
            }
        }
    }

    /// What the producers and the loop of a model share; cloned into each thread.
    #[derive(Clone)]
    struct Shared {
        state: Arc<FastState>,
        q: Arc<Queue>,
        parker: Arc<Parker>,
        wakes: Arc<AtomicUsize>,
        /// The happens-before edge between two producers (a Release/Acquire baton).
        flag: Arc<AtomicBool>,
    }

    impl Shared {
        /// A running loop's state, parked on the model's main thread.
        fn new() -> Self {
            let s = Shared {
                state: Arc::new(FastState::new()),
                q: Arc::new(Queue::new()),
                parker: Arc::new(Parker::current()),
                wakes: Arc::new(AtomicUsize::new(0)),
                flag: Arc::new(AtomicBool::new(false)),
            };
            assert!(s.state.resume());
            s
        }

        /// Pushes `x` to shard `i` and wakes the loop if it declared itself asleep.
        /// `last`: the calling thread's last ticket (as `Handle` keeps it per thread).
        fn submit(&self, last: &mut Option<u64>, i: usize, x: usize) -> bool {
            match self.q.push_ordered_with(i, *last, x, Vec::push) {
                Ok(t) => *last = Some(t),
                Err(_) => return false,
            }
            if let Some(tier) = self.state.claim_wake() {
                assert_eq!(tier, Tier::Park);
                self.wakes.fetch_add(1, Ordering::Relaxed);
                self.parker.unpark();
            }
            true
        }

        /// Runs `f` on a new thread with a clone of the shared state.
        fn spawn<T: 'static>(
            &self,
            f: impl FnOnce(Shared) -> T + 'static,
        ) -> thread::JoinHandle<T> {
            let s = self.clone();
            thread::spawn(move || f(s))
        }

        fn sleep(&self, c: &mut Consumer) -> bool {
            c.sleep(&self.state, &self.q, &self.parker)
        }

        fn wakes(&self) -> usize {
            self.wakes.load(Ordering::Relaxed)
        }
    }

    /// Producer A submits 1 to shard `a`, then raises a flag (Release); producer B reads
    /// the flag (Acquire) and submits 2 to the other shard. When B saw the flag, A's
    /// submit happened before B's, and the loop must run 1 before 2. The loop runs
    /// concurrently (rounds, carry, sleep and wake), so this covers both ways of breaking
    /// the order: running the shards one after the other (`a` = 1: B's shard is swapped
    /// first) and running a task taken before an earlier one is visible (`a` = 0: the
    /// loop swaps shard 0 before A's push and shard 1 after B's; only the cutoff holds 2
    /// back). Nothing may be lost, and a sleep is woken at most once.
    fn two_producers_keep_happens_before(a: usize) {
        loom::model(move || {
            let s = Shared::new();
            let pa = s.spawn(move |s| {
                assert!(s.submit(&mut None, a, 1));
                s.flag.store(true, Ordering::Release);
            });
            let pb = s.spawn(move |s| {
                let saw = s.flag.load(Ordering::Acquire);
                assert!(s.submit(&mut None, 1 - a, 2));
                saw
            });
            let mut c = Consumer::new();
            while c.got.len() < 2 {
                c.round(&s.q);
                // Also with a carry held: the sleep's re-check must then refuse to park.
                if c.got.len() < 2 {
                    assert!(s.sleep(&mut c));
                }
            }
            pa.join().unwrap();
            let ordered = pb.join().unwrap();
            if ordered {
                assert_eq!(c.got, vec![1, 2], "happens-before order across shards");
            }
            let mut all = c.got.clone();
            all.sort_unstable();
            assert_eq!(all, vec![1, 2], "conservation: submitted == executed");
            assert!(s.wakes() <= c.sleeps, "at most one wake per sleep");
        });
    }

    #[test]
    fn loom_two_shards_keep_happens_before_shards_swapped_out_of_order() {
        two_producers_keep_happens_before(1);
    }

    #[test]
    fn loom_two_shards_keep_happens_before_later_task_seen_first() {
        two_producers_keep_happens_before(0);
    }

    /// Ticket reuse: producer A submits 1 and then, after reading B's flag, 2, both to
    /// shard 0 (the second may reuse the first's ticket); B submits 3 to shard 1, then
    /// raises the flag. 1 runs before 2 always, and when A saw the flag, B's submit
    /// happened before A's second, so 3 runs before 2: a reuse must never order a
    /// task before a ticket taken since the one it repeats.
    #[test]
    fn loom_two_shards_ticket_reuse_keeps_happens_before() {
        loom::model(|| {
            let s = Shared::new();
            let pa = s.spawn(|s| {
                let mut last = None;
                assert!(s.submit(&mut last, 0, 1));
                let saw = s.flag.load(Ordering::Acquire);
                assert!(s.submit(&mut last, 0, 2));
                saw
            });
            let pb = s.spawn(|s| {
                assert!(s.submit(&mut None, 1, 3));
                s.flag.store(true, Ordering::Release);
            });
            let mut c = Consumer::new();
            while c.got.len() < 3 {
                c.round(&s.q);
                if c.got.len() < 3 {
                    assert!(s.sleep(&mut c));
                }
            }
            let ordered = pa.join().unwrap();
            pb.join().unwrap();
            let at = |x| c.got.iter().position(|&y| y == x).unwrap();
            assert!(at(1) < at(2), "one thread's order: {:?}", c.got);
            if ordered {
                assert!(at(3) < at(2), "happens-before across shards: {:?}", c.got);
            }
            assert!(s.wakes() <= c.sleeps, "at most one wake per sleep");
        });
    }

    /// Shutdown racing a producer that submits 1 to shard 0, then 2 to shard 1 (so 2 is
    /// ordered after 1, and the loop may take 2 before 1 is visible: a carry). Each task
    /// is run once or handed back, never both, never neither; what runs runs in order;
    /// and the loop only finishes with nothing held.
    #[test]
    fn loom_two_shards_shutdown_with_carry_conserves() {
        loom::model(|| {
            let s = Shared::new();
            let producer = s.spawn(|s| {
                // (Shards close one after the other: 1 may be refused and 2 not.)
                // Fresh tickets: one thread on two shards (the loop's producers never
                // do that) must not reuse.
                let first = s.submit(&mut None, 0, 1);
                let second = s.submit(&mut None, 1, 2);
                usize::from(first) + usize::from(second)
            });
            let closer = s.spawn(|s| {
                s.q.close();
                if s.state.terminate().is_some() {
                    s.parker.unpark();
                }
            });
            let mut c = Consumer::new();
            loop {
                let closed = c.round(&s.q);
                if closed && c.holds_nothing() {
                    // Every shard was closed when swapped and nothing is held: done.
                    break;
                }
                // False once terminating: then keep taking rounds until the above holds.
                s.sleep(&mut c);
            }
            let accepted = producer.join().unwrap();
            closer.join().unwrap();
            assert_eq!(
                c.got.len(),
                accepted,
                "conservation: run once or handed back"
            );
            assert!(
                c.got.windows(2).all(|w| w[0] < w[1]),
                "in order: {:?}",
                c.got
            );
        });
    }
}
