//! Writes the impl and its assertions from the typed model.
//!
//! Everything sits in one `const _: () = { ... };` block and names items by absolute
//! paths through `::layout::__private`, so user code shadowing `Option`, `core` or
//! anything else cannot change what the generated code means.

use layout_syntax::{Ctxt, ReprKind, StructAttrs};
use proc_macro2::{Delimiter, Group, Literal, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::ast::{Anchor, Container, Field, Shape};
use crate::check;

pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let c = Container::from_ast(&cx, input);
    if cx.is_empty() {
        check::check(&cx, &c);
    }
    match cx.check() {
        Ok(()) => expand(&c, true),
        Err(errors) => {
            // The impl without intent or assertions, so code using `LAYOUT` still
            // compiles and the attribute errors are the only ones reported.
            let errors = errors.iter().map(syn::Error::to_compile_error);
            // An unsized struct has no `size_of`: any impl would add errors.
            let stub = if c.fields.iter().any(|f| check::is_unsized(f.ty)) {
                TokenStream::new()
            } else {
                expand(&c, false)
            };
            quote!(#(#errors)* #stub)
        }
    }
}

fn expand(c: &Container<'_>, with_intent: bool) -> TokenStream {
    let ident = c.ident;
    let (impl_g, ty_g, where_c) = c.generics.split_for_impl();
    let where_c = sized_bounds(c, where_c);
    let name = Literal::string(&c.name);
    let p = quote!(::layout::__private);
    let line = match c.attrs.line.filter(|_| with_intent) {
        Some(n) => usize_lit(n.value),
        None => quote!(#p::CURRENT.cache_line),
    };
    let repr = repr(c);
    let fields = c.fields.iter().map(|f| field(f, with_intent));
    let expect = if with_intent {
        expect(&c.attrs)
    } else {
        expect(&StructAttrs::default())
    };
    let checks = if with_intent && !matches!(c.shape, Shape::NotAStruct) {
        checks(c)
    } else {
        TokenStream::new()
    };
    quote! {
        #[allow(non_local_definitions, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_g ::layout::CacheLayout for #ident #ty_g #where_c {
                const LAYOUT: ::layout::StructLayout<'static> = ::layout::StructLayout {
                    name: #name,
                    size: #p::core::mem::size_of::<Self>(),
                    align: #p::core::mem::align_of::<Self>(),
                    line: #line,
                    prefetch_span: #p::CURRENT.prefetch_span,
                    target: #p::CURRENT.short,
                    repr: #repr,
                    fields: &[#(#fields),*],
                    expect: #expect,
                };
            }
            #checks
        };
    }
}

/// The where clause of the impl. With a `?Sized` type parameter (checked not to be a
/// field's whole type) the last field may still be unsized through a wrapper such as
/// `Cell<T>`; `Self: Sized` and `Last: Sized` make the impl cover exactly the sized
/// instantiations, which are the ones with a layout.
fn sized_bounds(c: &Container<'_>, where_c: Option<&syn::WhereClause>) -> TokenStream {
    let last = c.fields.last().map(|f| f.ty);
    match last {
        Some(ty) if !check::maybe_unsized_params(c.generics).is_empty() => {
            let preds = where_c.map(|w| &w.predicates).into_iter().flatten();
            quote!(where #(#preds,)* Self: ::layout::__private::core::marker::Sized, #ty: ::layout::__private::core::marker::Sized)
        }
        _ => quote!(#where_c),
    }
}

fn usize_lit(v: u64) -> TokenStream {
    let lit = Literal::u64_unsuffixed(v);
    quote!(#lit)
}

fn opt(v: Option<u64>) -> TokenStream {
    let p = quote!(::layout::__private::core::option::Option);
    match v {
        Some(v) => {
            let v = usize_lit(v);
            quote!(#p::Some(#v))
        }
        None => quote!(#p::None),
    }
}

fn repr(c: &Container<'_>) -> TokenStream {
    let cc = c.repr.kind == ReprKind::C;
    let transparent = c.repr.kind == ReprKind::Transparent;
    let packed = opt(c.repr.packed.map(|p| p.value));
    let align = opt(c.repr.align.map(|a| a.value));
    quote!(::layout::ReprInfo { c: #cc, transparent: #transparent, packed: #packed, align: #align })
}

fn expect(a: &StructAttrs) -> TokenStream {
    let size = opt(a.size.map(|s| s.value));
    let align = opt(a.align.map(|s| s.value));
    let line = opt(a.line.map(|s| s.value));
    let max_padding = opt(a.max_padding.map(|s| s.value));
    quote!(::layout::StructExpect { size: #size, align: #align, line: #line, max_padding: #max_padding })
}

fn field(f: &Field<'_>, with_intent: bool) -> TokenStream {
    let p = quote!(::layout::__private);
    let (member, ty) = (&f.member, f.ty);
    let name = Literal::string(&f.name);
    let a = &f.attrs;
    let (offset, line, group, isolated, pad) = if with_intent {
        let group = match &a.group {
            Some(g) => {
                let g = Literal::string(&g.value);
                quote!(#p::core::option::Option::Some(#g))
            }
            None => quote!(#p::core::option::Option::None),
        };
        (
            opt(a.offset.map(|o| o.value)),
            opt(a.line.map(|o| o.value)),
            group,
            a.isolated.is_some(),
            a.pad.is_some(),
        )
    } else {
        let none = quote!(#p::core::option::Option::None);
        (none.clone(), none.clone(), none, false, false)
    };
    quote! {
        ::layout::FieldLayout {
            name: #name,
            offset: #p::core::mem::offset_of!(Self, #member),
            size: #p::core::mem::size_of::<#ty>(),
            align: #p::core::mem::align_of::<#ty>(),
            intent: ::layout::FieldIntent {
                offset: #offset,
                line: #line,
                group: #group,
                isolated: #isolated,
                pad: #pad,
            },
        }
    }
}

/// The `const` assertions: one for the struct, one per field that can fail a rule.
/// Each is spanned at the `#[layout(...)]` it checks, which is where rustc points when
/// the evaluation panics. Structs with type or const parameters get none: free `const`
/// items cannot name them; `layout::verify::<S<T>>()` checks an instantiation.
fn checks(c: &Container<'_>) -> TokenStream {
    if c.is_generic_over_types() {
        return TokenStream::new();
    }
    let ident = c.ident;
    let lifetimes = c.generics.lifetimes().map(|_| quote!('static));
    let ty = if c.generics.params.is_empty() {
        quote!(#ident)
    } else {
        quote!(#ident<#(#lifetimes),*>)
    };
    let layout = quote!(&<#ty as ::layout::CacheLayout>::LAYOUT);
    let mut out = assertion(c.anchor, "assert_struct", layout.clone());
    for (i, f) in c.fields.iter().enumerate() {
        if f.attrs.has_checks() {
            let i = Literal::usize_unsuffixed(i);
            out.extend(assertion(f.anchor, "assert_field", quote!(#layout, #i)));
        }
    }
    out
}

/// `const _: () = ::layout::__private::<func>(<args>);` with the call's first token at
/// `anchor.start` and its closing parenthesis at `anchor.end`.
fn assertion(anchor: Anchor, func: &str, args: TokenStream) -> TokenStream {
    let func = proc_macro2::Ident::new(func, anchor.start);
    let mut group = Group::new(Delimiter::Parenthesis, args);
    group.set_span(anchor.end);
    let call = TokenTree::Group(group);
    quote_spanned! {anchor.start=>
        const _: () = ::layout::__private::#func #call;
    }
}
