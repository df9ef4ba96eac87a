//! `#[derive(CacheLayout)]`. Use it through the `layout` crate, which re-exports it.
//!
//! The derive works in three steps, each in its own module: `ast` turns the
//! `syn::DeriveInput` into a typed model with `layout_syntax` (the one parser of the
//! grammar, shared with `layout-cli`), `check` rejects contradictions that need the
//! whole struct to see, and `expand` writes the impl and its `const` assertions from
//! the model alone. Every error is collected and reported together, with a stub impl so
//! one bad attribute produces one error.

mod ast;
mod check;
mod expand;

use proc_macro::TokenStream;

/// Implements `layout::CacheLayout` and checks the `#[layout(...)]` intent at compile
/// time, for the target being built.
///
/// | Key | Where | Meaning |
/// |---|---|---|
/// | `size = N` | struct | `size_of::<Self>() == N` (`size-mismatch`) |
/// | `align = N` | struct | `align_of::<Self>() == N`, N a power of two (`align-mismatch`) |
/// | `line = N` | struct | check against N-byte cache lines instead of the target's |
/// | `max_padding = N` | struct | at most N bytes of compiler padding (`padding-budget`) |
/// | `fixed` | struct | `layout-cli fix` leaves the struct alone |
/// | `offset = N` | field | `offset_of!(Self, field) == N` (`offset-mismatch`) |
/// | `line = K` | field | the field lies wholly in line K (`wrong-line`, `line-straddle`) |
/// | `group = "g"` | field | fields of different groups share no line (`false-sharing`) |
/// | `isolated` | field | no other non-pad field shares its lines (`not-isolated`) |
/// | `pad` | field | padding: exempt from the sharing rules |
/// | `allow(code, ...)` | struct, field | advisory codes `layout-cli` does not report |
///
/// `allow` takes advisory codes only, written with `-` or `_` (`padding-waste`,
/// `padding_waste`): `padding-waste`, `unaligned-base` and `unstable-padding` on the
/// struct, `possible-false-sharing` and `adjacent-line` on the struct or a field. An
/// error-level code cannot be allowed: each is the check of an annotation, which is
/// what to remove. The derive itself checks only error-level rules, so `allow` changes
/// nothing it emits; `layout-cli` reads the same list and applies it.
///
/// Values may come from `macro_rules!` fragments (`#[layout(offset = $off)]` with
/// `$off:literal`) like written ones.
///
/// Lines are counted from the struct's first byte. A failed check is a compile error
/// at the attribute that stated it, naming the rule, the struct and field, the numbers
/// and the target. Per-target expectations use `cfg_attr`:
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use layout::CacheLayout;
///
/// #[derive(CacheLayout)]
/// #[repr(C, align(128))]
/// #[layout(size = 256)]
/// struct Counters {
///     #[layout(isolated, group = "producer")]
///     submitted: AtomicU64,
///     #[layout(pad)]
///     _pad: [u8; 120],
///     #[cfg_attr(target_vendor = "apple", layout(line = 1))]
///     #[cfg_attr(not(target_vendor = "apple"), layout(line = 2))]
///     #[layout(isolated, group = "consumer")]
///     executed: AtomicU64,
/// }
/// # assert_eq!(Counters::LAYOUT.fields[2].offset, 128);
/// ```
///
/// Structs with type or const parameters are checked when an instantiation is named in
/// `const _: () = layout::verify::<MyStruct<u64>>();`: a free `const` item cannot name
/// a type parameter, and constants of generic types are only evaluated at
/// monomorphisation (rust-lang/rust#99682). Lifetime parameters are checked as
/// `'static`, with plain `cargo check`.
///
/// ```
/// use layout::CacheLayout;
///
/// #[derive(CacheLayout)]
/// #[repr(C)]
/// #[layout(size = 16)]
/// struct Pair<T> { a: T, b: T }
///
/// const _: () = layout::verify::<Pair<u64>>(); // Pair<u32> would fail: 8 bytes
/// ```
///
/// `repr(packed)` structs work: offsets come from `offset_of!`, which takes no
/// reference to a field. Enums, unions and unsized structs are rejected, as is a
/// `T: ?Sized` parameter that is a field's whole type. A `?Sized` parameter behind a
/// pointer or inside a wrapper (`NonNull<T>`, `Cell<T>`) is fine: the impl then
/// covers the sized instantiations only.
#[proc_macro_derive(CacheLayout, attributes(layout))]
pub fn derive_cache_layout(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

#[cfg(test)]
mod tests;
