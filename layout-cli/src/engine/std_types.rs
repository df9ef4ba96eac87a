//! Layouts of std, core, alloc and crossbeam-utils types, per target.
//!
//! Sources: the std sources of rustc 1.95 (`library/std/src/sys/sync/*` for the locks,
//! `library/core/src/time.rs` for `Duration`, `library/alloc/src/raw_vec` for `Vec`'s
//! capacity niche, hashbrown's `RawTableInner` for `HashMap`), measured with rustc 1.95
//! (`size_of`/`offset_of!`) and checked by the oracle test on every target row.
//! crossbeam-utils `src/cache_padded.rs` for `CachePadded`.

use std::rc::Rc;

use layout::target::TargetInfo;
use syn::{GenericArgument, Type};

use super::layout::{self as lay, Kind, Layout, Niche, Over, Placed, ReprOpts, univariant};
use super::types::{Ctx, Ptr, R, Scope, Why, path_segs, type_string, unknown};

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

impl Ctx<'_> {
    // ----- std and other crates -------------------------------------------------------

    /// A Linux or macOS row: the Unix std facts below were measured on those.
    fn unix_row(&self) -> bool {
        matches!(self.row.os, "linux" | "macos")
    }

    pub(super) fn extern_layout(
        &self,
        path: &[String],
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let Some(name) = known_extern_name(path) else {
            return unknown(format!(
                "type `{}` is not defined in this crate",
                path.join("::")
            ));
        };
        let l = match std_def(path) {
            Some(i) => self.std_def_layout(i, args, sc, d)?,
            None => self.extern_match(path, name, args, sc, d)?,
        };
        let direct = name.starts_with("Atomic") || name == "CachePadded";
        Ok(if direct {
            l
        } else {
            Layout {
                over: l.over.wrapped(),
                ..l
            }
        })
    }

    pub(super) fn extern_match(
        &self,
        path: &[String],
        name: &str,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let ty = |i: usize| -> R<&Type> {
            args.iter()
                .filter_map(|a| match a {
                    GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .nth(i)
                .ok_or_else(|| Why::Unknown(format!("`{name}` without its type argument")))
        };
        let val = |i: usize| -> R<Layout> { self.layout_of(sc, ty(i)?, d) };
        let pointee = |i: usize| -> R<Ptr> { self.pointee(sc, ty(i)?, d) };
        let p = self.p();
        let a64 = self.a64();
        let std = || {
            self.std.ok_or_else(|| {
                Why::Unknown(format!(
                    "std's `{name}` is not tabulated for {}",
                    self.row.os
                ))
            })
        };
        let no_extra = |n: usize| -> R<()> {
            let count = args
                .iter()
                .filter(|a| matches!(a, GenericArgument::Type(_)))
                .count();
            if count > n {
                unknown(format!(
                    "`{name}` with a custom allocator or extra parameter"
                ))
            } else {
                Ok(())
            }
        };
        Ok(match name {
            "u8" | "i8" => Layout::plain(1, 1),
            "u16" | "i16" => Layout::plain(2, 2),
            "u32" | "i32" | "f32" => Layout::plain(4, 4),
            "u64" | "i64" | "f64" => Layout::plain(8, a64),
            "u128" | "i128" => Layout::plain(16, self.a128()),
            "usize" | "isize" => Layout::plain(p, p),
            "bool" => Layout::scalar_niche(1, 1, 254),
            "char" => Layout::scalar_niche(4, 4, (1u128 << 32) - 0x11_0000),
            "str" => return unknown("`str` is unsized"),
            "c_char" | "c_schar" | "c_uchar" => Layout::plain(1, 1),
            "c_short" | "c_ushort" => Layout::plain(2, 2),
            "c_int" | "c_uint" | "c_float" => Layout::plain(4, 4),
            "c_long" | "c_ulong" => {
                let s = self.row.c_long as u64;
                Layout::plain(s, lay::int_align(s, a64, self.a128()))
            }
            "c_longlong" | "c_ulonglong" | "c_double" => Layout::plain(8, a64),
            // `std::os::fd`: a `c_int` whose valid range excludes -1 (one niche value).
            "OwnedFd" | "BorrowedFd" => Layout::scalar_niche(4, 4, 1),
            // `std::fs::File` wraps an `OwnedFd` on Unix, an `OwnedHandle` (a raw
            // pointer, no niche) on Windows.
            "File" if self.row.os == "windows" => Layout::plain(p, p),
            "File" => Layout::scalar_niche(4, 4, 1),
            "NonZeroU8" | "NonZeroI8" => Layout::scalar_niche(1, 1, 1),
            "NonZeroU16" | "NonZeroI16" => Layout::scalar_niche(2, 2, 1),
            "NonZeroU32" | "NonZeroI32" => Layout::scalar_niche(4, 4, 1),
            "NonZeroU64" | "NonZeroI64" => Layout::scalar_niche(8, a64, 1),
            "NonZeroU128" | "NonZeroI128" => Layout::scalar_niche(16, self.a128(), 1),
            "NonZeroUsize" | "NonZeroIsize" => Layout::scalar_niche(p, p, 1),
            "NonZero" => {
                let inner = val(0)?;
                if inner.niche.is_some() || inner.size == 0 {
                    return unknown("`NonZero` of a non-integer");
                }
                Layout::scalar_niche(inner.size, inner.align, 1)
            }
            // Atomics are `#[repr(C, align(N))]`: `AtomicU64` is 8-aligned even where
            // `u64` is not.
            "AtomicBool" | "AtomicU8" | "AtomicI8" => direct(Layout::plain(1, 1)),
            "AtomicU16" | "AtomicI16" => direct(Layout::plain(2, 2)),
            "AtomicU32" | "AtomicI32" => direct(Layout::plain(4, 4)),
            "AtomicU64" | "AtomicI64" => direct(Layout::plain(8, 8)),
            "AtomicUsize" | "AtomicIsize" | "AtomicPtr" => direct(Layout::plain(p, p)),
            "PhantomData" | "PhantomPinned" => Layout::plain(0, 1),
            "Cell" | "UnsafeCell" | "SyncUnsafeCell" => val(0)?.without_niche(),
            "MaybeUninit" => val(0)?.without_niche(),
            "ManuallyDrop" | "Wrapping" | "Saturating" | "Reverse" | "AssertUnwindSafe" => val(0)?,
            "Pin" => val(0)?,
            "RefCell" => {
                let borrow = Layout::plain(p, p);
                lay::univariant(
                    &[borrow, val(0)?.without_niche()],
                    ReprOpts::default(),
                    Kind::MaybeUnsized,
                    self.bound,
                )
                .map_err(|_| self.too_big("`RefCell`"))?
                .layout
                .without_niche()
            }
            "OnceCell" => self.option(val(0)?)?.without_niche(),
            "Option" => self.option(val(0)?)?,
            "Cow" => self.cow(ty(0)?, sc, d)?,
            "Box" | "Rc" | "Arc" | "Weak" => {
                no_extra(1)?;
                self.ptr(pointee(0)?, true)
            }
            "NonNull" => self.ptr(pointee(0)?, true),
            "Vec" | "BinaryHeap" => {
                no_extra(1)?;
                vec(self.row)
            }
            // `Thread { inner: Pin<Arc<Inner>> }`: one non-null pointer.
            "Thread" => self.ptr(Ptr::Thin, true),
            // `Alignment(AlignmentEnum)`: a `usize`-sized enum of the powers of two, so
            // `1..=1 << (bits - 1)` are valid.
            "Alignment" => Layout::scalar_niche(p, p, 1u128 << (8 * p - 1)),
            "String" | "OsString" | "PathBuf" => {
                let v = vec(self.row);
                if name != "String" && std()?.wtf8 {
                    lay::univariant(
                        &[v, Layout::scalar_niche(1, 1, 254)],
                        ReprOpts::default(),
                        Kind::AlwaysSized,
                        self.bound,
                    )
                    .map_err(|_| self.too_big("`OsString`"))?
                    .layout
                } else {
                    v
                }
            }
            "CString" => self.ptr(Ptr::Fat, true),
            "VecDeque" => {
                no_extra(1)?;
                let v = vec(self.row);
                let word = Layout::plain(p, p);
                lay::univariant(
                    &[word, word, Layout { size: 2 * p, ..v }],
                    ReprOpts::default(),
                    Kind::AlwaysSized,
                    self.bound,
                )
                .map_err(|_| self.too_big("`VecDeque`"))?
                .layout
            }
            "HashMap" | "HashSet" => {
                let hasher_index = if name == "HashMap" { 2 } else { 1 };
                let hasher = match ty(hasher_index) {
                    Ok(h) => self.layout_of(sc, h, d)?,
                    Err(_) => random_state(self.row),
                };
                hash_map(self.row, hasher, self.bound).ok_or_else(|| self.too_big("`HashMap`"))?
            }
            "RandomState" => random_state(self.row),
            // `BuildHasherDefault<H>(PhantomData<fn() -> H>)`.
            "BuildHasherDefault" => Layout::plain(0, 1),
            "BTreeMap" | "BTreeSet" => {
                no_extra(if name == "BTreeMap" { 2 } else { 1 })?;
                Layout::plain(3 * p, p)
            }
            "Duration" => timespec(self.row, self.bound),
            "Instant" => timespec(self.row, self.bound),
            "SystemTime" => std()?.system_time.unwrap_or(timespec(self.row, self.bound)),
            "Mutex" | "RwLock" => {
                let f = std()?;
                let raw = if name == "Mutex" {
                    f.raw_mutex
                } else {
                    f.raw_rwlock
                };
                poisoned_lock(raw, val(0)?, self.bound)
                    .ok_or_else(|| self.too_big(&format!("`{name}`")))?
                    .layout
            }
            "Condvar" => std()?.condvar,
            // `OnceLock<T> { once: Once, value: UnsafeCell<MaybeUninit<T>>, _marker }`.
            "OnceLock" => {
                let fields = [std()?.once, val(0)?.without_niche(), Layout::plain(0, 1)];
                lay::univariant(&fields, ReprOpts::default(), Kind::AlwaysSized, self.bound)
                    .map_err(|_| self.too_big("`OnceLock`"))?
                    .layout
            }
            "Once" => std()?.once,
            "CachePadded" => {
                let inner = val(0)?;
                let a = cache_padded_align(self.row.arch).max(inner.align);
                Layout {
                    size: lay::align_up(inner.size, a)
                        .ok_or_else(|| self.too_big("`CachePadded`"))?,
                    align: a,
                    niche: inner.niche,
                    over: Over::Direct,
                }
            }
            // Sockets hold one `OwnedFd` on Unix, one `OwnedSocket` (a `u64` whose
            // valid range ends at `u64::MAX - 1`) on Windows.
            "TcpStream" | "TcpListener" | "UdpSocket" if self.row.os == "windows" => {
                Layout::scalar_niche(8, a64, 1)
            }
            "TcpStream" | "TcpListener" | "UdpSocket" if self.unix_row() => {
                Layout::scalar_niche(4, 4, 1)
            }
            "UnixStream" | "UnixListener" | "UnixDatagram"
                if self.unix_row() && path.iter().any(|s| s == "unix") =>
            {
                Layout::scalar_niche(4, 4, 1)
            }
            // `std::os::unix::net::SocketAddr { addr: sockaddr_un, len: socklen_t }`:
            // `sockaddr_un` is 110 bytes on Linux, 106 on macOS; no niche.
            "SocketAddr" if path.iter().any(|s| s == "unix") => match self.row.os {
                "linux" => Layout::plain(116, 4),
                "macos" => Layout::plain(112, 4),
                _ => {
                    return unknown(format!(
                        "`{}` is not tabulated for {}",
                        path.join("::"),
                        self.row.short
                    ));
                }
            },
            // SIMD vectors (`#[repr(simd)]`): as aligned as they are big, no niche.
            "__m128i" | "__m128" | "__m128d"
                if matches!(self.row.arch, "x86_64" | "x86")
                    && path.iter().any(|s| s == "x86_64" || s == "x86") =>
            {
                Layout::plain(16, 16)
            }
            "uint8x8_t" | "int8x8_t" | "uint16x4_t" | "uint32x2_t" | "uint64x1_t"
                if self.row.arch == "aarch64" && path.iter().any(|s| s == "aarch64") =>
            {
                Layout::plain(8, 8)
            }
            "uint8x16_t" | "int8x16_t" | "uint16x8_t" | "uint32x4_t" | "uint64x2_t"
                if self.row.arch == "aarch64" && path.iter().any(|s| s == "aarch64") =>
            {
                Layout::plain(16, 16)
            }
            // `ExitStatus(c_int)` on Unix, `ExitStatus(u32)` on Windows.
            "ExitStatus" if self.unix_row() || self.row.os == "windows" => Layout::plain(4, 4),
            // Raw OS handles: aliases of `c_int`, `u64` and `*mut c_void`.
            "RawFd" if self.unix_row() => Layout::plain(4, 4),
            "RawSocket" if self.row.os == "windows" => Layout::plain(8, a64),
            "RawHandle" if self.row.os == "windows" => Layout::plain(p, p),
            // Windows' owned handles: a socket's valid range ends at `u64::MAX - 1`; a
            // handle is a raw pointer without a niche.
            "OwnedSocket" if self.row.os == "windows" => Layout::scalar_niche(8, a64, 1),
            "OwnedHandle" if self.row.os == "windows" => Layout::plain(p, p),
            // `Stdin`, `Stdout`, `Stderr`: one `&'static` to the shared handle.
            "Stdin" | "Stdout" | "Stderr" => self.ptr(Ptr::Thin, true),
            // A fieldless enum of 42 variants (rustc 1.95): 214 niche values.
            "ErrorKind" if path.iter().any(|s| s == "io") => Layout::scalar_niche(1, 1, 214),
            // `FileType { mode: mode_t }` on Unix (`u32` on Linux, `u16` on macOS);
            // two `bool`s on Windows.
            "FileType" => match self.row.os {
                "linux" => Layout::plain(4, 4),
                "macos" => Layout::plain(2, 2),
                "windows" => {
                    let b = Layout::scalar_niche(1, 1, 254);
                    lay::univariant(&[b, b], ReprOpts::default(), Kind::AlwaysSized, self.bound)
                        .map_err(|_| self.too_big("`FileType`"))?
                        .layout
                }
                _ => {
                    return unknown(format!(
                        "std's `FileType` is not tabulated for {}",
                        self.row.short
                    ));
                }
            },
            // Unix `OpenOptions`: six `bool`s, `custom_flags: c_int`, `mode: mode_t`.
            "OpenOptions" if self.unix_row() => {
                let b = Layout::scalar_niche(1, 1, 254);
                let mode = if self.row.os == "macos" {
                    Layout::plain(2, 2)
                } else {
                    Layout::plain(4, 4)
                };
                let fields = [b, b, b, b, b, b, Layout::plain(4, 4), mode];
                lay::univariant(&fields, ReprOpts::default(), Kind::AlwaysSized, self.bound)
                    .map_err(|_| self.too_big("`OpenOptions`"))?
                    .layout
            }
            // Unix `ReadDir { inner: Arc<InnerReadDir>, end_of_stream: bool }`.
            "ReadDir" if self.unix_row() => {
                let fields = [self.ptr(Ptr::Thin, true), Layout::scalar_niche(1, 1, 254)];
                lay::univariant(&fields, ReprOpts::default(), Kind::AlwaysSized, self.bound)
                    .map_err(|_| self.too_big("`ReadDir`"))?
                    .layout
            }
            _ => return unknown(format!("type `{}` is not modelled", path.join("::"))),
        })
    }
}

/// The name of a type outside the crate the engine knows, keyed by its last segment:
/// primitives and prelude types by their bare name, std/core/alloc types under any
/// module path, crossbeam's `CachePadded`.
pub fn known_extern_name(p: &[String]) -> Option<&str> {
    let last = p.last()?.as_str();
    let head = p.first()?.as_str();
    let prelude = crate::index::is_prelude(last);
    if p.len() == 1 {
        return prelude.then_some(last);
    }
    match head {
        "std" | "core" | "alloc" => Some(last),
        "crossbeam_utils" if last == "CachePadded" => Some(last),
        "crossbeam" if p.get(1).is_some_and(|s| s == "utils") && last == "CachePadded" => {
            Some(last)
        }
        _ => None,
    }
}

fn direct(l: Layout) -> Layout {
    Layout {
        over: Over::Direct,
        ..l
    }
}

/// std, core and alloc types written as Rust, keyed by the end of their path
/// (`["io", "Error"]` matches `std::io::Error`): laid out by the same code as the crate's
/// own items, with the target's `cfg`. Names inside are absolute (`::core::...`) so the
/// crate's own items cannot shadow them; helper types live under made-up paths that
/// end in a key of this table. The field types are the std sources' of rustc 1.95 where
/// their layout matters, and an equivalent stand-in where only size, alignment and
/// niche do (`&'static ()` for a `&'static RawWakerVTable`); each is checked by the
/// oracle test on every target.
pub const STD_DEFS: &[(&[&str], &str)] = &[
    (&["Result"], "enum Result<T, E> { Ok(T), Err(E) }"),
    (&["Poll"], "enum Poll<T> { Ready(T), Pending }"),
    (
        &["ControlFlow"],
        "enum ControlFlow<B, C = ()> { Continue(C), Break(B) }",
    ),
    (
        &["Bound"],
        "enum Bound<T> { Included(T), Excluded(T), Unbounded }",
    ),
    (
        &["cmp", "Ordering"],
        "#[repr(i8)] enum Ordering { Less = -1, Equal = 0, Greater = 1 }",
    ),
    (
        &["atomic", "Ordering"],
        "enum Ordering { Relaxed, Release, Acquire, AcqRel, SeqCst }",
    ),
    (&["fmt", "Error"], "struct Error;"),
    (
        &["RawWaker"],
        "struct RawWaker { data: *const (), vtable: &'static () }",
    ),
    (&["Waker"], "struct Waker { waker: ::core::task::RawWaker }"),
    (
        &["alloc", "Layout"],
        "struct Layout { size: usize, align: ::core::ptr::Alignment }",
    ),
    (
        &["thread", "JoinHandle"],
        "struct JoinHandle<T> { native: usize, thread: ::std::thread::Thread, packet: ::std::sync::Arc<()> }",
    ),
    (
        &["MutexGuard"],
        "struct MutexGuard<T: ?Sized> { lock: &'static ::std::sync::Mutex<T>, poison: bool }",
    ),
    (
        &["RwLockReadGuard"],
        "struct RwLockReadGuard<T: ?Sized> { data: ::core::ptr::NonNull<T>, inner_lock: &'static () }",
    ),
    (
        &["RwLockWriteGuard"],
        "struct RwLockWriteGuard<T: ?Sized> { lock: &'static ::std::sync::RwLock<T>, poison: bool }",
    ),
    // 16 bytes of pointers (so const evaluation can compare them): 4-aligned on
    // 32-bit targets, without a niche.
    (
        &["any", "TypeId"],
        "#[cfg(target_pointer_width = \"64\")] struct TypeId { data: [*const (); 2] }",
    ),
    (
        &["any", "TypeId"],
        "#[cfg(target_pointer_width = \"32\")] struct TypeId { data: [*const (); 4] }",
    ),
    (
        &["thread", "ThreadId"],
        "struct ThreadId(::core::num::NonZeroU64);",
    ),
    (
        &["io", "Error"],
        "#[cfg(target_pointer_width = \"64\")] struct Error { repr: ::core::ptr::NonNull<()> }",
    ),
    (
        &["io", "Error"],
        "#[cfg(not(target_pointer_width = \"64\"))] struct Error { repr: ::std::io::ErrorData }",
    ),
    (
        &["io", "ErrorData"],
        "enum ErrorData { Os(i32), Simple(u8), SimpleMessage(&'static ()), Custom(::std::boxed::Box<()>) }",
    ),
    (
        &["mpsc", "Sender"],
        "struct Sender<T> { flavor: ::std::sync::mpsc::Flavor }",
    ),
    (
        &["mpsc", "SyncSender"],
        "struct SyncSender<T> { flavor: ::std::sync::mpsc::Flavor }",
    ),
    (
        &["mpsc", "Receiver"],
        "struct Receiver<T> { flavor: ::std::sync::mpsc::Flavor }",
    ),
    (
        &["mpsc", "Flavor"],
        "enum Flavor { Array(*mut ()), List(*mut ()), Zero(*mut ()) }",
    ),
    (
        &["LazyLock"],
        "struct LazyLock<T, F = fn() -> T> { once: ::std::sync::Once, data: ::core::cell::UnsafeCell<::std::sync::LazyData<T, F>> }",
    ),
    (
        &["LazyData"],
        "union LazyData<T, F> { value: ::core::mem::ManuallyDrop<T>, f: ::core::mem::ManuallyDrop<F> }",
    ),
    (
        &["std", "net", "SocketAddr"],
        "enum SocketAddr { V4(::std::net::SocketAddrV4), V6(::std::net::SocketAddrV6) }",
    ),
    (
        &["core", "net", "SocketAddr"],
        "enum SocketAddr { V4(::std::net::SocketAddrV4), V6(::std::net::SocketAddrV6) }",
    ),
    (
        &["SocketAddrV4"],
        "struct SocketAddrV4 { ip: ::std::net::Ipv4Addr, port: u16 }",
    ),
    (
        &["SocketAddrV6"],
        "struct SocketAddrV6 { ip: ::std::net::Ipv6Addr, port: u16, flowinfo: u32, scope_id: u32 }",
    ),
    (&["Ipv4Addr"], "struct Ipv4Addr { octets: [u8; 4] }"),
    (&["Ipv6Addr"], "struct Ipv6Addr { octets: [u8; 16] }"),
    // `Child { handle: Process, stdin, stdout, stderr }`, each pipe an `Option` of a
    // file descriptor; `Process { pid, status: Option<ExitStatus(c_int)> }` and on
    // Linux a pidfd.
    (
        &["process", "Child"],
        "#[cfg(any(target_os = \"linux\", target_os = \"macos\"))] struct Child { handle: ::std::process::ChildProcess, stdin: ::core::option::Option<::std::os::fd::OwnedFd>, stdout: ::core::option::Option<::std::os::fd::OwnedFd>, stderr: ::core::option::Option<::std::os::fd::OwnedFd> }",
    ),
    (
        &["process", "ChildProcess"],
        "#[cfg(target_os = \"linux\")] struct ChildProcess { pid: i32, status: ::core::option::Option<i32>, pidfd: ::core::option::Option<::std::os::fd::OwnedFd> }",
    ),
    (
        &["process", "ChildProcess"],
        "#[cfg(target_os = \"macos\")] struct ChildProcess { pid: i32, status: ::core::option::Option<i32> }",
    ),
    (
        &["LazyCell"],
        "struct LazyCell<T, F = fn() -> T> { state: ::core::cell::UnsafeCell<::core::cell::LazyState<T, F>> }",
    ),
    (
        &["LazyState"],
        "enum LazyState<T, F> { Uninit(F), Init(T), Poisoned }",
    ),
];

/// The [`STD_DEFS`] rows whose key ends `path`, for a path into std, core or alloc (or a
/// bare prelude name: `Result`).
fn std_def(path: &[String]) -> Option<&'static [usize]> {
    let head = path.first()?.as_str();
    if path.len() > 1 && !matches!(head, "std" | "core" | "alloc") {
        return None;
    }
    let found = STD_DEF_INDEX.iter().find(|(k, _)| {
        let k: &[&str] = k;
        path.len() >= k.len()
            && path[path.len() - k.len()..]
                .iter()
                .zip(k)
                .all(|(a, b)| a == b)
    });
    let (key, rows) = found?;
    if path.len() == 1 && !crate::index::is_prelude(key[0]) {
        return None;
    }
    Some(rows)
}

/// Keys of [`STD_DEFS`] with the rows holding them (one per `cfg` alternative).
static STD_DEF_INDEX: std::sync::LazyLock<Vec<(Vec<&'static str>, Vec<usize>)>> =
    std::sync::LazyLock::new(|| {
        let mut out: Vec<(Vec<&'static str>, Vec<usize>)> = Vec::new();
        for (i, (k, _)) in STD_DEFS.iter().enumerate() {
            match out.iter_mut().find(|(key, _)| key.as_slice() == *k) {
                Some((_, rows)) => rows.push(i),
                None => out.push((k.to_vec(), vec![i])),
            }
        }
        // Longer keys first: `["io", "Error"]` before a bare `["Error"]`.
        out.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        out
    });

impl Ctx<'_> {
    /// A [`STD_DEFS`] row parsed (once per engine).
    fn std_item(&self, row: usize) -> R<Rc<syn::Item>> {
        if let Some(it) = self.std_items.borrow().get(&row) {
            return Ok(it.clone());
        }
        let item = syn::parse_str::<syn::Item>(STD_DEFS[row].1)
            .map_err(|e| Why::Unknown(format!("std table row {row}: {e}")))?;
        let item = Rc::new(item);
        self.std_items.borrow_mut().insert(row, item.clone());
        Ok(item)
    }

    /// A std type of [`STD_DEFS`] with its arguments (written in `sc`): the row whose
    /// `cfg` holds on this target.
    fn std_def_layout(
        &self,
        rows: &[usize],
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        for &row in rows {
            let item = self.std_item(row)?;
            let (attrs, generics) = match &*item {
                syn::Item::Struct(s) => (&s.attrs, &s.generics),
                syn::Item::Enum(e) => (&e.attrs, &e.generics),
                syn::Item::Union(u) => (&u.attrs, &u.generics),
                _ => return unknown(format!("std table row {row} is not a type")),
            };
            if !self.cfg_enabled(attrs, sc.module) {
                continue;
            }
            let params = self.bind(generics, args, sc, sc.module, d)?;
            let inner = Scope {
                module: sc.module,
                params,
                self_struct: None,
            };
            let d = d + 1;
            return match &*item {
                syn::Item::Enum(e) => self.enum_item_layout(e, sc.module, inner.params, d),
                syn::Item::Struct(s) => {
                    let mut fields = Vec::new();
                    for f in &s.fields {
                        if self.cfg_enabled(&f.attrs, sc.module) {
                            fields.push(self.layout_of(&inner, &f.ty, d)?);
                        }
                    }
                    lay::univariant(&fields, ReprOpts::default(), Kind::AlwaysSized, self.bound)
                        .map(|p| p.layout)
                        .map_err(|_| self.too_big(&format!("`{}`", s.ident)))
                }
                syn::Item::Union(u) => {
                    let mut fields = Vec::new();
                    for f in &u.fields.named {
                        fields.push(self.layout_of(&inner, &f.ty, d)?);
                    }
                    let opts = ReprOpts {
                        c: true,
                        ..ReprOpts::default()
                    };
                    lay::union(&fields, opts, self.bound)
                        .map_err(|_| self.too_big(&format!("`{}`", u.ident)))
                }
                _ => unknown("not a type"),
            };
        }
        unknown(format!(
            "std's `{}` is not tabulated for {}",
            STD_DEFS[rows[0]].0.join("::"),
            self.row.short
        ))
    }

    /// `Cow<'_, B> { Borrowed(&B), Owned(<B as ToOwned>::Owned) }`: the owned type of
    /// `str`, slices, `Path`, `OsStr`, `CStr` and of a sized `Clone` type (itself).
    fn cow(&self, b: &Type, sc: &Scope, d: usize) -> R<Layout> {
        let owned: Type = match b {
            Type::Slice(s) => parse_type(&format!("::std::vec::Vec<{}>", type_string(&s.elem)))?,
            Type::Path(tp) if tp.qself.is_none() => {
                let segs = path_segs(&tp.path);
                let res =
                    self.ix
                        .resolve(sc.module, &segs, tp.path.leading_colon.is_some(), &self.t);
                let std_name = match &res {
                    Some(crate::index::Res::Extern(p)) => known_extern_name(p),
                    _ => None,
                };
                match std_name {
                    Some("str") => parse_type("::std::string::String")?,
                    Some("Path") => parse_type("::std::path::PathBuf")?,
                    Some("OsStr") => parse_type("::std::ffi::OsString")?,
                    Some("CStr") => parse_type("::std::ffi::CString")?,
                    _ if self.pointee(sc, b, d)? == Ptr::Thin => b.clone(),
                    _ => return unknown("`Cow` of an unsized type without a known owned form"),
                }
            }
            _ if self.pointee(sc, b, d)? == Ptr::Thin => b.clone(),
            _ => return unknown("`Cow` of an unsized type without a known owned form"),
        };
        let borrowed = self.ptr(self.pointee(sc, b, d)?, true);
        let owned = self.layout_of(sc, &owned, d + 1)?;
        let opts = lay::EnumOpts {
            align_u64: self.row.align_u64 as u64,
            align_u128: self.row.align_u128 as u64,
            ..lay::EnumOpts::default()
        };
        lay::enum_layout(&[vec![borrowed], vec![owned]], &[0, 1], opts, self.bound)
            .map_err(|_| self.too_big("`Cow`"))
    }
}

fn parse_type(s: &str) -> R<Type> {
    syn::parse_str(s).map_err(|e| Why::Unknown(format!("`{s}`: {e}")))
}
