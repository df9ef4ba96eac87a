//! `#[repr(...)]` as a type that holds only combinations rustc accepts.

use proc_macro2::Span;
use syn::spanned::Spanned as _;

use crate::{Ctxt, Spanned, kw};

/// The representation a struct's fields follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReprKind {
    /// No `repr`, or `repr(Rust)`: rustc may reorder fields.
    #[default]
    Rust,
    /// `repr(C)`: declaration order, C alignment rules.
    C,
    /// `repr(transparent)`: the layout of the one non-zero-sized field.
    Transparent,
}

/// A struct's (or enum's) parsed `#[repr(...)]` attributes, merged as rustc merges them.
///
/// [`parse_repr`] never produces `packed` together with `align` (E0587) or either of
/// them with `transparent` (E0692); it reports those as errors and drops the modifier.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repr {
    /// `C`, `transparent` or the default.
    pub kind: ReprKind,
    /// `align(N)`, N a power of two; several merge to the largest.
    pub align: Option<Spanned<u64>>,
    /// `packed(N)`, N a power of two (`packed` alone is 1); several merge to the smallest.
    pub packed: Option<Spanned<u64>>,
    /// A primitive integer representation (`u8`, `i32`, ...): enums only.
    pub int: Option<syn::Ident>,
    /// A representation rustc accepts (some behind a feature gate, as the standard
    /// library uses them) whose layout is not modelled here: `simd`, `scalable(N)`.
    /// Not an error: the type's layout is unknown.
    pub unsupported: Option<Spanned<&'static str>>,
}

/// Valid representations whose layout rules are the target's vector ABI, not the
/// field-by-field rules this crate implements.
const UNMODELLED: &[&str] = &["simd", "scalable"];

const INTS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

/// Parses every `#[repr(...)]` in `attrs`; other attributes are ignored.
pub fn parse_repr(cx: &Ctxt, attrs: &[syn::Attribute]) -> Repr {
    let mut repr = Repr::default();
    let mut kind: Option<(ReprKind, Span)> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident(kw::REPR)) {
        let res = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let Some(ident) = meta.path.get_ident().map(|i| i.to_string()) else {
                cx.error_spanned_by(&meta.path, "unsupported repr");
                return Ok(());
            };
            match ident.as_str() {
                "C" | "transparent" | "Rust" => {
                    let new = match ident.as_str() {
                        "C" => ReprKind::C,
                        "transparent" => ReprKind::Transparent,
                        _ => ReprKind::Rust,
                    };
                    match kind {
                        Some((old, _)) if old != new => cx.error_at(
                            span,
                            format!("conflicting representation: `{ident}` with an earlier one"),
                        ),
                        _ => kind = Some((new, span)),
                    }
                }
                "align" | "packed" => {
                    let n = if meta.input.peek(syn::token::Paren) {
                        let content;
                        syn::parenthesized!(content in meta.input);
                        let lit: syn::LitInt = content.parse()?;
                        match lit.base10_parse::<u64>() {
                            Ok(n) if n.is_power_of_two() => Spanned::new(n, lit.span()),
                            _ => {
                                cx.error_spanned_by(
                                    &lit,
                                    format!("`{ident}` must be a power of two"),
                                );
                                return Ok(());
                            }
                        }
                    } else if ident == "packed" {
                        Spanned::new(1, span)
                    } else {
                        cx.error_at(span, "`align` needs a value: `align(N)`");
                        return Ok(());
                    };
                    if ident == "align" {
                        if repr.align.is_none_or(|a| a.value < n.value) {
                            repr.align = Some(n);
                        }
                    } else if repr.packed.is_none_or(|p| p.value > n.value) {
                        repr.packed = Some(n);
                    }
                }
                i if INTS.contains(&i) => repr.int = meta.path.get_ident().cloned(),
                i if UNMODELLED.contains(&i) => {
                    if meta.input.peek(syn::token::Paren) {
                        let content;
                        syn::parenthesized!(content in meta.input);
                        content.parse::<proc_macro2::TokenStream>()?;
                    }
                    let name = UNMODELLED
                        .iter()
                        .find(|u| **u == i)
                        .copied()
                        .unwrap_or("simd");
                    repr.unsupported.get_or_insert(Spanned::new(name, span));
                }
                _ => cx.error_at(span, format!("unsupported repr `{ident}`")),
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    repr.kind = kind.map(|(k, _)| k).unwrap_or_default();
    if let (Some(p), Some(_)) = (repr.packed, repr.align) {
        cx.error_at(
            p.span,
            "`packed` and `align` cannot be combined (E0587); put the packed struct inside an aligned one",
        );
        repr.packed = None;
    }
    if repr.kind == ReprKind::Transparent {
        for m in [repr.align.take(), repr.packed.take()]
            .into_iter()
            .flatten()
        {
            cx.error_at(
                m.span,
                "`transparent` cannot be combined with `align` or `packed` (E0692)",
            );
        }
    }
    repr
}
