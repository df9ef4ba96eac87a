//! I/O readiness through mio, created on the first registration (so a loop that never
//! registers a source never makes a poller, and runs under Miri).

use std::io;

use mio::event::{Event, Source};
use mio::{Events, Interest, Poll, Token};

use crate::Cx;

/// The token of the `mio::Waker` producers use while the loop sleeps in the poller.
pub(crate) const WAKE_TOKEN: Token = Token(usize::MAX);

/// Identifies a registration for [`Cx::deregister`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IoToken {
    index: u32,
    generation: u32,
}

pub(crate) type IoCallback = Box<dyn FnMut(&mut Cx, &Event)>;

struct IoSlot {
    generation: u32,
    /// `None` while free, or while its callback runs (taken out to get `&mut Cx`).
    cb: Option<IoCallback>,
    live: bool,
}

pub(crate) struct Io {
    poll: Poll,
    events: Option<Events>,
    slots: Vec<IoSlot>,
    free: Vec<u32>,
    count: usize,
}

impl core::fmt::Debug for Io {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Io").field("sources", &self.count).finish()
    }
}

/// What producers call to wake a loop sleeping in the poller.
///
/// A trait object rather than `mio::Waker` itself: `Loop` then holds only types whose
/// layout is known on every target (a `Box<dyn _>` is two words), so layout-cli reports
/// `Loop` exactly instead of "unknown: `mio::Waker` is not defined in this crate". The
/// extra indirect call sits on the path that makes a system call anyway.
pub(crate) trait PollWake: Send + Sync {
    fn wake(&self) -> io::Result<()>;
}

impl PollWake for mio::Waker {
    fn wake(&self) -> io::Result<()> {
        mio::Waker::wake(self)
    }
}

impl Io {
    /// A poller and its waker; the waker is published through `waker` before any source
    /// can make the loop sleep in the poller.
    pub(crate) fn new(
        events: usize,
        waker: &std::sync::OnceLock<Box<dyn PollWake>>,
    ) -> io::Result<Self> {
        let poll = Poll::new()?;
        let w: Box<dyn PollWake> = Box::new(mio::Waker::new(poll.registry(), WAKE_TOKEN)?);
        // A loop creates its `Io` once; if a previous one existed its waker stays valid
        // for the poller it belongs to, which is dropped with it: replace is not needed.
        let _ = waker.set(w);
        Ok(Self {
            poll,
            events: Some(Events::with_capacity(events.max(1))),
            slots: Vec::new(),
            free: Vec::new(),
            count: 0,
        })
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }

    pub(crate) fn register<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        interest: Interest,
        cb: IoCallback,
    ) -> io::Result<IoToken> {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len())
                    .map_err(|_| io::Error::other("too many I/O registrations"))?;
                self.slots.push(IoSlot {
                    generation: 0,
                    cb: None,
                    live: false,
                });
                i
            }
        };
        if let Err(e) = self
            .poll
            .registry()
            .register(source, Token(index as usize), interest)
        {
            self.free.push(index);
            return Err(e);
        }
        let slot = &mut self.slots[index as usize];
        slot.cb = Some(cb);
        slot.live = true;
        self.count += 1;
        Ok(IoToken {
            index,
            generation: slot.generation,
        })
    }

    pub(crate) fn deregister<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        token: IoToken,
    ) -> io::Result<()> {
        let slot = self
            .slots
            .get_mut(token.index as usize)
            .filter(|s| s.live && s.generation == token.generation)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "unknown IoToken"))?;
        self.poll.registry().deregister(source)?;
        slot.live = false;
        slot.cb = None;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(token.index);
        self.count -= 1;
        Ok(())
    }

    /// Waits for readiness; returns the filled event buffer (give it back with
    /// [`Io::restore_events`]).
    pub(crate) fn poll(&mut self, timeout: Option<std::time::Duration>) -> io::Result<Events> {
        let mut events = self
            .events
            .take()
            .unwrap_or_else(|| Events::with_capacity(256));
        match self.poll.poll(&mut events, timeout) {
            Ok(()) => Ok(events),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                events.clear();
                Ok(events)
            }
            Err(e) => {
                self.events = Some(events);
                Err(e)
            }
        }
    }

    pub(crate) fn restore_events(&mut self, events: Events) {
        self.events = Some(events);
    }

    /// Takes the callback for `token` out to run it (`None`: stale or already running).
    pub(crate) fn take_callback(&mut self, token: Token) -> Option<(IoCallback, u32)> {
        let slot = self.slots.get_mut(token.0)?;
        if !slot.live {
            return None;
        }
        Some((slot.cb.take()?, slot.generation))
    }

    /// Puts a callback back after it ran, unless it was deregistered meanwhile.
    pub(crate) fn restore_callback(&mut self, token: Token, generation: u32, cb: IoCallback) {
        if let Some(slot) = self.slots.get_mut(token.0)
            && slot.live
            && slot.generation == generation
        {
            slot.cb = Some(cb);
        }
    }
}
