//! The derive's output compiles where the prelude is gone and every name it might
//! use unqualified is shadowed (zerocopy-derive's `tests/hygiene.rs` pattern).

#[no_implicit_prelude]
#[allow(dead_code, non_camel_case_types, unused_macros)]
mod hygiene {
    // Shadows for everything generated code could reach for without a `::` path.
    struct Option;
    struct Result;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct usize;
    struct str;
    struct bool;
    struct StructLayout;
    struct FieldLayout;
    struct CacheLayout;
    struct Sized;
    mod core {}
    mod std {}
    mod __private {}
    macro_rules! offset_of {
        ($($t:tt)*) => {
            compile_error!("the local offset_of! was used")
        };
    }
    macro_rules! panic {
        ($($t:tt)*) => {
            compile_error!("the local panic! was used")
        };
    }

    #[derive(::layout::CacheLayout)]
    #[repr(C, align(64))]
    #[layout(size = 128, align = 64, line = 64, max_padding = 0)]
    pub struct Named {
        #[layout(pad)]
        _before: [u8; 64],
        #[layout(offset = 64, line = 1, isolated, group = "g")]
        pub v: u64,
        #[layout(pad)]
        _after: [u8; 56],
    }

    #[derive(::layout::CacheLayout)]
    #[repr(C, packed(2))]
    pub struct Tuple(u8, #[layout(offset = 2)] u32);

    #[derive(::layout::CacheLayout)]
    pub struct Unit;

    #[derive(::layout::CacheLayout)]
    #[repr(C)]
    pub struct Generic<'a, T: 'a, const N: ::core::primitive::usize> {
        pub r: &'a [T; N],
        #[layout(group = "x")]
        pub n: u8,
    }

    // A `?Sized` parameter behind a pointer: the impl gains `Sized` bounds.
    #[derive(::layout::CacheLayout)]
    #[repr(C)]
    #[layout(allow(padding_waste))]
    pub struct Pointer<T: ?::core::marker::Sized> {
        pub p: *const T,
        #[layout(allow(adjacent-line))]
        pub cell: ::core::cell::Cell<::core::primitive::u8>,
    }

    // Values substituted by a macro.
    macro_rules! pinned {
        ($name:ident, $off:literal, $g:literal) => {
            #[derive(::layout::CacheLayout)]
            #[repr(C)]
            pub struct $name {
                pub a: ::core::primitive::u8,
                #[layout(offset = $off, group = $g)]
                pub b: ::core::primitive::u32,
            }
        };
    }
    pinned!(Pinned, 4, "w");
}

#[test]
fn generated_code_is_hygienic() {
    use layout::CacheLayout;
    assert_eq!(hygiene::Named::LAYOUT.fields[1].offset, 64);
    assert_eq!(hygiene::Tuple::LAYOUT.fields[1].offset, 2);
    assert_eq!(hygiene::Unit::LAYOUT.size, 0);
    const _: () = layout::verify::<hygiene::Generic<'static, u8, 3>>();
    assert_eq!(
        <hygiene::Generic<'static, u16, 4> as CacheLayout>::LAYOUT.fields[1]
            .intent
            .group,
        Some("x")
    );
    assert_eq!(
        <hygiene::Pointer<u64> as CacheLayout>::LAYOUT.size,
        core::mem::size_of::<usize>() * 2
    );
    assert_eq!(hygiene::Pinned::LAYOUT.fields[1].intent.offset, Some(4));
    assert_eq!(hygiene::Pinned::LAYOUT.fields[1].intent.group, Some("w"));
}
