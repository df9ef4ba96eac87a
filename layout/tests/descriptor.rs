//! The descriptor `#[derive(CacheLayout)]` builds equals what rustc computed:
//! `size_of`, `align_of` and `offset_of!` of the struct and of every field, in
//! declaration order, for every shape and `repr` the derive accepts.
#![allow(dead_code)]

use core::marker::PhantomData;
use core::mem::{align_of, offset_of, size_of};
use core::sync::atomic::{AtomicU32, AtomicU64};

use layout::{CacheLayout, ReprInfo};

/// Asserts the whole descriptor of `$ty` against rustc, field by field.
macro_rules! assert_matches_rustc {
    ($ty:ty { $($field:tt : $fty:ty),* $(,)? }) => {{
        let l = <$ty as CacheLayout>::LAYOUT;
        assert_eq!(l.size, size_of::<$ty>(), "size of {}", stringify!($ty));
        assert_eq!(l.align, align_of::<$ty>(), "align of {}", stringify!($ty));
        let names: Vec<&str> = [$(stringify!($field)),*]
            .iter()
            .map(|n: &&str| n.trim_start_matches("r#"))
            .collect();
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
        l
    }};
}

#[derive(CacheLayout)]
#[repr(C)]
struct C3 {
    a: u8,
    b: u64,
    c: u16,
}

// repr(Rust): rustc reorders; the descriptor keeps declaration order with real offsets.
#[derive(CacheLayout)]
struct Rusty {
    a: u8,
    b: u64,
    c: u16,
    d: Option<Box<u32>>,
    e: (u8, u32),
}

#[derive(CacheLayout)]
#[repr(C, packed)]
struct Packed1 {
    a: u8,
    b: u64,
    c: u16,
}

#[derive(CacheLayout)]
#[allow(clippy::repr_packed_without_abi)] // repr(Rust) + packed is the case under test
#[repr(packed(2))]
struct Packed2 {
    a: u8,
    b: u64,
    c: u32,
}

#[derive(CacheLayout)]
#[repr(C, align(128))]
struct Aligned {
    a: AtomicU64,
    b: [u8; 3],
}

#[derive(CacheLayout)]
#[repr(transparent)]
struct Transparent(u64, PhantomData<u8>);

#[derive(CacheLayout)]
struct Tuple(u8, u32, u16);

#[derive(CacheLayout)]
struct Unit;

#[derive(CacheLayout)]
#[repr(C)]
struct Nested {
    head: u8,
    inner: C3,
    aligned: Aligned,
}

#[derive(CacheLayout)]
#[repr(C)]
struct Generic<T, const N: usize> {
    a: u8,
    items: [T; N],
    b: T,
}

#[derive(CacheLayout)]
struct Borrowing<'a, T: ?Sized> {
    r: &'a T,
    n: u8,
}

#[derive(CacheLayout)]
struct Recursive {
    next: Option<Box<Self>>,
    r#type: u32,
    zst: (),
    atomic: AtomicU32,
}

#[test]
fn repr_c_keeps_declaration_order() {
    let l = assert_matches_rustc!(C3 {
        a: u8,
        b: u64,
        c: u16
    });
    assert_eq!(l.name, "C3");
    assert_eq!(
        l.repr,
        ReprInfo {
            c: true,
            ..ReprInfo::default()
        }
    );
    assert_eq!(l.size, 24);
}

#[test]
fn repr_rust_offsets_are_rustcs() {
    let l =
        assert_matches_rustc!(Rusty { a: u8, b: u64, c: u16, d: Option<Box<u32>>, e: (u8, u32) });
    assert!(!l.repr.keeps_order());
}

#[test]
fn packed_structs() {
    let l = assert_matches_rustc!(Packed1 {
        a: u8,
        b: u64,
        c: u16
    });
    assert_eq!((l.size, l.align, l.repr.packed), (11, 1, Some(1)));
    // Field `align` is the type's alignment, not the effective one (see FieldLayout).
    assert_eq!(l.fields[1].align, align_of::<u64>());
    let l = assert_matches_rustc!(Packed2 {
        a: u8,
        b: u64,
        c: u32
    });
    assert_eq!((l.align, l.repr.packed), (2, Some(2)));
}

#[test]
fn aligned_and_transparent() {
    let l = assert_matches_rustc!(Aligned {
        a: AtomicU64,
        b: [u8; 3]
    });
    assert_eq!((l.size, l.align, l.repr.align), (128, 128, Some(128)));
    let l = assert_matches_rustc!(Transparent { 0: u64, 1: PhantomData<u8> });
    assert!(l.repr.transparent);
}

#[test]
fn tuple_and_unit() {
    let l = assert_matches_rustc!(Tuple {
        0: u8,
        1: u32,
        2: u16
    });
    assert_eq!(l.fields[2].name, "2");
    let l = assert_matches_rustc!(Unit {});
    assert_eq!((l.size, l.align, l.fields.len()), (0, 1, 0));
}

#[test]
fn nested_structs() {
    assert_matches_rustc!(Nested {
        head: u8,
        inner: C3,
        aligned: Aligned
    });
}

#[test]
fn generic_structs_per_instantiation() {
    assert_matches_rustc!(Generic<u8, 3> { a: u8, items: [u8; 3], b: u8 });
    assert_matches_rustc!(Generic<u64, 2> { a: u8, items: [u64; 2], b: u64 });
    assert_matches_rustc!(Generic<Aligned, 0> { a: u8, items: [Aligned; 0], b: Aligned });
    assert_matches_rustc!(Borrowing<'static, str> { r: &'static str, n: u8 });
    assert_matches_rustc!(Borrowing<'static, u16> { r: &'static u16, n: u8 });
}

#[test]
fn self_types_raw_names_and_zsts() {
    let l = assert_matches_rustc!(Recursive { next: Option<Box<Recursive>>, r#type: u32, zst: (), atomic: AtomicU32 });
    assert_eq!(l.fields[1].name, "type");
}

#[test]
fn target_facts_come_from_the_current_row() {
    let l = C3::LAYOUT;
    assert_eq!(l.line, layout::target::CURRENT.cache_line);
    assert_eq!(l.prefetch_span, layout::target::CURRENT.prefetch_span);
    assert_eq!(l.target, layout::target::CURRENT.short);
    assert_eq!(l.expect, layout::StructExpect::default());
}
