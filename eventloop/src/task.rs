//! Type-erased closures stored inline.
//!
//! A boxed closure made on a producer core and freed on the loop core costs ~350 ns with
//! glibc (DESIGN), so closures up to [`INLINE_BYTES`] bytes (align <= 16) live inside the
//! task itself, which lives inside the queue's `Vec`: submitting one allocates nothing.
//! Larger closures are boxed and the box pointer is stored inline instead.

use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};

use crate::Cx;

/// Bytes of closure state stored without allocating.
pub const INLINE_BYTES: usize = 48;

#[repr(C, align(16))]
struct Storage(MaybeUninit<[u8; INLINE_BYTES]>);

/// Runs (`Some(cx)`) or drops (`None`) the closure stored at the pointer, consuming it.
type Invoke = unsafe fn(*mut u8, Option<&mut Cx>);

/// A closure for the loop thread; not `Send` (microtasks and timers use it directly).
pub(crate) struct RawTask {
    invoke: Invoke,
    data: Storage,
    /// The closure may be `!Send` (microtasks, timers): so is the task.
    _not_send: PhantomData<*const ()>,
}

const fn fits_inline<F>() -> bool {
    size_of::<F>() <= INLINE_BYTES && align_of::<F>() <= align_of::<Storage>()
}

/// # Safety
/// `p` points to a live `F` written by `RawTask::new`; it is consumed.
unsafe fn invoke_inline<F: FnOnce(&mut Cx)>(p: *mut u8, cx: Option<&mut Cx>) {
    // SAFETY: per the contract, `p` holds an initialised, suitably aligned `F` that no
    // one else will read again.
    let f = unsafe { p.cast::<F>().read() };
    match cx {
        Some(cx) => f(cx),
        None => drop(f),
    }
}

/// # Safety
/// `p` points to a live `Box<F>` written by `RawTask::new`; it is consumed.
unsafe fn invoke_boxed<F: FnOnce(&mut Cx)>(p: *mut u8, cx: Option<&mut Cx>) {
    // SAFETY: as in `invoke_inline`, for the `Box<F>` stored in place of `F`.
    let f = unsafe { p.cast::<Box<F>>().read() };
    match cx {
        Some(cx) => f(cx),
        None => drop(f),
    }
}

impl RawTask {
    pub(crate) fn new<F: FnOnce(&mut Cx) + 'static>(f: F) -> Self {
        let mut data = Storage(MaybeUninit::uninit());
        let p = data.0.as_mut_ptr().cast::<u8>();
        let invoke: Invoke = if fits_inline::<F>() {
            // SAFETY: `fits_inline` checked size and alignment against `Storage`.
            unsafe { p.cast::<F>().write(f) };
            invoke_inline::<F>
        } else {
            const { assert!(fits_inline::<Box<F>>()) };
            // SAFETY: a `Box<F>` is pointer-sized and pointer-aligned (asserted above).
            unsafe { p.cast::<Box<F>>().write(Box::new(f)) };
            invoke_boxed::<F>
        };
        Self {
            invoke,
            data,
            _not_send: PhantomData,
        }
    }

    /// Whether a closure of type `F` is stored without a heap allocation.
    pub(crate) const fn is_inline<F>() -> bool {
        fits_inline::<F>()
    }

    pub(crate) fn run(self, cx: &mut Cx) {
        let mut me = ManuallyDrop::new(self);
        let p = me.data.0.as_mut_ptr().cast::<u8>();
        // SAFETY: `new` stored a closure matching `invoke`; `ManuallyDrop` keeps `Drop`
        // from consuming it a second time, even if the closure panics.
        unsafe { (me.invoke)(p, Some(cx)) }
    }

    /// Takes the closure back out.
    ///
    /// # Safety
    /// `F` must be the type this task was created from.
    pub(crate) unsafe fn into_inner<F: FnOnce(&mut Cx) + 'static>(self) -> F {
        let mut me = ManuallyDrop::new(self);
        let p = me.data.0.as_mut_ptr().cast::<u8>();
        if fits_inline::<F>() {
            // SAFETY: the caller guarantees `F`; `new` stored it inline; `ManuallyDrop`
            // prevents a second read.
            unsafe { p.cast::<F>().read() }
        } else {
            // SAFETY: as above, for the box `new` stored.
            *unsafe { p.cast::<Box<F>>().read() }
        }
    }
}

impl Drop for RawTask {
    fn drop(&mut self) {
        let p = self.data.0.as_mut_ptr().cast::<u8>();
        // SAFETY: the closure is still stored (`run` and `into_inner` bypass `Drop`).
        unsafe { (self.invoke)(p, None) }
    }
}

impl core::fmt::Debug for RawTask {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RawTask")
    }
}

/// A submitted closure that did not run, handed back by [`crate::EventLoop::take_unrun`].
///
/// Run it on another loop with [`crate::Handle::submit_task`] or on a [`Cx`] with
/// [`Task::run`]; dropping it drops the closure without running it.
pub struct Task(RawTask);

// SAFETY: a `Task` is only built from `F: Send` (`Task::new`), so moving it to another
// thread moves a `Send` closure.
unsafe impl Send for Task {}

impl Task {
    pub(crate) fn new<F: FnOnce(&mut Cx) + Send + 'static>(f: F) -> Self {
        Self(RawTask::new(f))
    }

    /// Runs the closure on the loop whose context this is.
    pub fn run(self, cx: &mut Cx) {
        self.0.run(cx);
    }

    /// Whether a closure of type `F` is stored in the task itself (no heap allocation):
    /// true when `size_of::<F>() <= INLINE_BYTES` and its alignment is at most 16.
    pub const fn is_inline<F>() -> bool {
        RawTask::is_inline::<F>()
    }

    /// # Safety
    /// `F` must be the type this task was created from.
    pub(crate) unsafe fn into_inner<F: FnOnce(&mut Cx) + Send + 'static>(self) -> F {
        // SAFETY: forwarded contract.
        unsafe { self.0.into_inner::<F>() }
    }
}

impl core::fmt::Debug for Task {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Task")
    }
}

/// A submission refused because the loop is shutting down; holds the closure, unrun.
pub struct Rejected<F>(F);

impl<F> Rejected<F> {
    pub(crate) fn new(f: F) -> Self {
        Self(f)
    }

    /// The closure that was not accepted.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> core::fmt::Debug for Rejected<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Rejected(..)")
    }
}

impl<F> core::fmt::Display for Rejected<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the event loop is shutting down and accepts no more tasks")
    }
}

impl<F> std::error::Error for Rejected<F> {}
