//! Expansion-level tests: the shape of the output and no panic on odd input. What the
//! output means is tested by compiling it (tests/ui, layout/tests).

use quote::quote;

fn expand(input: proc_macro2::TokenStream) -> String {
    let input: syn::DeriveInput = syn::parse2(input).expect("test input parses");
    let out = crate::expand::derive(&input);
    // The output is always a sequence of items.
    syn::parse2::<syn::File>(out.clone()).expect("output parses as items");
    out.to_string()
}

#[test]
fn one_const_block_with_struct_and_field_assertions() {
    let out = expand(quote! {
        #[repr(C)]
        #[layout(size = 16)]
        struct S { #[layout(offset = 8)] a: u64, b: u64, #[layout(pad)] c: [u8; 0] }
    });
    assert!(out.starts_with("# [allow"), "{out}");
    assert_eq!(out.matches("assert_struct").count(), 1);
    // Only `a` can fail a rule as its subject: `b` states nothing, `c` is a pad.
    assert_eq!(out.matches("assert_field").count(), 1, "{out}");
    assert!(out.contains("assert_field (& < S as :: layout :: CacheLayout > :: LAYOUT , 0)"));
    assert!(!out.contains("compile_error"));
}

#[test]
fn generic_structs_get_no_free_assertions() {
    let out = expand(quote! {
        #[layout(size = 16)]
        struct P<T: Copy, const N: usize> where T: Send { #[layout(isolated)] a: [T; N] }
    });
    assert!(
        !out.contains("assert_struct") && !out.contains("assert_field"),
        "{out}"
    );
    assert!(out.contains("impl < T : Copy , const N : usize >"));
}

#[test]
fn lifetime_parameters_are_checked_as_static() {
    let out = expand(quote! { #[layout(size = 8)] struct R<'a, 'b: 'a> { a: &'a &'b u8 } });
    assert!(
        out.contains("< R < 'static , 'static > as :: layout :: CacheLayout >"),
        "{out}"
    );
}

#[test]
fn errors_come_with_a_stub_and_no_assertions() {
    let out = expand(quote! {
        #[layout(sise = 8)]
        struct S { #[layout(isolated = 1)] a: u64 }
    });
    assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    assert!(out.contains("impl :: layout :: CacheLayout for S"));
    assert!(!out.contains("assert_"));
}

#[test]
fn never_panics() {
    let inputs = [
        quote! { enum E { A } },
        quote! { #[layout(size = 1)] union U { a: u8 } },
        quote! { struct S; },
        quote! { struct T(#[layout] u8, #[layout(line = 99999999999999999999999)] u8); },
        quote! { struct U { a: str } },
        quote! { struct V { a: dyn Send, #[layout(offset = "x")] b: u8 } },
        quote! { #[repr(packed, align(8))] #[repr(C, transparent)] struct W { a: u8 } },
        quote! { #[layout(line = 64, size = 0)] struct X { #[layout(line = 18446744073709551615)] a: u8 } },
        quote! { struct r#type { r#fn: u8 } },
        quote! { #[layout(allow(-, a-, padding-waste = 1))] struct A { #[layout(allow(()))] a: u8 } },
        quote! { struct B<T: ?Sized, U: ?Sized>(T, U); },
        quote! { struct C<T: ?Sized>(T, u8); },
    ];
    for input in inputs {
        expand(input);
    }
}

#[test]
fn macro_substituted_literals_become_intent() {
    // What `macro_rules!` hands the derive for `$off:literal` and `$g:literal`.
    let none =
        |t: proc_macro2::TokenStream| proc_macro2::Group::new(proc_macro2::Delimiter::None, t);
    let (off, g, size) = (none(quote!(8)), none(quote!("a")), none(quote!(16)));
    let out = expand(quote! {
        #[repr(C)]
        #[layout(size = #size)]
        struct S { a: u64, #[layout(offset = #off, group = #g)] b: u64 }
    });
    assert!(!out.contains("compile_error"), "{out}");
    assert!(
        out.contains("size : :: layout :: __private :: core :: option :: Option :: Some (16)"),
        "{out}"
    );
    assert!(
        out.contains("offset : :: layout :: __private :: core :: option :: Option :: Some (8)"),
        "{out}"
    );
    assert!(out.contains("Option :: Some (\"a\")"), "{out}");
    assert_eq!(out.matches("assert_field").count(), 1);
}

#[test]
fn allow_is_accepted_and_changes_no_check() {
    let with = expand(quote! {
        #[repr(C)]
        #[layout(size = 16, allow(padding-waste, unaligned_base))]
        struct S { #[layout(offset = 0, allow(adjacent-line))] a: u64, b: u64 }
    });
    let without = expand(quote! {
        #[repr(C)]
        #[layout(size = 16)]
        struct S { #[layout(offset = 0)] a: u64, b: u64 }
    });
    // The derive checks only error-level rules, which `allow` cannot name.
    assert_eq!(with, without);
    let bad = expand(quote! {
        #[layout(allow(size-mismatch, padding-wast))]
        struct S { a: u64 }
    });
    assert_eq!(bad.matches("compile_error").count(), 2, "{bad}");
    assert!(bad.contains("impl :: layout :: CacheLayout for S"));
}

#[test]
fn maybe_unsized_parameters() {
    // A field of the parameter's own type: an error, and the stub still compiles for
    // the sized instantiations.
    let out = expand(quote! { struct B<T: ?Sized> { len: usize, data: T } });
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    assert!(out.contains("`T: ?Sized` lets field `data`"), "{out}");
    assert!(
        out.contains("Self : :: layout :: __private :: core :: marker :: Sized"),
        "{out}"
    );
    let out = expand(quote! { struct W<T> where T: ?Sized { a: u8, b: (T) } });
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    let out = expand(quote! { struct X<T: Send + ?::core::marker::Sized> { b: T } });
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    // An earlier field of type `T` is rustc's own error about the struct.
    let out = expand(quote! { struct Y<T: ?Sized, U: ?Sized>(T, U); });
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    assert!(out.contains("field `1` of type `U`"), "{out}");
    // Only pointing to it: no error, and the impl is bounded to sized instantiations.
    let out = expand(quote! {
        struct P<'a, T: ?Sized + Send, U> where U: Copy { a: &'a T, u: U, c: ::core::cell::Cell<U> }
    });
    assert!(!out.contains("compile_error"), "{out}");
    assert!(
        out.contains(
            "where U : Copy , Self : :: layout :: __private :: core :: marker :: Sized , \
             :: core :: cell :: Cell < U > : :: layout :: __private :: core :: marker :: Sized"
        ),
        "{out}"
    );
    // Without `?Sized` the where clause is untouched.
    let out = expand(quote! { struct Q<T> where T: Copy { a: T } });
    assert!(out.contains("where T : Copy {"), "{out}");
}
