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
    ];
    for input in inputs {
        expand(input);
    }
}
