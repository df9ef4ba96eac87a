//! Layouts of std, core, alloc and crossbeam-utils types, per target.
//!
//! Sources: the std sources of rustc 1.95 (`library/std/src/sys/sync/*` for the locks,
//! `library/core/src/time.rs` for `Duration`, `library/alloc/src/raw_vec` for `Vec`'s
//! capacity niche, hashbrown's `RawTableInner` for `HashMap`), measured in
//! `shared/RUSTC_LAYOUT.md` and checked by the oracle test on every target row.
//! crossbeam-utils `src/cache_padded.rs` for `CachePadded`.

use layout::target::TargetInfo;

use super::layout::{Kind, Layout, Niche, Over, Placed, ReprOpts, univariant};

/// Facts about one target's std that the table in `layout::target` does not hold.
#[derive(Clone, Copy, Debug)]
pub struct StdFacts {
    /// `sys::Mutex`: futex `AtomicU32` on Linux, an `AtomicI8` futex on Windows, a lazily
    /// boxed pthread mutex (`OnceBox`, one pointer) on macOS.
    pub raw_mutex: Layout,
    /// `sys::RwLock`: two futex words on Linux and Windows; one pointer (queue lock) on
    /// macOS.
    pub raw_rwlock: Layout,
    /// `Condvar`: a futex word on Linux/Windows; a boxed pthread condvar and the mutex
    /// pointer on macOS.
    pub condvar: Layout,
    /// `Once`: a futex word on Linux/Windows; a queue pointer on macOS.
    pub once: Layout,
    /// `SystemTime`: a `Timespec` on Unix (see [`timespec`]); a `FILETIME` (two `u32`)
    /// on Windows. `None`: the Timespec layout.
    pub system_time: Option<Layout>,
    /// `OsString`/`PathBuf` buffer carries an `is_known_utf8: bool` (Windows' WTF-8).
    pub wtf8: bool,
}

/// The std facts for a target row, or `None` for an OS the table does not cover.
pub fn std_facts(t: &TargetInfo) -> Option<StdFacts> {
    let p = t.pointer_size as u64;
    match t.os {
        "linux" | "android" | "freebsd" => Some(StdFacts {
            raw_mutex: Layout::plain(4, 4),
            raw_rwlock: Layout::plain(8, 4),
            condvar: Layout::plain(4, 4),
            once: Layout::plain(4, 4),
            system_time: None,
            wtf8: false,
        }),
        "windows" => Some(StdFacts {
            raw_mutex: Layout::plain(1, 1),
            raw_rwlock: Layout::plain(8, 4),
            condvar: Layout::plain(4, 4),
            once: Layout::plain(4, 4),
            system_time: Some(Layout::plain(8, 4)),
            wtf8: true,
        }),
        "macos" | "ios" => Some(StdFacts {
            raw_mutex: Layout::plain(p, p),
            raw_rwlock: Layout::plain(p, p),
            condvar: Layout::plain(2 * p, p),
            once: Layout::plain(p, p),
            system_time: None,
            wtf8: false,
        }),
        _ => None,
    }
}

/// `crossbeam_utils::CachePadded`'s alignment on the target's architecture.
pub fn cache_padded_align(arch: &str) -> u64 {
    match arch {
        "x86_64" | "aarch64" | "arm64ec" | "powerpc64" => 128,
        "arm" | "mips" | "mips32r6" | "mips64" | "mips64r6" | "sparc" | "hexagon" => 32,
        "m68k" => 16,
        "s390x" => 256,
        _ => 64,
    }
}

/// `Duration` / `Timespec`: `{ secs: u64, nanos: u32 in 0..=999_999_999 }`, repr(Rust).
pub fn timespec(t: &TargetInfo, bound: u64) -> Layout {
    let secs = Layout::plain(8, t.align_u64 as u64);
    let nanos = Layout::scalar_niche(4, 4, (1u128 << 32) - 1_000_000_000);
    univariant(
        &[secs, nanos],
        ReprOpts::default(),
        Kind::AlwaysSized,
        bound,
    )
    .map(|p| p.layout)
    .unwrap_or(Layout::plain(16, 8))
}

/// `Vec<T>` / `String`: `RawVecInner { ptr, cap: UsizeNoHighBit, alloc }` then `len`; the
/// capacity's niche (half the `usize` range) sorts it first.
pub fn vec(t: &TargetInfo) -> Layout {
    let p = t.pointer_size as u64;
    Layout {
        size: 3 * p,
        align: p,
        niche: Some(Niche {
            offset: 0,
            size: p,
            available: 1u128 << (8 * p - 1),
        }),
        over: Over::No,
    }
}

/// A raw lock, the poison flag and the data, with the data last (`T: ?Sized`).
pub fn poisoned_lock(raw: Layout, data: Layout, bound: u64) -> Option<Placed> {
    let poison = Layout::plain(1, 1);
    univariant(
        &[raw, poison, data.without_niche()],
        ReprOpts::default(),
        Kind::MaybeUnsized,
        bound,
    )
    .ok()
}

/// `hashbrown::HashMap { hash_builder: S, table: RawTable }` with `RawTable` four words
/// whose control pointer (`NonNull`) sorts first.
pub fn hash_map(t: &TargetInfo, hasher: Layout, bound: u64) -> Option<Layout> {
    let p = t.pointer_size as u64;
    let table = Layout {
        size: 4 * p,
        align: p,
        niche: Some(Niche {
            offset: 0,
            size: p,
            available: 1,
        }),
        over: Over::No,
    };
    univariant(
        &[hasher, table],
        ReprOpts::default(),
        Kind::AlwaysSized,
        bound,
    )
    .ok()
    .map(|p| p.layout)
}

/// `RandomState { k0: u64, k1: u64 }`.
pub fn random_state(t: &TargetInfo) -> Layout {
    Layout::plain(16, t.align_u64 as u64)
}
