//! `#[derive(CacheLayout)]`. Use it through the `layout` crate, which re-exports it.
//!
//! The derive works in three steps, each in its own module: [`ast`] turns the
//! `syn::DeriveInput` into a typed model with `layout_syntax` (the one parser of the
//! grammar, shared with `layout-cli`), [`check`] rejects contradictions that need the
//! whole struct to see, and [`expand`] writes the impl and its `const` assertions from
//! the model alone. Every error is collected and reported together, with a stub impl so
//! one bad attribute produces one error.

mod ast;
mod check;
mod expand;

use proc_macro::TokenStream;

/// Implements `layout::CacheLayout` and checks the `#[layout(...)]` intent at compile
/// time, for the target being built. See the `layout` crate for the grammar.
///
/// Structs with type or const parameters are checked when an instantiation is named in
/// `const _: () = layout::verify::<MyStruct<u64>>();`: a free `const` item cannot name
/// a type parameter, and constants of generic types are only evaluated at
/// monomorphisation (rust-lang/rust#99682). Lifetime parameters are checked as
/// `'static`, with plain `cargo check`.
#[proc_macro_derive(CacheLayout, attributes(layout))]
pub fn derive_cache_layout(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
