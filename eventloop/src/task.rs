//! Type-erased closures stored inline.
//!
//! A boxed closure made on a producer core and freed on the loop core is a cross-thread
//! free (with glibc the peers that box every task are 2-6x slower on one producer, see
//! `bench/RESULTS.md`), so closures up to [`INLINE_BYTES`] bytes (align <= 8) live inside
//! the task itself: submitting one allocates nothing. Larger closures are boxed and the box
//! pointer is stored inline instead.
//!
//! In the submit queue a task takes only the words its closure needs ([`TaskBuf`]): a
//! vtable word plus the closure rounded up to 8 bytes, so a closure capturing one pointer
//! is 16 bytes, not a 56-byte `Task`. The bytes a producer writes are the bytes the loop's
//! core has to fetch; fewer of them per task is fewer cache lines crossing cores.

use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};

use crate::Cx;

/// Bytes of closure state stored without allocating.
pub const INLINE_BYTES: usize = 48;

/// Closure storage: whole 8-byte words, so a stored closure copies word by word into and
/// out of a [`TaskBuf`].
#[repr(C, align(8))]
struct Storage(MaybeUninit<[u64; INLINE_BYTES / 8]>);

/// Runs (`Some(cx)`) or drops (`None`) the closure stored at the pointer, consuming it.
type Invoke = unsafe fn(*mut u8, Option<&mut Cx>);

/// What a type-erased task knows about its closure: how to run or drop it, and how many
/// 8-byte words of [`Storage`] it occupies (the closure, or the box holding it).
struct VTable {
    invoke: Invoke,
    words: usize,
}

const fn words<P>() -> usize {
    size_of::<P>().div_ceil(8)
}

impl VTable {
    /// For an `F` stored as it is (it must fit inline).
    fn inline<F: FnOnce(&mut Cx)>() -> &'static VTable {
        const {
            &VTable {
                invoke: invoke_inline::<F>,
                words: words::<F>(),
            }
        }
    }

    /// For an `F` stored as the `Box<F>` holding it.
    fn boxed<F: FnOnce(&mut Cx)>() -> &'static VTable {
        const {
            &VTable {
                invoke: invoke_boxed::<F>,
                words: words::<Box<F>>(),
            }
        }
    }
}

/// A closure for the loop thread; not `Send` (microtasks and timers use it directly).
pub(crate) struct RawTask {
    vt: &'static VTable,
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
        let vt: &'static VTable = if fits_inline::<F>() {
            // SAFETY: `fits_inline` checked size and alignment against `Storage`.
            unsafe { p.cast::<F>().write(f) };
            VTable::inline::<F>()
        } else {
            const { assert!(fits_inline::<Box<F>>()) };
            // SAFETY: a `Box<F>` is pointer-sized and pointer-aligned (asserted above).
            unsafe { p.cast::<Box<F>>().write(Box::new(f)) };
            VTable::boxed::<F>()
        };
        Self {
            vt,
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
        unsafe { (me.vt.invoke)(p, Some(cx)) }
    }
}

impl Drop for RawTask {
    fn drop(&mut self) {
        let p = self.data.0.as_mut_ptr().cast::<u8>();
        // SAFETY: the closure is still stored (`run` and `into_inner` bypass `Drop`).
        unsafe { (self.vt.invoke)(p, None) }
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
    /// (Submits write closures straight into the queue; tests build tasks directly.)
    #[cfg(test)]
    pub(crate) fn new<F: FnOnce(&mut Cx) + Send + 'static>(f: F) -> Self {
        Self(RawTask::new(f))
    }

    /// Runs the closure on the loop whose context this is.
    pub fn run(self, cx: &mut Cx) {
        self.0.run(cx);
    }

    /// Whether a closure of type `F` is stored in the task itself (no heap allocation):
    /// true when `size_of::<F>() <= INLINE_BYTES` and its alignment is at most 8.
    pub const fn is_inline<F>() -> bool {
        RawTask::is_inline::<F>()
    }
}

impl core::fmt::Debug for Task {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Task")
    }
}

/// Closure words of the entry a [`TaskBuf`] keeps inline ([`TaskBuf`]'s `first`).
const FIRST_WORDS: usize = 3;
const _: () = assert!(
    FIRST_WORDS <= INLINE_BYTES / 8,
    "an inline entry must fit in Storage"
);

/// A FIFO of [`Task`]s packed as words: each entry is the task's vtable pointer (in a
/// word of its own, also on 32-bit targets) followed by the closure's `words`. The submit
/// queue's batches are `TaskBuf`s; the loop pops tasks until it is empty, then the
/// buffer is reset and keeps its capacity.
///
/// An entry pushed into an empty buffer whose closure fits in [`FIRST_WORDS`] words is
/// kept in the buffer itself (`first`), not in `words`' heap block. In the submit queue
/// the buffer sits next to the lock, so a producer that submits one task and waits for
/// its answer writes only the lock's cache line, and the loop reads only that line:
/// the heap line an entry would otherwise go to crossed cores twice per round trip.
/// `repr(C)` keeps that entry and `len` at the front (the queue's layout relies on it).
#[repr(C)]
pub(crate) struct TaskBuf {
    /// The inline entry's vtable; `None` when there is no inline entry. When `Some`, it
    /// is the oldest entry (it is only ever pushed into an empty buffer).
    first_vt: Option<&'static VTable>,
    /// Entries pushed and not popped, the inline one included.
    len: usize,
    /// The inline entry's closure words (`first_vt.words` of them).
    first: [MaybeUninit<u64>; FIRST_WORDS],
    words: Vec<MaybeUninit<u64>>,
    /// Word index of the next entry to pop from `words`.
    head: usize,
}

impl Default for TaskBuf {
    fn default() -> Self {
        Self {
            first_vt: None,
            len: 0,
            first: [MaybeUninit::uninit(); FIRST_WORDS],
            words: Vec::new(),
            head: 0,
        }
    }
}

impl TaskBuf {
    pub(crate) fn push(&mut self, task: Task) {
        let task = ManuallyDrop::new(task);
        let dst = self.push_header(task.0.vt);
        // SAFETY: `dst` has room for `vt.words` words; the closure's words are copied as
        // they lie in `Storage`, which holds at least that many (`fits_inline`). The task
        // is in `ManuallyDrop`: its closure now lives only in the buffer.
        unsafe {
            core::ptr::copy_nonoverlapping(
                task.0.data.0.as_ptr().cast::<MaybeUninit<u64>>(),
                dst,
                task.0.vt.words,
            );
        }
    }

    /// Appends the closure itself, with no `Task` in between: what `Handle::submit` does
    /// under the submit lock, so the critical section writes just the entry's words.
    /// (`Handle::submit` boxes a closure too large to be inline before taking the lock;
    /// given one here, this boxes it itself.)
    #[inline]
    pub(crate) fn push_fn<F: FnOnce(&mut Cx) + Send + 'static>(&mut self, f: F) {
        if fits_inline::<F>() {
            // SAFETY: the vtable runs and drops an `F`, which fits inline.
            unsafe { self.push_entry(VTable::inline::<F>(), f) }
        } else {
            // SAFETY: the vtable runs and drops a `Box<F>`, which is pointer-sized.
            unsafe { self.push_entry(VTable::boxed::<F>(), Box::new(f)) }
        }
    }

    /// # Safety
    /// `vt.invoke` must consume a `P`, and `P` must fit in `vt.words` words with an
    /// alignment of at most 8 (`fits_inline::<P>()`).
    #[inline]
    unsafe fn push_entry<P>(&mut self, vt: &'static VTable, payload: P) {
        let dst = self.push_header(vt);
        // SAFETY: `dst` has room for `vt.words` words and is 8-aligned; per the contract
        // `P` fits there. The entry now owns `payload`; `pop` moves it into a `Task` whose
        // vtable consumes it.
        unsafe { dst.cast::<P>().write(payload) };
    }

    /// Counts a new entry and returns where its `vt.words` closure words go: `first`
    /// if the buffer is empty and they fit there (the vtable is stored now), else after
    /// a header word appended to `words`. The caller fills them before anything can
    /// `pop`.
    #[inline]
    fn push_header(&mut self, vt: &'static VTable) -> *mut MaybeUninit<u64> {
        if self.len == 0 && vt.words <= FIRST_WORDS {
            // Empty: no inline entry (popping the last entry took it) and no words.
            debug_assert!(self.first_vt.is_none() && self.words.is_empty());
            self.first_vt = Some(vt);
            self.len = 1;
            return self.first.as_mut_ptr();
        }
        let at = self.words.len();
        self.words.reserve(1 + vt.words);
        self.len += 1;
        // SAFETY: `reserve` made room for `1 + vt.words` words past `len`; the words are
        // `MaybeUninit`, so counting them before they are written is sound. The header
        // word is 8-aligned, enough for a pointer.
        unsafe {
            let dst = self.words.as_mut_ptr().add(at);
            dst.cast::<&'static VTable>().write(vt);
            self.words.set_len(at + 1 + vt.words);
            dst.add(1)
        }
    }

    /// The oldest entry, to run where it lies: what the loop's batch loop does, saving
    /// the copy of its words into a `Task` (a `memcpy` call of variable length). It
    /// counts as taken at once; the entry runs or drops its closure exactly once.
    #[inline]
    pub(crate) fn pop_entry(&mut self) -> Option<Entry<'_>> {
        if self.len == 0 {
            return None;
        }
        let (vt, p) = if let Some(vt) = self.first_vt.take() {
            (vt, self.first.as_mut_ptr())
        } else {
            let at = self.head;
            // SAFETY: `len > 0` and no inline entry, so an entry written by
            // `push_header` starts at `head`: a vtable pointer, then `vt.words` words of
            // the closure. Advancing `head` past them hands the entry to the `Entry`.
            unsafe {
                let src = self.words.as_mut_ptr().add(at);
                let vt = src.cast::<&'static VTable>().read();
                self.head = at + 1 + vt.words;
                (vt, src.add(1))
            }
        };
        self.len -= 1;
        if self.len == 0 {
            // Everything was taken: the words are reused from the start by the next
            // push. Clearing keeps the allocation, so the entry's words stay valid for
            // as long as the `Entry` borrows this buffer (no push can happen until then).
            self.words.clear();
            self.head = 0;
        }
        Some(Entry {
            vt,
            p: p.cast::<u8>(),
            _buf: PhantomData,
        })
    }

    /// The oldest task, moved out of the buffer.
    pub(crate) fn pop(&mut self) -> Option<Task> {
        // The entry's closure moves into the task: `ManuallyDrop` keeps the entry from
        // dropping it as well.
        let entry = ManuallyDrop::new(self.pop_entry()?);
        let mut data = Storage(MaybeUninit::uninit());
        // SAFETY: the entry's `vt.words` closure words lie at `p` (8-aligned, in this
        // buffer, which it still borrows) and fit in `Storage` (`fits_inline`).
        unsafe {
            core::ptr::copy_nonoverlapping(
                entry.p.cast::<MaybeUninit<u64>>(),
                data.0.as_mut_ptr().cast::<MaybeUninit<u64>>(),
                entry.vt.words,
            );
        }
        Some(Task(RawTask {
            vt: entry.vt,
            data,
            _not_send: PhantomData,
        }))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The addresses a push into an empty buffer reads or writes when its closure fits
    /// inline (`first_vt`, `len`, `first`: the front, by `repr(C)`), for layout tests.
    #[cfg(test)]
    pub(crate) fn inline_push_bytes(&self) -> core::ops::Range<usize> {
        let start = core::ptr::from_ref(self) as usize;
        start..core::ptr::from_ref(&self.first) as usize + size_of_val(&self.first)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes reserved for entries (tests: the loop only calls `shrink_to`).
    #[cfg(test)]
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Gives back reserved space above `bytes` (after a burst); nothing when no more
    /// than that is reserved.
    pub(crate) fn shrink_to(&mut self, bytes: usize) {
        self.words.shrink_to(bytes / 8);
    }
}

/// An entry taken from a [`TaskBuf`] and still lying in it (`TaskBuf::pop_entry`): runs
/// its closure (`run`) or, if dropped unrun, drops it; the buffer stays borrowed until
/// then.
pub(crate) struct Entry<'a> {
    vt: &'static VTable,
    /// The closure's words, in the buffer.
    p: *mut u8,
    _buf: PhantomData<&'a mut TaskBuf>,
}

impl Entry<'_> {
    #[inline]
    pub(crate) fn run(self, cx: &mut Cx) {
        let me = ManuallyDrop::new(self);
        // SAFETY: `pop_entry` handed over an entry written by `push_header`, whose
        // vtable consumes the closure at `p`; the buffer is borrowed, so the words are
        // still there; `ManuallyDrop` keeps `Drop` from consuming it a second time, even
        // if the closure panics.
        unsafe { (me.vt.invoke)(me.p, Some(cx)) }
    }
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        // SAFETY: as in `run`: the closure is still at `p` and consumed only here.
        unsafe { (self.vt.invoke)(self.p, None) }
    }
}

impl crate::submit::Buffer for TaskBuf {
    type Item = Task;
    fn push(&mut self, item: Task) {
        TaskBuf::push(self, item);
    }
    fn is_empty(&self) -> bool {
        TaskBuf::is_empty(self)
    }
    fn append(&mut self, other: &mut Self) {
        while let Some(t) = other.pop() {
            self.push(t);
        }
    }
    fn pop(&mut self) -> Option<Task> {
        TaskBuf::pop(self)
    }
}

impl Drop for TaskBuf {
    fn drop(&mut self) {
        // Drops each closure that never ran.
        while self.pop().is_some() {}
    }
}

impl core::fmt::Debug for TaskBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TaskBuf").field("len", &self.len).finish()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Records its id when dropped, so drop order shows pop order.
    struct Rec(u32, Arc<Mutex<Vec<u32>>>);

    impl Drop for Rec {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    /// A task whose closure is `rec` plus `N` bytes of padding (inline up to 48 bytes,
    /// boxed beyond).
    fn task<const N: usize>(rec: Rec) -> Task {
        let pad = [N as u8; N];
        Task::new(move |_| {
            let _ = (&rec, pad);
        })
    }

    /// Four tasks logging 0-3: inline first, then in the words a large one, a boxed one
    /// and a small one.
    fn mixed_sizes(log: &Arc<Mutex<Vec<u32>>>) -> TaskBuf {
        let mut buf = TaskBuf::default();
        buf.push(task::<0>(Rec(0, log.clone())));
        buf.push(task::<30>(Rec(1, log.clone())));
        buf.push(task::<300>(Rec(2, log.clone())));
        buf.push(task::<1>(Rec(3, log.clone())));
        buf
    }

    #[test]
    fn task_buf_pops_mixed_sizes_in_order_and_reuses_its_words() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut buf = mixed_sizes(&log);
        assert_eq!(buf.len(), 4);
        // The first, `Rec` alone (16 bytes, 2 words), is kept inline; then a header word
        // each and the closure in words: 46 bytes with 30 of padding (6), boxed (1), 17
        // bytes (3).
        assert!(buf.first_vt.is_some());
        #[cfg(target_pointer_width = "64")]
        assert_eq!(buf.words.len(), (1 + 6) + (1 + 1) + (1 + 3));
        let cap = buf.capacity_bytes();
        while let Some(t) = buf.pop() {
            drop(t);
        }
        assert_eq!(*log.lock().unwrap(), vec![0, 1, 2, 3]);
        assert!(buf.is_empty());
        assert_eq!((buf.words.len(), buf.head), (0, 0), "reset once empty");
        assert_eq!(buf.capacity_bytes(), cap, "capacity kept");
    }

    #[test]
    fn closures_pushed_directly_and_tasks_pop_in_one_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut buf = TaskBuf::default();
        let (a, b, c) = (
            Rec(0, log.clone()),
            Rec(1, log.clone()),
            Rec(2, log.clone()),
        );
        buf.push_fn(move |_: &mut Cx| drop(a));
        buf.push(task::<30>(b));
        let big = [9u8; 200];
        buf.push_fn(move |_: &mut Cx| {
            let _ = (&c, big);
        });
        buf.push(task::<0>(Rec(3, log.clone())));
        assert_eq!(buf.len(), 4);
        // Rec inline; vtable + 46 bytes (6); vtable + box (1); vtable + Rec (2).
        assert!(buf.first_vt.is_some());
        #[cfg(target_pointer_width = "64")]
        assert_eq!(buf.words.len(), (1 + 6) + (1 + 1) + (1 + 2));
        while let Some(t) = buf.pop() {
            drop(t);
        }
        assert_eq!(*log.lock().unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(Arc::strong_count(&log), 1, "every closure dropped once");
    }

    #[test]
    fn only_an_entry_pushed_into_an_empty_buffer_is_kept_inline() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let popped = |buf: &mut TaskBuf| {
            drop(buf.pop().expect("an entry"));
            log.lock().unwrap().pop().expect("it dropped its Rec")
        };
        let mut buf = TaskBuf::default();
        // Into an empty buffer: inline, and the words stay untouched.
        buf.push(task::<0>(Rec(0, log.clone())));
        assert!(buf.first_vt.is_some());
        assert_eq!(buf.words.len(), 0);
        // Behind it: in the words, even though it would fit inline.
        buf.push(task::<0>(Rec(1, log.clone())));
        assert_eq!(popped(&mut buf), 0);
        assert!(buf.first_vt.is_none());
        // Not empty (1 is queued): 2 goes behind 1, not into the free inline slot.
        buf.push(task::<0>(Rec(2, log.clone())));
        assert!(buf.first_vt.is_none());
        assert_eq!(popped(&mut buf), 1);
        assert_eq!(popped(&mut buf), 2);
        assert!(buf.is_empty() && buf.words.is_empty());
        // Empty again: inline again. A closure over 3 words never is.
        buf.push(task::<8>(Rec(3, log.clone())));
        assert!(buf.first_vt.is_some(), "Rec + 8 bytes: 3 words");
        assert_eq!(popped(&mut buf), 3);
        buf.push(task::<16>(Rec(4, log.clone())));
        assert!(buf.first_vt.is_none(), "Rec + 16 bytes: 4 words");
        buf.push(task::<0>(Rec(5, log.clone())));
        assert_eq!(popped(&mut buf), 4);
        assert_eq!(popped(&mut buf), 5);
        assert!(buf.pop().is_none());
        assert_eq!(Arc::strong_count(&log), 1, "every closure dropped once");
    }

    #[test]
    fn entries_run_or_drop_in_place_once_each_in_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut buf = mixed_sizes(&log);
        let mut el = crate::EventLoop::new().unwrap();
        let cx = el.cx_mut();
        // Run the first, drop the second unrun, run one that panics, run the last.
        buf.pop_entry().unwrap().run(cx);
        drop(buf.pop_entry().unwrap());
        buf.pop_entry().unwrap().run(cx);
        assert_eq!(buf.len(), 1);
        buf.push_fn(|_: &mut Cx| panic!("in the task"));
        buf.pop_entry().unwrap().run(cx);
        let panicking = buf.pop_entry().unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            panicking.run(cx);
        }));
        assert!(caught.is_err(), "the closure's panic reaches the caller");
        assert!(buf.pop_entry().is_none() && buf.is_empty());
        assert_eq!(*log.lock().unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(Arc::strong_count(&log), 1, "every closure dropped once");
        // Empty again: the next push goes inline, and the words start over.
        buf.push(task::<0>(Rec(4, log.clone())));
        assert!(buf.first_vt.is_some() && buf.words.is_empty());
        drop(buf);
        assert_eq!(*log.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn task_buf_drops_what_was_never_popped() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut buf = TaskBuf::default();
        for i in 0..5 {
            buf.push(task::<16>(Rec(i, log.clone())));
        }
        drop(buf.pop());
        // An inline entry that is never popped is dropped too.
        let mut inline = TaskBuf::default();
        inline.push(task::<0>(Rec(7, log.clone())));
        assert!(inline.first_vt.is_some());
        drop(inline);
        let mut other = TaskBuf::default();
        other.push(task::<100>(Rec(9, log.clone())));
        crate::submit::Buffer::append(&mut buf, &mut other);
        assert!(other.is_empty());
        drop(buf);
        assert_eq!(*log.lock().unwrap(), vec![0, 7, 1, 2, 3, 4, 9]);
        assert_eq!(Arc::strong_count(&log), 1, "every closure dropped once");
    }
}
