//! Cross-target fixtures for `#[derive(CacheLayout)]`.
//!
//! Every struct here must compile, its `const` assertions included, on each target CI
//! covers: x86_64 and aarch64 Linux, x86_64 Windows (gnu and msvc) and aarch64 macOS.
//! Where the right layout differs by target, the expectation says so with `cfg_attr`,
//! the way users are meant to. `tests/*.rs` then run on each target (natively, under
//! qemu-aarch64 and under wine) and compare the descriptors with rustc there.
//! Structs that must FAIL on some target live in `target-fixtures/`, one crate each.
#![no_std]
#![allow(dead_code)]
// Fixtures exist for their layouts; Debug would add nothing.
#![allow(missing_debug_implementations)]

use core::ffi::c_long;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize};

use layout::CacheLayout;

/// The event loop's state word from issue 2: alone on its line, with the line index
/// stated per target (Apple's 128-byte lines put offset 64 on line 0).
#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(size = 128)]
pub struct FastState {
    #[layout(pad)]
    pub _before: [u8; 64],
    #[cfg_attr(not(target_vendor = "apple"), layout(line = 1))]
    #[cfg_attr(target_vendor = "apple", layout(line = 0))]
    #[layout(isolated)]
    pub v: AtomicU64,
    #[layout(pad)]
    pub _after: [u8; 56],
}

/// A counter padded to 128 bytes, as crossbeam's `CachePadded` does on x86_64 and
/// aarch64: isolated on every target's line size.
#[derive(CacheLayout)]
#[repr(C, align(128))]
#[layout(size = 128, align = 128)]
pub struct PaddedCounter {
    #[layout(offset = 0, line = 0, isolated)]
    pub count: AtomicU64,
    #[layout(pad)]
    pub _pad: [u8; 120],
}

/// Producer and consumer indices of a ring, 128 bytes apart so that neither a 64-byte
/// line, a 128-byte line nor a 128-byte prefetch pair holds both.
#[derive(CacheLayout)]
#[repr(C, align(128))]
#[layout(size = 256, line = 128)]
pub struct RingIndices {
    #[layout(group = "consumer", offset = 0)]
    pub head: AtomicUsize,
    #[layout(group = "consumer")]
    pub cached_tail: usize,
    #[layout(pad)]
    pub _pad: [u8; 112],
    #[layout(group = "producer", offset = 128, line = 1)]
    pub tail: AtomicUsize,
    #[layout(group = "producer")]
    pub cached_head: usize,
}

/// `c_long` is 8 bytes on 64-bit Unix and 4 on Windows (LLP64).
#[derive(CacheLayout)]
#[repr(C)]
#[cfg_attr(windows, layout(size = 8, align = 4))]
#[cfg_attr(not(windows), layout(size = 16, align = 8))]
pub struct Longs {
    pub a: c_long,
    #[cfg_attr(windows, layout(offset = 4))]
    #[cfg_attr(not(windows), layout(offset = 8))]
    pub b: c_long,
}

/// `u128` is 16-aligned on x86_64 (since Rust 1.77) and on aarch64.
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 32, align = 16, max_padding = 15)]
pub struct Wide {
    pub tag: u8,
    #[layout(offset = 16)]
    pub value: u128,
}

/// A field that exists on one architecture only (as `#[cfg]` fields in real code do).
#[derive(CacheLayout)]
#[repr(C)]
#[cfg_attr(target_arch = "aarch64", layout(size = 16))]
#[cfg_attr(not(target_arch = "aarch64"), layout(size = 8))]
pub struct ArchSpecific {
    pub common: u64,
    #[cfg(target_arch = "aarch64")]
    pub arm_only: u64,
}

/// Tuple, unit and packed structs.
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 8)]
pub struct TupleFixture(
    #[layout(offset = 0)] pub u8,
    #[layout(offset = 4)] pub AtomicU32,
);

#[derive(CacheLayout)]
#[layout(size = 0, align = 1)]
pub struct UnitFixture;

#[derive(CacheLayout)]
#[repr(C, packed)]
#[layout(size = 13, align = 1, max_padding = 0)]
pub struct PackedFixture {
    pub a: u8,
    #[layout(offset = 1)]
    pub b: u64,
    #[layout(offset = 9)]
    pub c: u32,
}

/// Rounds `T` up to a 64-byte block.
#[repr(C, align(64))]
pub struct LineAligned<T>(pub T);

/// A generic struct, checked per instantiation with `layout::verify`.
#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(size = 128, line = 64)]
pub struct Slot<T> {
    #[layout(line = 0, group = "writer")]
    pub value: LineAligned<T>,
    #[layout(line = 1, group = "reader")]
    pub seen: AtomicU64,
    pub _marker: PhantomData<T>,
}

const _: () = layout::verify::<Slot<u64>>();
const _: () = layout::verify::<Slot<[u8; 64]>>();

/// Nests other fixtures: repr(Rust), so offsets are rustc's choice on each target.
#[derive(CacheLayout)]
pub struct Nested {
    pub state: FastState,
    pub longs: Longs,
    pub flag: bool,
    pub wide: Wide,
}

/// Per-target values passed through `macro_rules!` fragments (`$x:literal`), with
/// advisory codes allowed: the derive reads both like written ones on every target.
macro_rules! line_pair {
    ($name:ident, $size:literal, $line:literal, $off:literal, $k:literal, $g:literal) => {
        #[derive(CacheLayout)]
        #[repr(C, align(64))]
        #[layout(size = $size, line = $line, allow(padding-waste, unaligned_base))]
        pub struct $name {
            #[layout(offset = 0, line = 0, group = "a", allow(adjacent-line))]
            pub head: AtomicU64,
            #[layout(pad)]
            pub _pad: [u8; 56],
            #[layout(offset = $off, line = $k, group = $g)]
            pub tail: AtomicU64,
        }
    };
}

line_pair!(MacroPair, 128, 64, 64, 1, "b");
