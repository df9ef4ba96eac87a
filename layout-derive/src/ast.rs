//! The typed model of a `#[derive(CacheLayout)]` input. Only this module reads
//! attributes; it does so through `layout_syntax`.

use layout_syntax::{Ctxt, FieldAttrs, Repr, StructAttrs, kw};
use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;

/// The first and last token of a source range: generated tokens get the first span on
/// their first token and the last on their last, so rustc underlines the whole range.
#[derive(Clone, Copy, Debug)]
pub struct Anchor {
    pub start: Span,
    pub end: Span,
}

impl Anchor {
    fn at(span: Span) -> Self {
        Anchor {
            start: span,
            end: span,
        }
    }
}

/// What kind of type the derive was applied to.
pub enum Shape {
    Named,
    Tuple,
    Unit,
    /// An enum or a union: reported as an error; the stub impl has no fields.
    NotAStruct,
}

pub struct Container<'a> {
    pub ident: &'a syn::Ident,
    /// The name shown in messages (`r#type` shows as `type`).
    pub name: String,
    pub generics: &'a syn::Generics,
    pub shape: Shape,
    pub repr: Repr,
    pub attrs: StructAttrs,
    /// Where struct-level failures point: the first `#[layout(...)]`, else the name.
    pub anchor: Anchor,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    /// `v` or `0`: what `offset_of!` takes.
    pub member: syn::Member,
    pub name: String,
    pub ty: &'a syn::Type,
    pub attrs: FieldAttrs,
    /// Where this field's failures point: its first `#[layout(...)]`, else its name or
    /// type.
    pub anchor: Anchor,
}

impl<'a> Container<'a> {
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Container<'a> {
        // rustc reports malformed `#[repr]` itself; repeating it would be a cascade.
        let repr = layout_syntax::parse_repr(&Ctxt::new(), &input.attrs);
        let attrs = layout_syntax::parse_struct_attrs(cx, &input.attrs);
        let (shape, fields) = match &input.data {
            syn::Data::Struct(s) => match &s.fields {
                syn::Fields::Named(f) => (Shape::Named, fields(cx, &f.named)),
                syn::Fields::Unnamed(f) => (Shape::Tuple, fields(cx, &f.unnamed)),
                syn::Fields::Unit => (Shape::Unit, Vec::new()),
            },
            syn::Data::Enum(e) => {
                not_a_struct(cx, e.enum_token.span(), "an enum");
                (Shape::NotAStruct, Vec::new())
            }
            syn::Data::Union(u) => {
                not_a_struct(cx, u.union_token.span(), "a union");
                (Shape::NotAStruct, Vec::new())
            }
        };
        Container {
            ident: &input.ident,
            name: input.ident.unraw().to_string(),
            generics: &input.generics,
            shape,
            repr,
            attrs,
            anchor: anchor(&input.attrs).unwrap_or(Anchor::at(input.ident.span())),
            fields,
        }
    }

    /// Whether the struct has type or const parameters, which free `const` items
    /// cannot name.
    pub fn is_generic_over_types(&self) -> bool {
        self.generics
            .params
            .iter()
            .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    }
}

fn not_a_struct(cx: &Ctxt, span: Span, what: &str) {
    cx.error_at(
        span,
        format!(
            "#[derive(CacheLayout)] supports structs only, not {what}: \
             the cache-line rules are about the fields of one struct"
        ),
    );
}

fn fields<'a>(
    cx: &Ctxt,
    fields: &'a syn::punctuated::Punctuated<syn::Field, syn::Token![,]>,
) -> Vec<Field<'a>> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (member, name) = match &f.ident {
                Some(id) => (syn::Member::Named(id.clone()), id.unraw().to_string()),
                None => (
                    syn::Member::Unnamed(syn::Index {
                        index: u32::try_from(i).unwrap_or(u32::MAX),
                        span: f.ty.span(),
                    }),
                    i.to_string(),
                ),
            };
            let fallback = match &f.ident {
                Some(id) => id.span(),
                None => f.ty.span(),
            };
            Field {
                member,
                name,
                ty: &f.ty,
                attrs: layout_syntax::parse_field_attrs(cx, &f.attrs),
                anchor: anchor(&f.attrs).unwrap_or(Anchor::at(fallback)),
            }
        })
        .collect()
}

/// `layout(...)` of the first `#[layout(...)]` attribute.
fn anchor(attrs: &[syn::Attribute]) -> Option<Anchor> {
    let attr = attrs.iter().find(|a| a.path().is_ident(kw::LAYOUT))?;
    let start = attr.path().span();
    let end = match &attr.meta {
        syn::Meta::List(l) => l.delimiter.span().close(),
        _ => start,
    };
    Some(Anchor { start, end })
}
