//! On whatever target this runs on (CI: x86_64 Linux natively, aarch64 Linux under
//! qemu, x86_64 Windows under wine; `cargo check --tests` for msvc and macOS), every
//! fixture's descriptor equals rustc's `size_of`/`align_of`/`offset_of!` there, and the
//! per-target expectations in `src/lib.rs` are the ones that applied.

use core::ffi::c_long;
use core::mem::{align_of, offset_of, size_of};
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize};

use layout::CacheLayout;
use layout::target::CURRENT;
use layout_tests::*;

macro_rules! assert_matches_rustc {
    ($ty:ty { $($field:tt : $fty:ty),* $(,)? }) => {{
        let l = <$ty as CacheLayout>::LAYOUT;
        assert_eq!(l.size, size_of::<$ty>(), "size of {}", stringify!($ty));
        assert_eq!(l.align, align_of::<$ty>(), "align of {}", stringify!($ty));
        let names: &[&str] = &[$(stringify!($field)),*];
        let fields: Vec<&str> = l.fields.iter().map(|f| f.name).collect();
        assert_eq!(fields, names, "fields of {}", stringify!($ty));
        #[allow(unused_mut)]
        let mut i = 0;
        $(
            let f = &l.fields[i];
            assert_eq!(f.offset, offset_of!($ty, $field), "offset of {}::{}", stringify!($ty), f.name);
            assert_eq!(f.size, size_of::<$fty>(), "size of {}::{}", stringify!($ty), f.name);
            assert_eq!(f.align, align_of::<$fty>(), "align of {}::{}", stringify!($ty), f.name);
            i += 1;
        )*
        assert_eq!(i, l.fields.len());
        assert_eq!(l.target, CURRENT.short);
        l
    }};
}

#[test]
fn fast_state() {
    let l = assert_matches_rustc!(FastState {
        _before: [u8; 64],
        v: AtomicU64,
        _after: [u8; 56]
    });
    assert_eq!((l.size, l.align, l.line), (128, 64, CURRENT.cache_line));
    let want_line = if cfg!(target_vendor = "apple") { 0 } else { 1 };
    assert_eq!(l.fields[1].intent.line, Some(want_line));
    assert_eq!(l.fields[1].offset / l.line, want_line);
}

#[test]
fn padded_counter_and_ring() {
    assert_matches_rustc!(PaddedCounter {
        count: AtomicU64,
        _pad: [u8; 120]
    });
    let l = assert_matches_rustc!(RingIndices {
        head: AtomicUsize,
        cached_tail: usize,
        _pad: [u8; 112],
        tail: AtomicUsize,
        cached_head: usize,
    });
    assert_eq!(
        l.line, 128,
        "the struct-level `line = 128` overrides the target's"
    );
    assert_eq!(l.prefetch_span, CURRENT.prefetch_span);
}

#[test]
fn c_long_differs_on_windows() {
    let l = assert_matches_rustc!(Longs {
        a: c_long,
        b: c_long
    });
    let want = if cfg!(windows) { 8 } else { 16 };
    assert_eq!((l.size, l.expect.size), (want, Some(want)));
    assert_eq!(size_of::<c_long>(), CURRENT.c_long);
}

#[test]
fn u128_alignment() {
    let l = assert_matches_rustc!(Wide {
        tag: u8,
        value: u128
    });
    assert_eq!(l.fields[1].align, CURRENT.align_u128);
    assert_eq!(align_of::<u64>(), CURRENT.align_u64);
    assert_eq!(size_of::<usize>(), CURRENT.pointer_size);
}

#[test]
fn cfg_fields_are_absent_where_cfgd_out() {
    #[cfg(target_arch = "aarch64")]
    let l = assert_matches_rustc!(ArchSpecific {
        common: u64,
        arm_only: u64
    });
    #[cfg(not(target_arch = "aarch64"))]
    let l = assert_matches_rustc!(ArchSpecific { common: u64 });
    assert_eq!(
        l.fields.len(),
        if cfg!(target_arch = "aarch64") { 2 } else { 1 }
    );
}

#[test]
fn tuple_unit_packed() {
    assert_matches_rustc!(TupleFixture {
        0: u8,
        1: AtomicU32
    });
    assert_matches_rustc!(UnitFixture {});
    let l = assert_matches_rustc!(PackedFixture {
        a: u8,
        b: u64,
        c: u32
    });
    assert_eq!(l.repr.packed, Some(1));
}

#[test]
fn generic_and_nested() {
    assert_matches_rustc!(Slot<u64> { value: LineAligned<u64>, seen: AtomicU64, _marker: core::marker::PhantomData<u64> });
    assert_matches_rustc!(Slot<[u8; 64]> { value: LineAligned<[u8; 64]>, seen: AtomicU64, _marker: core::marker::PhantomData<[u8; 64]> });
    assert_matches_rustc!(Nested {
        state: FastState,
        longs: Longs,
        flag: bool,
        wide: Wide
    });
}

#[test]
fn every_fixture_passes_every_rule_at_run_time_too() {
    // The CLI calls the same const fns at run time; they must agree with the compiler.
    for l in [
        FastState::LAYOUT,
        PaddedCounter::LAYOUT,
        RingIndices::LAYOUT,
        Longs::LAYOUT,
        Wide::LAYOUT,
        ArchSpecific::LAYOUT,
        TupleFixture::LAYOUT,
        UnitFixture::LAYOUT,
        PackedFixture::LAYOUT,
        Slot::<u64>::LAYOUT,
        Nested::LAYOUT,
        MacroPair::LAYOUT,
    ] {
        assert_eq!(layout::rules::check_struct(&l), None, "{}", l.name);
        for i in 0..l.fields.len() {
            assert_eq!(layout::rules::check_field_all(&l, i), None, "{}", l.name);
        }
    }
}

#[test]
fn macro_substituted_values() {
    let l = assert_matches_rustc!(MacroPair {
        head: AtomicU64,
        _pad: [u8; 56],
        tail: AtomicU64,
    });
    assert_eq!(l.expect.size, Some(128));
    assert_eq!(l.expect.line, Some(64));
    assert_eq!(l.line, 64);
    let t = &l.fields[2].intent;
    assert_eq!((t.offset, t.line, t.group), (Some(64), Some(1), Some("b")));
}
