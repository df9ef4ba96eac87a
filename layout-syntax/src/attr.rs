//! `#[layout(...)]` on structs and fields: one typed slot per key.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, Token};

use crate::allow::{Advisory, Place, parse_allow};
use crate::suggest::closest;
use crate::{Ctxt, Spanned, kw};

/// Struct-level `#[layout(...)]`: `size`, `align`, `line`, `max_padding`, `fixed`,
/// `allow(...)`.
#[derive(Clone, Debug, Default)]
pub struct StructAttrs {
    /// `size = N`: the expected `size_of`.
    pub size: Option<Spanned<u64>>,
    /// `align = N`, a power of two: the expected `align_of`.
    pub align: Option<Spanned<u64>>,
    /// `line = N`, a power of two: the cache-line size to check against.
    pub line: Option<Spanned<u64>>,
    /// `max_padding = N`: the most bytes of compiler-inserted padding.
    pub max_padding: Option<Spanned<u64>>,
    /// `fixed`: `layout-cli fix` leaves the struct alone.
    pub fixed: Option<Span>,
    /// `allow(code, ...)`: advisory codes not to report for this struct or any of its
    /// fields, each with the span of its name, in the order written. Several
    /// `allow(...)` merge; every code in the list is distinct.
    pub allow: Vec<Spanned<Advisory>>,
}

/// Field-level `#[layout(...)]`: `offset`, `line`, `group`, `isolated`, `pad`,
/// `allow(...)`.
#[derive(Clone, Debug, Default)]
pub struct FieldAttrs {
    /// `offset = N`: the expected `offset_of!`.
    pub offset: Option<Spanned<u64>>,
    /// `line = K`: the field lies wholly inside cache line K.
    pub line: Option<Spanned<u64>>,
    /// `group = "name"` (non-empty): fields of different groups never share a line.
    pub group: Option<Spanned<String>>,
    /// `isolated`: no other non-pad field shares this field's lines.
    pub isolated: Option<Span>,
    /// `pad`: padding, exempt from the sharing rules.
    pub pad: Option<Span>,
    /// `allow(code, ...)`: advisory codes not to report for findings about this field
    /// (only codes whose findings name a field: see [`Advisory::is_per_field`]).
    pub allow: Vec<Spanned<Advisory>>,
}

impl PartialEq for StructAttrs {
    /// Compares values; spans are positions, not meaning.
    fn eq(&self, o: &Self) -> bool {
        self.size == o.size
            && self.align == o.align
            && self.line == o.line
            && self.max_padding == o.max_padding
            && self.fixed.is_some() == o.fixed.is_some()
            && self.allow == o.allow
    }
}

impl StructAttrs {
    /// Whether `allow(...)` on the struct names `code`, given as `layout::Code::as_str`
    /// spells it (`"padding-waste"`); `_` is accepted for `-`. A finding about one of
    /// the struct's fields is silenced if the struct or that field allows its code.
    pub fn allows(&self, code: &str) -> bool {
        allows(&self.allow, code)
    }
}

impl PartialEq for FieldAttrs {
    /// Compares values; spans are positions, not meaning.
    fn eq(&self, o: &Self) -> bool {
        self.offset == o.offset
            && self.line == o.line
            && self.group == o.group
            && self.isolated.is_some() == o.isolated.is_some()
            && self.pad.is_some() == o.pad.is_some()
            && self.allow == o.allow
    }
}

impl FieldAttrs {
    /// Whether `allow(...)` on the field names `code` (see [`StructAttrs::allows`]).
    pub fn allows(&self, code: &str) -> bool {
        allows(&self.allow, code)
    }

    /// Whether the field states any intent at all.
    pub fn is_empty(&self) -> bool {
        *self == FieldAttrs::default()
    }

    /// Whether the field can fail a rule as its subject: it states an offset, a line, a
    /// group or isolation (`pad` alone asks for nothing).
    pub fn has_checks(&self) -> bool {
        self.offset.is_some()
            || self.line.is_some()
            || self.group.is_some()
            || self.isolated.is_some()
    }
}

/// Parses every `#[layout(...)]` on a struct; several merge, a key may appear once.
pub fn parse_struct_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> StructAttrs {
    let mut out = StructAttrs::default();
    for item in items(cx, attrs) {
        let key = item.key.to_string();
        match key.as_str() {
            kw::SIZE => set(cx, &item, &mut out.size, int(cx, &item, false)),
            kw::ALIGN => set(cx, &item, &mut out.align, int(cx, &item, true)),
            kw::LINE => set(cx, &item, &mut out.line, int(cx, &item, true)),
            kw::MAX_PADDING => set(cx, &item, &mut out.max_padding, int(cx, &item, false)),
            kw::FIXED => set(cx, &item, &mut out.fixed, flag(cx, &item)),
            kw::ALLOW => allow(cx, &item, Place::Struct, &mut out.allow),
            _ => unknown(cx, &item, Level::Struct),
        }
    }
    out
}

/// Parses every `#[layout(...)]` on a field; several merge, a key may appear once.
pub fn parse_field_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for item in items(cx, attrs) {
        let key = item.key.to_string();
        match key.as_str() {
            kw::OFFSET => set(cx, &item, &mut out.offset, int(cx, &item, false)),
            kw::LINE => set(cx, &item, &mut out.line, int(cx, &item, false)),
            kw::GROUP => set(cx, &item, &mut out.group, string(cx, &item)),
            kw::ISOLATED => set(cx, &item, &mut out.isolated, flag(cx, &item)),
            kw::PAD => set(cx, &item, &mut out.pad, flag(cx, &item)),
            kw::ALLOW => allow(cx, &item, Place::Field, &mut out.allow),
            _ => unknown(cx, &item, Level::Field),
        }
    }
    if let Some(pad) = out.pad {
        let others = [
            (kw::ISOLATED, out.isolated.is_some()),
            (kw::GROUP, out.group.is_some()),
            (kw::LINE, out.line.is_some()),
        ];
        for (other, present) in others {
            if present {
                cx.error_at(
                    pad,
                    format!(
                        "`pad` cannot be combined with `{other}`: a pad field holds no data \
                         and is exempt from the cache-line rules"
                    ),
                );
            }
        }
    }
    out
}

/// One `key`, `key = value` or `key(...)` inside `#[layout(...)]`.
struct Item {
    key: Ident,
    value: Value,
}

enum Value {
    None,
    Eq(Token![=], Box<Expr>),
    /// `key(...)`: the parentheses' span and what is inside.
    Paren(Span, TokenStream),
    /// `key =` with nothing after it.
    Missing(Token![=]),
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(format!(
                "expected a #[layout] key such as `{}` or `{}`",
                kw::SIZE,
                kw::LINE
            )));
        }
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            let eq = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                Value::Missing(eq)
            } else {
                Value::Eq(eq, input.parse()?)
            }
        } else if input.peek(syn::token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            let inner = content.parse::<TokenStream>()?;
            Value::Paren(paren.span.join(), inner)
        } else {
            Value::None
        };
        Ok(Item { key, value })
    }
}

fn items(cx: &Ctxt, attrs: &[syn::Attribute]) -> Vec<Item> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident(kw::LAYOUT)) {
        match &attr.meta {
            syn::Meta::List(list) => {
                let parser = Punctuated::<Item, Token![,]>::parse_terminated;
                match parser.parse2(flatten(list.tokens.clone())) {
                    Ok(parsed) => out.extend(parsed),
                    Err(e) => cx.syn_error(e),
                }
            }
            syn::Meta::Path(p) => cx.error_spanned_by(
                p,
                "expected `#[layout(...)]`, e.g. `#[layout(size = 64)]` or `#[layout(isolated)]`",
            ),
            syn::Meta::NameValue(nv) => cx.error_spanned_by(
                nv,
                "expected `#[layout(key = value)]`, not `#[layout = ...]`",
            ),
        }
    }
    out
}

/// `tokens` with every invisible group replaced by its contents, at any depth.
///
/// A `macro_rules!` fragment (`$off:literal`, `$g:expr`, `$c:ident`) substituted into
/// `#[layout(offset = $off)]` arrives wrapped in a `Delimiter::None` group. Every value
/// the grammar accepts is a single literal or a path-like word, so unwrapping loses
/// nothing, and every key then sees what the user would have written by hand.
fn flatten(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|tt| match tt {
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                flatten(g.stream()).into_iter().collect::<Vec<_>>()
            }
            TokenTree::Group(g) => {
                let mut out = Group::new(g.delimiter(), flatten(g.stream()));
                out.set_span(g.span());
                vec![TokenTree::Group(out)]
            }
            other => vec![other],
        })
        .collect()
}

fn allows(list: &[Spanned<Advisory>], code: &str) -> bool {
    Advisory::parse(code).is_some_and(|c| list.iter().any(|a| a.value == c))
}

/// `allow(code, ...)`; may be written several times, the lists merge.
fn allow(cx: &Ctxt, item: &Item, place: Place, out: &mut Vec<Spanned<Advisory>>) {
    let key = &item.key;
    let example = Advisory::PaddingWaste.as_str();
    match &item.value {
        Value::Paren(_, tokens) => parse_allow(cx, place, tokens.clone(), out),
        Value::None => cx.error_at(
            key.span(),
            format!("`{key}` needs a list of codes: write `{key}({example})`"),
        ),
        Value::Eq(eq, e) => cx.error_spanned_by(
            quote::quote!(#eq #e),
            format!("write `{key}({example})`, not `{key} = ...`"),
        ),
        Value::Missing(eq) => {
            cx.error_spanned_by(eq, format!("write `{key}({example})`, not `{key} = ...`"))
        }
    }
}

fn set<T>(cx: &Ctxt, item: &Item, slot: &mut Option<T>, value: Option<T>) {
    if slot.is_some() {
        cx.error_at(
            item.key.span(),
            format!("duplicate #[layout] key `{}`", item.key),
        );
    } else if value.is_some() {
        *slot = value;
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Struct,
    Field,
}

fn unknown(cx: &Ctxt, item: &Item, level: Level) {
    let key = item.key.unraw().to_string();
    let (here, there, here_name, there_name) = match level {
        Level::Struct => (kw::STRUCT_KEYS, kw::FIELD_KEYS, "struct", "field"),
        Level::Field => (kw::FIELD_KEYS, kw::STRUCT_KEYS, "field", "struct"),
    };
    let msg = if there.contains(&key.as_str()) {
        format!(
            "`{key}` is a {there_name}-level #[layout] key; on a {here_name} use one of: {}",
            here.join(", ")
        )
    } else if let Some(s) = closest(&key, here) {
        format!("unknown {here_name}-level #[layout] key `{key}`; did you mean `{s}`?")
    } else {
        format!(
            "unknown {here_name}-level #[layout] key `{key}`; expected one of: {}",
            here.join(", ")
        )
    };
    cx.error_at(item.key.span(), msg);
}

fn flag(cx: &Ctxt, item: &Item) -> Option<Span> {
    let key = &item.key;
    let msg = format!("`{key}` is a flag and takes no value: write `{key}`");
    match &item.value {
        Value::None => return Some(key.span()),
        Value::Eq(eq, e) => cx.error_spanned_by(quote::quote!(#eq #e), msg),
        Value::Missing(eq) => cx.error_spanned_by(eq, msg),
        Value::Paren(t, _) => cx.error_at(*t, msg),
    }
    None
}

fn lit_kind(lit: &Lit) -> &'static str {
    match lit {
        Lit::Str(_) => "a string literal",
        Lit::ByteStr(_) | Lit::CStr(_) => "a byte string literal",
        Lit::Byte(_) => "a byte literal",
        Lit::Char(_) => "a character literal",
        Lit::Int(_) => "an integer literal",
        Lit::Float(_) => "a float literal",
        Lit::Bool(_) => "a boolean literal",
        _ => "a literal",
    }
}

/// `key = N`, a non-negative integer literal; a power of two if `pow2`.
fn int(cx: &Ctxt, item: &Item, pow2: bool) -> Option<Spanned<u64>> {
    let key = &item.key;
    let e = match &item.value {
        Value::Eq(_, e) => e,
        Value::None => {
            cx.error_at(
                key.span(),
                format!("`{key}` needs a value: write `{key} = N`"),
            );
            return None;
        }
        Value::Paren(t, _) => {
            cx.error_at(*t, format!("write `{key} = N`, not `{key}(N)`"));
            return None;
        }
        Value::Missing(eq) => {
            cx.error_spanned_by(
                eq,
                format!("`{key}` needs a value after `=`: write `{key} = N`"),
            );
            return None;
        }
    };
    match &**e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(n), ..
        }) => match n.base10_parse::<u64>() {
            Ok(v) if pow2 && !v.is_power_of_two() => {
                cx.error_at(n.span(), format!("`{key}` must be a power of two, got {v}"));
                None
            }
            Ok(v) => Some(Spanned::new(v, n.span())),
            Err(_) => {
                cx.error_at(n.span(), format!("`{key}` does not fit in 64 bits"));
                None
            }
        },
        Expr::Lit(syn::ExprLit { lit, .. }) => {
            let hint = match lit {
                Lit::Str(s) if s.value().trim().parse::<u64>().is_ok() => {
                    format!(": write `{key} = {}` without quotes", s.value().trim())
                }
                _ => String::new(),
            };
            cx.error_at(
                lit.span(),
                format!("`{key}` expects an integer, found {}{hint}", lit_kind(lit)),
            );
            None
        }
        other => {
            cx.error_spanned_by(
                other,
                format!(
                    "`{key}` expects an integer literal; a derive cannot evaluate \
                     expressions or constants (use `cfg_attr` for per-target values)"
                ),
            );
            None
        }
    }
}

/// `key = "name"`, a non-empty string literal.
fn string(cx: &Ctxt, item: &Item) -> Option<Spanned<String>> {
    let key = &item.key;
    let e = match &item.value {
        Value::Eq(_, e) => e,
        Value::None => {
            let msg = format!("`{key}` needs a value: write `{key} = \"name\"`");
            cx.error_at(key.span(), msg);
            return None;
        }
        Value::Paren(t, _) => {
            cx.error_at(*t, format!("write `{key} = \"name\"`, not `{key}(...)`"));
            return None;
        }
        Value::Missing(eq) => {
            let msg = format!("`{key}` needs a value after `=`: write `{key} = \"name\"`");
            cx.error_spanned_by(eq, msg);
            return None;
        }
    };
    match &**e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            let v = s.value();
            if v.trim().is_empty() {
                cx.error_at(s.span(), format!("`{key}` needs a non-empty name"));
                None
            } else {
                Some(Spanned::new(v, s.span()))
            }
        }
        Expr::Lit(syn::ExprLit { lit, .. }) => {
            let msg = format!(
                "`{key}` expects a string, found {}: write `{key} = \"name\"`",
                lit_kind(lit)
            );
            cx.error_at(lit.span(), msg);
            None
        }
        other => {
            let msg = format!("`{key}` expects a string literal: write `{key} = \"name\"`");
            cx.error_spanned_by(other, msg);
            None
        }
    }
}
