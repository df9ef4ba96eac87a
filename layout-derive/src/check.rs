//! Contradictions between keys that only the whole struct shows. Layout facts are
//! rustc's to decide (and the generated `const` items check them); this module only
//! rejects intent that no layout could satisfy.

use layout_syntax::Ctxt;

use crate::ast::Container;

pub fn check(cx: &Ctxt, c: &Container<'_>) {
    unsized_params(cx, c);
    let line = c.attrs.line.map(|l| l.value);
    let size = c.attrs.size.map(|s| s.value);
    for f in &c.fields {
        if is_unsized(f.ty) {
            cx.error_spanned_by(
                f.ty,
                "#[derive(CacheLayout)] needs a sized struct: a dynamically sized field \
                 has no fixed layout to check",
            );
        }
        if let (Some(off), Some(size)) = (f.attrs.offset, size)
            && off.value > size
        {
            let msg = format!(
                "`offset = {}` is past the end of a struct of `size = {size}`",
                off.value
            );
            cx.error_at(off.span, msg);
        }
        let (Some(k), Some(n)) = (f.attrs.line, line) else {
            continue;
        };
        if let Some(off) = f.attrs.offset
            && off.value / n != k.value
        {
            let msg = format!(
                "`line = {}` contradicts `offset = {}`: with `line = {n}` on the struct, \
                 offset {} is on line {}",
                k.value,
                off.value,
                off.value,
                off.value / n
            );
            cx.error_at(k.span, msg);
        }
        if let Some(size) = size
            && k.value.checked_mul(n).is_none_or(|start| start >= size)
        {
            let msg = format!(
                "`line = {}` starts past the end of a struct of `size = {size}` with \
                 {n}-byte lines",
                k.value
            );
            cx.error_at(k.span, msg);
        }
    }
}

/// Whether `ty` is written as a dynamically sized type (`[T]`, `str`, `dyn Trait`).
/// `size_of` cannot be taken of such a struct, so it cannot have a layout descriptor.
pub fn is_unsized(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Slice(_) | syn::Type::TraitObject(_) => true,
        syn::Type::Path(p) => p.qself.is_none() && p.path.is_ident("str"),
        syn::Type::Paren(p) => is_unsized(&p.elem),
        syn::Type::Group(g) => is_unsized(&g.elem),
        _ => false,
    }
}

/// The type parameters declared `?Sized`, in the parameter list or a where clause.
pub fn maybe_unsized_params(g: &syn::Generics) -> Vec<&syn::TypeParam> {
    // `?` relaxes only `Sized` (rustc rejects it elsewhere), however the path is
    // spelled: `?Sized`, `?::core::marker::Sized`.
    let relaxed = |b: &syn::TypeParamBound| {
        matches!(b, syn::TypeParamBound::Trait(t)
            if matches!(t.modifier, syn::TraitBoundModifier::Maybe(_)))
    };
    let in_where = |p: &syn::TypeParam| {
        g.where_clause
            .iter()
            .flat_map(|w| &w.predicates)
            .any(|pred| match pred {
                syn::WherePredicate::Type(t) => {
                    matches!(&t.bounded_ty, syn::Type::Path(bp)
                    if bp.qself.is_none() && bp.path.is_ident(&p.ident))
                        && t.bounds.iter().any(relaxed)
                }
                _ => false,
            })
    };
    g.type_params()
        .filter(|p| p.bounds.iter().any(relaxed) || in_where(p))
        .collect()
}

/// A last field whose type is a `?Sized` parameter itself makes the struct unsized for some
/// arguments (that is what the `?Sized` is for), and a layout needs `size_of`. Fields
/// that only point to such a parameter (`NonNull<T>`, `&T`) are fine, and a wrapper
/// such as `Cell<T>` is handled by a `Sized` bound on the impl (see `expand`).
fn unsized_params(cx: &Ctxt, c: &Container<'_>) {
    for p in maybe_unsized_params(c.generics) {
        // Only the last field may be unsized; rustc reports an earlier one itself.
        let Some(f) = c.fields.last().filter(|f| is_param(f.ty, &p.ident)) else {
            continue;
        };
        let (t, name) = (&p.ident, &f.name);
        cx.error_spanned_by(
            p,
            format!(
                "#[derive(CacheLayout)] needs a sized struct: `{t}: ?Sized` lets field \
                 `{name}` of type `{t}` be unsized, and an unsized struct has no fixed \
                 layout to check; remove `?Sized`"
            ),
        );
    }
}

fn is_param(ty: &syn::Type, ident: &syn::Ident) -> bool {
    match ty {
        syn::Type::Path(p) => p.qself.is_none() && p.path.is_ident(ident),
        syn::Type::Paren(p) => is_param(&p.elem, ident),
        syn::Type::Group(g) => is_param(&g.elem, ident),
        _ => false,
    }
}
