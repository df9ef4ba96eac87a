//! `allow(code, ...)`: advisory diagnostic codes a struct or field opts out of.
//!
//! The code names mirror `layout::Code` (which this crate cannot depend on: `layout`
//! re-exports the derive, and the derive depends on this crate). The `layout-tests`
//! crate checks that both lists name the same codes with the same advisory split.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

use crate::suggest::closest;
use crate::{Ctxt, Spanned, kw};

/// An advisory code: a warning `layout-cli` reports by default and that
/// `#[layout(allow(...))]` may silence. Error-level codes cannot be allowed: each is
/// the check of an annotation, so the annotation is what to remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Advisory {
    /// `padding-waste`: reordering the fields would make the struct smaller.
    PaddingWaste,
    /// `adjacent-line`: fields of different groups sit in one prefetch block.
    AdjacentLine,
    /// `possible-false-sharing`: several atomics or locks of an unannotated struct
    /// share a cache line.
    PossibleFalseSharing,
    /// `unaligned-base`: line rules are relative to a start that may not be aligned.
    UnalignedBase,
    /// `unstable-padding`: pad fields or line intent in a `repr(Rust)` struct.
    UnstablePadding,
}

impl Advisory {
    /// Every advisory code, in `layout::Code` order.
    pub const ALL: &'static [Advisory] = &[
        Advisory::PaddingWaste,
        Advisory::AdjacentLine,
        Advisory::PossibleFalseSharing,
        Advisory::UnalignedBase,
        Advisory::UnstablePadding,
    ];

    /// The stable kebab-case name, the same as `layout::Code::as_str`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Advisory::PaddingWaste => "padding-waste",
            Advisory::PossibleFalseSharing => "possible-false-sharing",
            Advisory::AdjacentLine => "adjacent-line",
            Advisory::UnalignedBase => "unaligned-base",
            Advisory::UnstablePadding => "unstable-padding",
        }
    }

    /// Whether findings of this code name a field (`possible-false-sharing`,
    /// `adjacent-line`), so that `allow` on a field means something. The others are
    /// about the whole struct and can only be allowed on it.
    pub const fn is_per_field(self) -> bool {
        matches!(
            self,
            Advisory::PossibleFalseSharing | Advisory::AdjacentLine
        )
    }

    /// The code named `name`, written with `-` or `_` (`padding-waste`,
    /// `padding_waste`); `None` for error-level and unknown codes.
    pub fn parse(name: &str) -> Option<Advisory> {
        let name = canonical(name);
        Advisory::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// Every error-level code, in `layout::Code` order, with the annotation whose check it
/// is (what to remove instead of allowing it).
pub const ERROR_CODES: &[(&str, &str)] = &[
    ("size-mismatch", "`size = N` on the struct"),
    ("align-mismatch", "`align = N` on the struct"),
    ("offset-mismatch", "`offset = N` on a field"),
    ("wrong-line", "`line = K` on a field"),
    ("line-straddle", "`line = K` or `isolated` on a field"),
    ("false-sharing", "`group = \"...\"` on the fields"),
    ("not-isolated", "`isolated` on a field"),
    ("padding-budget", "`max_padding = N` on the struct"),
    (
        "model-mismatch",
        "no annotation: it reports a static number rustc refutes",
    ),
    (
        "unknown-layout",
        "the intent stated on the struct (the report cannot check it)",
    ),
];

/// `name` with `_` written as `-`, the spelling codes are stored in.
fn canonical(name: &str) -> String {
    name.replace('_', "-")
}

/// One code inside `allow(...)`: words joined by `-` or `_`.
struct CodeName {
    text: String,
    tokens: TokenStream,
    span: Span,
}

impl Parse for CodeName {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(format!(
                "expected a diagnostic code such as `{}`",
                Advisory::PaddingWaste.as_str()
            )));
        }
        let first = input.call(Ident::parse_any)?;
        let mut text = first.unraw().to_string();
        let mut tokens = quote::quote!(#first);
        let mut last = first.span();
        while input.peek(Token![-]) {
            let dash: Token![-] = input.parse()?;
            let word = input.call(Ident::parse_any)?;
            text.push('-');
            text.push_str(&word.unraw().to_string());
            last = word.span();
            tokens.extend(quote::quote!(#dash #word));
        }
        let span = first.span().join(last).unwrap_or(first.span());
        Ok(CodeName { text, tokens, span })
    }
}

/// Where an `allow` is written, which decides the codes it may name.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Place {
    Struct,
    Field,
}

/// Parses the contents of one `allow(...)` into `out`, reporting unknown, error-level,
/// misplaced and repeated codes at the code's tokens.
pub(crate) fn parse_allow(
    cx: &Ctxt,
    place: Place,
    tokens: TokenStream,
    out: &mut Vec<Spanned<Advisory>>,
) {
    let parser = Punctuated::<CodeName, Token![,]>::parse_terminated;
    let names = match parser.parse2(tokens) {
        Ok(n) => n,
        Err(e) => {
            cx.syn_error(e);
            return;
        }
    };
    for name in names {
        let Some(code) = check(cx, place, &name) else {
            continue;
        };
        if out.iter().any(|a| a.value == code) {
            cx.error_spanned_by(
                &name.tokens,
                format!("`{}` is already allowed here", code.as_str()),
            );
        } else {
            out.push(Spanned::new(code, name.span));
        }
    }
}

/// The advisory code `name` stands for, if it may be allowed at `place`; otherwise
/// reports why not and returns `None`.
fn check(cx: &Ctxt, place: Place, name: &CodeName) -> Option<Advisory> {
    let text = canonical(&name.text);
    let advisory: Vec<&str> = Advisory::ALL.iter().map(|a| a.as_str()).collect();
    if let Some(code) = Advisory::parse(&text) {
        if place == Place::Field && !code.is_per_field() {
            cx.error_spanned_by(
                &name.tokens,
                format!(
                    "`{text}` is about the whole struct, not one field: write \
                     `#[layout({}({text}))]` on the struct",
                    kw::ALLOW
                ),
            );
            return None;
        }
        return Some(code);
    }
    if let Some((_, asked_by)) = ERROR_CODES.iter().find(|(c, _)| *c == text) {
        cx.error_spanned_by(
            &name.tokens,
            format!(
                "`{text}` cannot be allowed: it is an error, the check that {asked_by} \
                 asks for; remove that annotation instead. Only advisory codes can be \
                 allowed: {}",
                advisory.join(", ")
            ),
        );
        return None;
    }
    let msg = match closest(&text, &advisory) {
        Some(s) => format!("unknown diagnostic code `{text}` in `allow`; did you mean `{s}`?"),
        None => format!(
            "unknown diagnostic code `{text}` in `allow`; advisory codes are: {}",
            advisory.join(", ")
        ),
    };
    cx.error_spanned_by(&name.tokens, msg);
    None
}
