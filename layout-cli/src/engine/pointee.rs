//! Whether a pointer is thin or fat: the pointee's sizedness from its definition.

use syn::{GenericArgument, Type};

use super::types::{
    Arg, Ctx, Item, MAX_DEPTH, Ptr, R, Scope, Why, generic_args, known_extern_name, path_segs,
    unknown,
};
use crate::index::{ModId, Res};

impl Ctx<'_> {
    // ----- pointees ---------------------------------------------------------------------

    /// Whether a pointer to `ty` is thin or fat.
    pub fn pointee(&self, sc: &Scope, ty: &Type, d: usize) -> R<Ptr> {
        if d > MAX_DEPTH {
            return unknown("type nested too deeply");
        }
        match ty {
            Type::Paren(p) => self.pointee(sc, &p.elem, d + 1),
            Type::Group(g) => self.pointee(sc, &g.elem, d + 1),
            Type::Slice(_) | Type::TraitObject(_) => Ok(Ptr::Fat),
            Type::Tuple(t) => match t.elems.last() {
                Some(last) => self.pointee(sc, last, d + 1),
                None => Ok(Ptr::Thin),
            },
            Type::Array(_)
            | Type::Reference(_)
            | Type::Ptr(_)
            | Type::BareFn(_)
            | Type::Never(_) => Ok(Ptr::Thin),
            Type::Path(tp) if tp.qself.is_none() => {
                let path = &tp.path;
                let Some(last) = path.segments.last() else {
                    return unknown("empty path");
                };
                if path.segments.len() == 1 && path.leading_colon.is_none() {
                    let name = last.ident.to_string();
                    if let Some(Arg::Type(_, ptr)) = sc.param(&name) {
                        return ptr.clone();
                    }
                    if name == "Self" {
                        return match sc.self_struct {
                            Some(id) => self.struct_pointee(id, d),
                            None => unknown("`Self` outside a struct"),
                        };
                    }
                }
                let segs = path_segs(path);
                if let [param, assoc] = &segs[..]
                    && path.leading_colon.is_none()
                    && matches!(sc.param(param), Some(Arg::Type(..)))
                {
                    return self.projection_pointee(sc, param, assoc);
                }
                match self
                    .ix
                    .resolve(sc.module, &segs, path.leading_colon.is_some(), &self.t)
                {
                    Some(Res::Struct(id)) => {
                        let st = &self.ix.structs[id];
                        if st.item.generics.params.is_empty() {
                            return self.struct_pointee(id, d);
                        }
                        // Sized unless its last field is unsized with these arguments.
                        let args = generic_args(&last.arguments);
                        let params = self.bind_pointees(&st.item.generics, &args, sc, st.module, d);
                        match self.struct_pointee_with(id, params, d) {
                            Ok(p) => Ok(p),
                            Err(_) => unknown(format!("whether `{}` is sized", segs.join("::"))),
                        }
                    }
                    Some(Res::Enum(_)) | Some(Res::Union(_)) => Ok(Ptr::Thin),
                    Some(Res::Alias(id)) => {
                        let a = &self.ix.aliases[id];
                        // A generic alias: the aliased type with the parameters bound
                        // to the arguments' pointee kinds.
                        let params = if a.item.generics.params.is_empty() {
                            Vec::new()
                        } else {
                            let args = generic_args(&last.arguments);
                            self.bind_pointees(&a.item.generics, &args, sc, a.module, d)
                        };
                        let inner = Scope {
                            module: a.module,
                            params,
                            self_struct: None,
                        };
                        self.guarded(Item::AliasPointee(id), &a.item.ident.to_string(), || {
                            self.pointee(&inner, &a.item.ty, d + 1)
                        })
                    }
                    Some(Res::Extern(p)) if is_std_trait(&p) => Ok(Ptr::Fat),
                    Some(Res::Extern(p))
                        if known_extern_name(&p).is_some_and(|n| UNSIZED_LAST.contains(&n)) =>
                    {
                        // `Mutex<[u8]>`, `UnsafeCell<dyn Trait>`: as sized as the argument.
                        match generic_args(&last.arguments).first() {
                            Some(GenericArgument::Type(t)) => self.pointee(sc, t, d + 1),
                            _ => unknown(format!("`{}` without its argument", p.join("::"))),
                        }
                    }
                    Some(Res::Extern(p)) => match known_extern_name(&p) {
                        Some("str") => Ok(Ptr::Fat),
                        Some("Path" | "OsStr" | "CStr") => Ok(Ptr::Fat),
                        Some("c_void") => Ok(Ptr::Thin),
                        Some(_) => Ok(Ptr::Thin),
                        None => unknown(format!("whether `{}` is sized", p.join("::"))),
                    },
                    Some(Res::Macro(mac)) => unknown(format!(
                        "whether `{}` is sized: it is declared by macro `{mac}!`, which is not expanded",
                        segs.join("::")
                    )),
                    _ => unknown(format!("cannot resolve `{}`", segs.join("::"))),
                }
            }
            _ => unknown("whether the pointee is sized"),
        }
    }

    /// Whether `P::Name` is sized, `P` a type parameter of the struct being laid out:
    /// it is when a trait of the crate that bounds `P` (`struct S<P: Link>`, or
    /// `where P: Link`) declares the associated type `Name` without `?Sized` (an
    /// associated type is `Sized` unless relaxed, whatever the impl picks).
    fn projection_pointee(&self, sc: &Scope, param: &str, assoc: &str) -> R<Ptr> {
        let why = || unknown(format!("whether `{param}::{assoc}` is sized"));
        let Some(id) = sc.self_struct else {
            return why();
        };
        let s = &self.ix.structs[id];
        let g = &s.item.generics;
        let mut bounds: Vec<&syn::TypeParamBound> = Vec::new();
        for p in g.type_params().filter(|p| p.ident == param) {
            bounds.extend(&p.bounds);
        }
        for pred in g.where_clause.iter().flat_map(|w| &w.predicates) {
            if let syn::WherePredicate::Type(pt) = pred
                && matches!(&pt.bounded_ty, Type::Path(tp) if tp.qself.is_none() && tp.path.is_ident(param))
            {
                bounds.extend(&pt.bounds);
            }
        }
        for b in bounds {
            let syn::TypeParamBound::Trait(tb) = b else {
                continue;
            };
            let segs = path_segs(&tb.path);
            let Some(Res::Trait(t)) =
                self.ix
                    .resolve(s.module, &segs, tb.path.leading_colon.is_some(), &self.t)
            else {
                continue;
            };
            let tr = &self.ix.traits[t];
            for item in &tr.item.items {
                if let syn::TraitItem::Type(ty) = item
                    && ty.ident == assoc
                    && self.cfg_enabled(&ty.attrs, tr.module)
                {
                    let relaxed = ty.bounds.iter().any(|b| {
                        matches!(b, syn::TypeParamBound::Trait(t) if matches!(t.modifier, syn::TraitBoundModifier::Maybe(_)))
                    });
                    return if relaxed { why() } else { Ok(Ptr::Thin) };
                }
            }
        }
        why()
    }

    pub(super) fn struct_pointee(&self, id: usize, d: usize) -> R<Ptr> {
        let params = self.unbound(&self.ix.structs[id].item.generics);
        self.struct_pointee_with(id, params, d)
    }

    /// Binds `generics` for a sizedness question only: each type argument's pointee
    /// kind, never its layout (a struct may point to a generic holding itself).
    pub(super) fn bind_pointees(
        &self,
        generics: &syn::Generics,
        args: &[&GenericArgument],
        sc: &Scope,
        def: ModId,
        d: usize,
    ) -> Vec<(String, Arg)> {
        let mut out = Vec::new();
        let mut it = args
            .iter()
            .filter(|a| !matches!(a, GenericArgument::Lifetime(_)));
        let not_needed = || Why::Unknown("layout not needed for sizedness".into());
        for p in &generics.params {
            match p {
                syn::GenericParam::Lifetime(_) => {}
                syn::GenericParam::Type(tp) => {
                    let name = tp.ident.to_string();
                    let ptr = match (it.next(), &tp.default) {
                        (Some(GenericArgument::Type(ty)), _) => self.pointee(sc, ty, d + 1),
                        (None, Some(ty)) => {
                            let dsc = Scope {
                                module: def,
                                params: out.clone(),
                                self_struct: None,
                            };
                            self.pointee(&dsc, ty, d + 1)
                        }
                        _ => unknown(format!("parameter `{name}` has no type argument")),
                    };
                    out.push((name, Arg::Type(Err(not_needed()), ptr)));
                }
                syn::GenericParam::Const(cp) => {
                    let _ = it.next();
                    out.push((cp.ident.to_string(), Arg::Const(Err(not_needed()))));
                }
            }
        }
        out
    }

    /// Whether a pointer to struct `id` with its parameters bound to `params` is fat:
    /// its last present field is.
    pub(super) fn struct_pointee_with(
        &self,
        id: usize,
        params: Vec<(String, Arg)>,
        d: usize,
    ) -> R<Ptr> {
        let s = &self.ix.structs[id];
        let sc = Scope {
            module: s.module,
            params,
            self_struct: Some(id),
        };
        let last = s
            .item
            .fields
            .iter()
            .rev()
            .find(|f| self.cfg_enabled(&f.attrs, s.module));
        match last {
            None => Ok(Ptr::Thin),
            Some(f) => self.guarded(Item::StructPointee(id), &s.item.ident.to_string(), || {
                self.pointee(&sc, &f.ty, d + 1)
            }),
        }
    }
}

pub(super) fn maybe_unsized(
    generics: &syn::Generics,
    ident: &syn::Ident,
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
) -> bool {
    let relaxed = |b: &syn::TypeParamBound| matches!(b, syn::TypeParamBound::Trait(t) if matches!(t.modifier, syn::TraitBoundModifier::Maybe(_)));
    if bounds.iter().any(relaxed) {
        return true;
    }
    generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
        .any(|p| match p {
            syn::WherePredicate::Type(pt) => {
                matches!(&pt.bounded_ty, Type::Path(tp) if tp.path.is_ident(ident))
                    && pt.bounds.iter().any(relaxed)
            }
            _ => false,
        })
}

/// A std trait named as a type: an edition-2015 bare trait object (`Box<Any>`), unsized.
fn is_std_trait(p: &[String]) -> bool {
    let Some(last) = p.last().map(String::as_str) else {
        return false;
    };
    let head = p.first().map(String::as_str);
    let std_path = p.len() > 1 && matches!(head, Some("std" | "core" | "alloc"));
    // Names the prelude brings in, so they need no path.
    let prelude = matches!(
        last,
        "Fn" | "FnMut" | "FnOnce" | "Send" | "Sync" | "Iterator" | "Drop" | "ToString"
    );
    let under = |m: &str| p.len() >= 2 && p[p.len() - 2] == m;
    prelude && (p.len() == 1 || std_path)
        || std_path
            && (matches!(last, "Any") && under("any")
                || matches!(last, "Debug" | "Display" | "Write") && under("fmt")
                || matches!(last, "Read" | "Write" | "BufRead" | "Seek") && under("io")
                || last == "Error" && under("error")
                || last == "Future" && under("future"))
}

/// std wrappers whose (only) type parameter is `?Sized` and held last by value, so a
/// pointer to them is fat when the argument is unsized.
const UNSIZED_LAST: &[&str] = &[
    "Cell",
    "UnsafeCell",
    "SyncUnsafeCell",
    "RefCell",
    "Mutex",
    "RwLock",
    "ManuallyDrop",
    "ReentrantLock",
];
