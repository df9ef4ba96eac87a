//! Timers: a binary min-heap of deadlines over a slab of generation-tagged slots.
//!
//! Cancel is O(1): it frees the slot and bumps its generation; the heap entry goes stale
//! and is skipped when it surfaces (lazy deletion), and the heap is compacted when stale
//! entries outnumber live ones. Schedule is O(log n).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::Cx;
use crate::task::RawTask;

/// Identifies a timer for [`Cx::clear_timer`]; stale ids (fired, cleared) are harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    index: u32,
    generation: u32,
}

pub(crate) type IntervalFn = Box<dyn FnMut(&mut Cx)>;

pub(crate) enum Callback {
    Once(RawTask),
    Every(IntervalFn, Duration),
}

enum SlotState {
    Free,
    Armed {
        cb: Callback,
        depth: u32,
    },
    /// An interval whose callback is running; `cancelled` if it cleared itself.
    Running {
        cancelled: bool,
    },
}

struct Slot {
    generation: u32,
    state: SlotState,
}

/// (deadline, sequence, slot, generation); the sequence makes equal deadlines FIFO.
type Entry = Reverse<(Instant, u64, u32, u32)>;

/// A timer taken out to fire.
pub(crate) struct Due {
    pub(crate) id: TimerId,
    pub(crate) callback: Callback,
    pub(crate) depth: u32,
    pub(crate) deadline: Instant,
}

#[derive(Default)]
pub(crate) struct Timers {
    slots: Vec<Slot>,
    free: Vec<u32>,
    heap: BinaryHeap<Entry>,
    seq: u64,
    live: usize,
}

impl core::fmt::Debug for Timers {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Timers")
            .field("live", &self.live)
            .field("heap", &self.heap.len())
            .finish()
    }
}

impl Timers {
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The sequence number the next scheduled timer gets: timers scheduled from now on
    /// compare `>=` to it (used to run one round per tick).
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq
    }

    pub(crate) fn schedule(&mut self, deadline: Instant, cb: Callback, depth: u32) -> TimerId {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len()).expect("more than u32::MAX timers");
                self.slots.push(Slot {
                    generation: 0,
                    state: SlotState::Free,
                });
                i
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.state = SlotState::Armed { cb, depth };
        let id = TimerId {
            index,
            generation: slot.generation,
        };
        self.push_entry(deadline, id);
        self.live += 1;
        id
    }

    fn push_entry(&mut self, deadline: Instant, id: TimerId) {
        self.heap
            .push(Reverse((deadline, self.seq, id.index, id.generation)));
        self.seq += 1;
    }

    fn slot(&mut self, id: TimerId) -> Option<&mut Slot> {
        self.slots
            .get_mut(id.index as usize)
            .filter(|s| s.generation == id.generation)
    }

    fn release(&mut self, index: u32) {
        let slot = &mut self.slots[index as usize];
        slot.state = SlotState::Free;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        self.live -= 1;
    }

    /// Cancels a pending timer (or an interval, even from its own callback). Returns
    /// whether anything was cancelled. The callback is dropped here, unrun.
    pub(crate) fn cancel(&mut self, id: TimerId) -> bool {
        let Some(slot) = self.slot(id) else {
            return false;
        };
        match &mut slot.state {
            SlotState::Free | SlotState::Running { cancelled: true } => false,
            SlotState::Running { cancelled } => {
                *cancelled = true;
                true
            }
            SlotState::Armed { .. } => {
                self.release(id.index);
                self.compact_if_stale();
                true
            }
        }
    }

    fn compact_if_stale(&mut self) {
        if self.heap.len() > 64 && self.heap.len() > 2 * self.live {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, _, i, g))| {
                let s = &slots[*i as usize];
                s.generation == *g && matches!(s.state, SlotState::Armed { .. })
            });
        }
    }

    /// Discards stale entries from the top of the heap.
    fn skip_stale(&mut self) {
        while let Some(Reverse((_, _, i, g))) = self.heap.peek() {
            let s = &self.slots[*i as usize];
            if s.generation == *g && matches!(s.state, SlotState::Armed { .. }) {
                return;
            }
            self.heap.pop();
        }
    }

    /// The earliest pending deadline.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        self.skip_stale();
        self.heap.peek().map(|Reverse((d, ..))| *d)
    }

    /// Takes the earliest timer due at `now` that was scheduled before sequence `limit`.
    pub(crate) fn pop_due(&mut self, now: Instant, limit: u64) -> Option<Due> {
        self.skip_stale();
        let &Reverse((deadline, seq, index, generation)) = self.heap.peek()?;
        if deadline > now || seq >= limit {
            return None;
        }
        self.heap.pop();
        let slot = &mut self.slots[index as usize];
        let id = TimerId { index, generation };
        let (callback, depth) = match std::mem::replace(&mut slot.state, SlotState::Free) {
            SlotState::Armed { cb, depth } => (cb, depth),
            _ => unreachable!("skip_stale left an armed slot on top"),
        };
        match callback {
            Callback::Once(_) => self.release(index),
            Callback::Every(..) => slot.state = SlotState::Running { cancelled: false },
        }
        Some(Due {
            id,
            callback,
            depth,
            deadline,
        })
    }

    /// After an interval's callback ran: re-arm it for `next` unless it was cancelled.
    pub(crate) fn rearm(&mut self, id: TimerId, f: IntervalFn, period: Duration, next: Instant) {
        let Some(slot) = self.slot(id) else { return };
        match slot.state {
            SlotState::Running { cancelled: false } => {
                slot.state = SlotState::Armed {
                    cb: Callback::Every(f, period),
                    depth: 0,
                };
                self.push_entry(next, id);
            }
            SlotState::Running { cancelled: true } => self.release(id.index),
            _ => {}
        }
    }

    /// Drops every pending timer unrun; returns how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.live;
        self.heap.clear();
        for i in 0..self.slots.len() {
            if !matches!(self.slots[i].state, SlotState::Free) {
                self.release(i as u32);
            }
        }
        n
    }
}
