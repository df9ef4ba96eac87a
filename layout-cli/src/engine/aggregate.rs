//! Struct, union, enum and alias layouts: fields, `#[repr]`, cycles and memoisation.

use std::rc::Rc;

use syn::{GenericArgument, Type};

use super::layout::{self as lay, Kind, Layout, Over, Placed, ReprOpts};
use super::types::{
    Arg, Ctx, FieldOut, Item, Ptr, R, Scope, StructOut, Why, field_kind, generic_args, path_segs,
    syn_err, type_string, unknown,
};
use crate::analysis::FieldKind;
use crate::index::{ModId, Res};

/// How deep [`Ctx::kind_of`] looks into nested structs of the crate.
const KIND_DEPTH: usize = 16;

impl Ctx<'_> {
    pub(super) fn struct_layout(
        &self,
        id: usize,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let s = &self.ix.structs[id];
        let params = if s.item.generics.params.is_empty() {
            Vec::new()
        } else if args.is_empty() && sc.self_struct == Some(id) {
            // `Self` or the bare name inside its own definition.
            sc.params.clone()
        } else {
            self.bind(&s.item.generics, args, sc, s.module, d)?
        };
        let key = (Item::Struct(id), params.clone());
        if let Some(r) = self.memo.borrow().get(&key) {
            return r.clone();
        }
        let name = s.item.ident.to_string();
        let r = self.guarded(Item::Struct(id), &name, || {
            self.struct_detail(id, params.clone()).layout.clone()
        });
        if !self.stack.borrow().is_empty()
            && matches!(r, Err(Why::Error(ref m)) if m.starts_with("recursive"))
        {
            // A cycle through an item still on the stack: not memoised, the outer call
            // decides.
            return r;
        }
        self.memo.borrow_mut().insert(key, r.clone());
        r
    }

    /// Lays out struct `id` with its parameters bound to `params` (unbound parameters
    /// for the struct's own report).
    pub fn struct_detail(&self, id: usize, params: Vec<(String, Arg)>) -> Rc<StructOut> {
        let key = (id, params.clone());
        if let Some(r) = self.details.borrow().get(&key) {
            return r.clone();
        }
        let out = Rc::new(self.compute_struct(id, params));
        self.details.borrow_mut().insert(key, out.clone());
        out
    }

    /// The struct's own report: parameters unbound.
    pub fn struct_report(&self, id: usize) -> Rc<StructOut> {
        let params = self.unbound(&self.ix.structs[id].item.generics);
        let name = self.ix.structs[id].item.ident.to_string();
        let mut out = None;
        let _ = self.guarded(Item::Struct(id), &name, || {
            out = Some(self.struct_detail(id, params.clone()));
            Ok(())
        });
        out.unwrap_or_else(|| self.struct_detail(id, params))
    }

    pub(super) fn compute_struct(&self, id: usize, params: Vec<(String, Arg)>) -> StructOut {
        let s = &self.ix.structs[id];
        let mut attr_errors = Vec::new();
        let uncertain = self.cfg_unknown(&s.item.attrs, s.module);
        let attrs = match self.active_attrs(&s.item.attrs, s.module) {
            Ok(a) => a.unwrap_or_default(),
            Err(e) => {
                attr_errors.push(syn_err(&e));
                Vec::new()
            }
        };
        let cx = layout_syntax::Ctxt::new();
        let repr = layout_syntax::parse_repr(&cx, &attrs);
        attr_errors.extend(cx.into_errors().iter().map(syn_err));
        let sc = Scope {
            module: s.module,
            params,
            self_struct: Some(id),
        };
        let unbound_sc = Scope {
            module: s.module,
            params: self.unbound(&s.item.generics),
            self_struct: Some(id),
        };
        let (fields, errors) = self.field_outs(s.item.fields.iter(), s.module, &sc, 0);
        attr_errors.extend(errors);
        let last_ty = s
            .item
            .fields
            .iter()
            .filter(|f| match self.active_attrs(&f.attrs, s.module) {
                Ok(Some(_)) => true,
                Ok(None) => self.cfg_unknown(&f.attrs, s.module).is_some(),
                Err(_) => false,
            })
            .last()
            .map(|f| &f.ty);
        let mut layout: R<Layout> = Ok(Layout::plain(0, 1));
        let mut offsets = vec![None; fields.len()];
        if !attr_errors.is_empty() {
            layout = Err(Why::Error(attr_errors[0].2.clone()));
        } else if repr.int.is_some() {
            layout = Err(Why::Error(
                "a primitive representation (`repr(u8)`, ...) is for enums, not structs".into(),
            ));
        } else if let Some(r) = &uncertain {
            layout = Err(Why::Unknown(format!("its attributes depend on a cfg: {r}")));
        } else if let Some(u) = repr.unsupported {
            layout = Err(Why::Unknown(format!(
                "`repr({})` layouts are not modelled",
                u.value
            )));
        }
        if layout.is_ok() {
            let mut known = Vec::with_capacity(fields.len());
            let mut first_bad = None;
            for f in &fields {
                match &f.layout {
                    Ok(l) => known.push(*l),
                    Err(w) => {
                        if first_bad.is_none() || matches!(w, Why::Error(_)) {
                            first_bad = Some(w.clone());
                        }
                        if matches!(w, Why::Error(_)) {
                            break;
                        }
                    }
                }
            }
            let opts = ReprOpts {
                c: repr.kind == layout_syntax::ReprKind::C,
                packed: repr.packed.map(|p| p.value),
                align: repr.align.map(|a| a.value),
            };
            match first_bad {
                Some(w) => {
                    layout = Err(match w {
                        Why::Error(m) => Why::Error(m),
                        Why::Unknown(m) => Why::Unknown(m),
                    });
                    if opts.c {
                        let mut off = 0u64;
                        for (i, f) in fields.iter().enumerate() {
                            let Ok(l) = &f.layout else { break };
                            let a = opts.packed.map_or(l.align, |p| l.align.min(p));
                            let Some(o) = lay::align_up(off, a) else {
                                break;
                            };
                            offsets[i] = Some(o);
                            let Some(e) = o.checked_add(l.size) else {
                                break;
                            };
                            off = e;
                        }
                    }
                }
                None if opts.packed.is_some()
                    && fields
                        .iter()
                        .any(|f| matches!(&f.layout, Ok(l) if l.over != Over::No)) =>
                {
                    let direct = fields
                        .iter()
                        .any(|f| matches!(&f.layout, Ok(l) if l.over == Over::Direct));
                    layout = if direct && field_over(&fields, &s.item, &sc) == Over::Direct {
                        Err(Why::Error(
                            "packed type cannot transitively contain a `#[repr(align)]` type (E0588)".into(),
                        ))
                    } else {
                        unknown(
                            "packed struct holding a type with `#[repr(align)]` somewhere inside",
                        )
                    };
                }
                None => {
                    let kind = match last_ty {
                        Some(ty) if self.pointee(&unbound_sc, ty, 0) != Ok(Ptr::Thin) => {
                            Kind::MaybeUnsized
                        }
                        _ => Kind::AlwaysSized,
                    };
                    match lay::univariant(&known, opts, kind, self.bound) {
                        Ok(Placed {
                            layout: mut l,
                            offsets: o,
                            ..
                        }) => {
                            l.over = if opts.align.is_some() {
                                Over::Direct
                            } else {
                                field_over(&fields, &s.item, &sc)
                            };
                            layout = Ok(l);
                            offsets = o.into_iter().map(Some).collect();
                        }
                        Err(_) => layout = Err(self.too_big(&format!("`{}`", s.item.ident))),
                    }
                }
            }
        }
        StructOut {
            fields,
            attrs,
            repr,
            layout,
            offsets,
            attr_errors,
        }
    }

    /// The fields present on this target, laid out in `sc`, for a struct and a union
    /// alike: a field whose `cfg` cannot be evaluated is kept with an unknown layout
    /// (it may be absent), an absent one is left out, and a malformed attribute is
    /// returned as an error (position and message) with its field left out.
    pub(super) fn field_outs<'f>(
        &self,
        declared: impl Iterator<Item = &'f syn::Field>,
        module: ModId,
        sc: &Scope,
        d: usize,
    ) -> (Vec<FieldOut>, Vec<(usize, usize, String)>) {
        let mut fields = Vec::new();
        let mut errors = Vec::new();
        for f in declared {
            let field_unknown = self.cfg_unknown(&f.attrs, module);
            let fattrs = match self.active_attrs(&f.attrs, module) {
                Ok(Some(a)) => a,
                Ok(None) if field_unknown.is_some() => Vec::new(),
                Ok(None) => continue,
                Err(e) => {
                    errors.push(syn_err(&e));
                    continue;
                }
            };
            let name = match &f.ident {
                Some(id) => id.to_string(),
                None => fields.len().to_string(),
            };
            let start = match &f.ident {
                Some(id) => id.span().start(),
                None => syn::spanned::Spanned::span(&f.ty).start(),
            };
            fields.push(FieldOut {
                name,
                ty: type_string(&f.ty),
                line: start.line,
                column: start.column + 1,
                layout: match &field_unknown {
                    Some(r) => Err(Why::Unknown(format!("the field may be absent: {r}"))),
                    None => self.layout_of(sc, &f.ty, d),
                },
                attrs: fattrs,
                kind: self.kind_of(module, &f.ty, 0),
            });
        }
        (fields, errors)
    }

    /// What a field of type `ty`, written in `module`, holds, for the false-sharing
    /// heuristic: by the type's name (`Atomic*`, locks, cells; through arrays and
    /// `CachePadded`), else, for one of the crate's own structs, what its fields present
    /// on this target hold, the strongest of atomic, lock, cell. So a field of type
    /// `RawSpin` where `struct RawSpin { locked: AtomicBool }` counts as an atomic one.
    /// Generic parameters, enums and types from other crates count as plain; past
    /// [`KIND_DEPTH`] nested structs (and around a cycle) too.
    pub(super) fn kind_of(&self, module: ModId, ty: &Type, d: usize) -> FieldKind {
        let k = field_kind(ty);
        if k != FieldKind::Plain || d >= KIND_DEPTH {
            return k;
        }
        let Some(path) = named_path(ty) else {
            return k;
        };
        let segs = path_segs(path);
        match self
            .ix
            .resolve(module, &segs, path.leading_colon.is_some(), &self.t)
        {
            Some(Res::Struct(id)) => self.struct_kind(id, d + 1),
            _ => k,
        }
    }

    fn struct_kind(&self, id: usize, d: usize) -> FieldKind {
        if let Some(&k) = self.kinds.borrow().get(&id) {
            return k;
        }
        // Around a cycle (only in code rustc rejects) the struct counts as plain.
        self.kinds.borrow_mut().insert(id, FieldKind::Plain);
        let s = &self.ix.structs[id];
        let rank = |k: FieldKind| match k {
            FieldKind::Atomic => 3,
            FieldKind::Lock => 2,
            FieldKind::Cell => 1,
            FieldKind::Plain => 0,
        };
        let mut best = FieldKind::Plain;
        for f in &s.item.fields {
            if !matches!(self.active_attrs(&f.attrs, s.module), Ok(Some(_))) {
                continue;
            }
            let k = self.kind_of(s.module, &f.ty, d);
            if rank(k) > rank(best) {
                best = k;
            }
            if best == FieldKind::Atomic {
                break;
            }
        }
        self.kinds.borrow_mut().insert(id, best);
        best
    }

    pub(super) fn union_layout(
        &self,
        id: usize,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let u = &self.ix.unions[id];
        let params = self.bind(&u.item.generics, args, sc, u.module, d)?;
        let name = u.item.ident.to_string();
        self.guarded(Item::Union(id), &name, || {
            let repr = self.active_repr(&u.item.attrs, u.module, "union", &name)?;
            let inner = Scope {
                module: u.module,
                params,
                self_struct: None,
            };
            let (outs, errors) = self.field_outs(u.item.fields.named.iter(), u.module, &inner, d);
            if let Some((_, _, e)) = errors.into_iter().next() {
                return Err(Why::Error(e));
            }
            let mut fields = Vec::with_capacity(outs.len());
            for f in outs {
                fields.push(f.layout?);
            }
            let opts = ReprOpts {
                c: true,
                packed: repr.packed.map(|p| p.value),
                align: repr.align.map(|a| a.value),
            };
            if opts.packed.is_some() && fields.iter().any(|f| f.over != Over::No) {
                return unknown("packed union holding a type with `#[repr(align)]`");
            }
            let mut l = lay::union(&fields, opts, self.bound)
                .map_err(|_| self.too_big(&format!("`{name}`")))?;
            l.over = if opts.align.is_some() {
                Over::Direct
            } else {
                fields.iter().fold(
                    Over::No,
                    |o, f| if f.over != Over::No { Over::Nested } else { o },
                )
            };
            Ok(l)
        })
    }

    pub(super) fn alias_layout(
        &self,
        id: usize,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let a = &self.ix.aliases[id];
        let params = self.bind(&a.item.generics, args, sc, a.module, d)?;
        let name = a.item.ident.to_string();
        self.guarded(Item::Alias(id), &name, || {
            let inner = Scope {
                module: a.module,
                params,
                self_struct: None,
            };
            self.layout_of(&inner, &a.item.ty, d)
        })
    }

    /// Enum `id` of the crate on this target, for a report: its layout with no
    /// arguments (a generic enum's parameters stay unknown, so it is unknown unless no
    /// variant uses them by value), or why not.
    pub fn enum_report(&self, id: usize) -> R<Layout> {
        let e = &self.ix.enums[id];
        let params = self.unbound(&e.item.generics);
        self.guarded(Item::Enum(id), &e.item.ident.to_string(), || {
            self.enum_item_layout(&e.item, e.module, params.clone(), 0)
        })
    }

    /// Enum `id` with `args` written in `module` (`Either<u8, u32>`).
    pub fn enum_with_args(&self, id: usize, args: &[GenericArgument], module: ModId) -> R<Layout> {
        let sc = Scope {
            module,
            ..Scope::default()
        };
        let refs: Vec<&GenericArgument> = args.iter().collect();
        self.enum_layout(id, &refs, &sc, 0)
    }

    /// An enum of the crate with its parameters bound to `args` (written in `sc`).
    pub(super) fn enum_layout(
        &self,
        id: usize,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let e = &self.ix.enums[id];
        let params = self.bind(&e.item.generics, args, sc, e.module, d)?;
        let key = (Item::Enum(id), params.clone());
        if let Some(r) = self.memo.borrow().get(&key) {
            return r.clone();
        }
        let name = e.item.ident.to_string();
        let r = self.guarded(Item::Enum(id), &name, || {
            self.enum_item_layout(&e.item, e.module, params.clone(), d)
        });
        if !self.stack.borrow().is_empty()
            && matches!(r, Err(Why::Error(ref m)) if m.starts_with("recursive"))
        {
            return r;
        }
        self.memo.borrow_mut().insert(key, r.clone());
        r
    }

    /// Any enum definition (the crate's, or one of std's written as source) with its
    /// parameters bound: the present variants' fields laid out, then rustc's choice
    /// between a tag and a niche ([`lay::enum_layout`]).
    pub(super) fn enum_item_layout(
        &self,
        item: &syn::ItemEnum,
        module: ModId,
        params: Vec<(String, Arg)>,
        d: usize,
    ) -> R<Layout> {
        let name = item.ident.to_string();
        let repr = self.active_repr(&item.attrs, module, "enum", &name)?;
        if repr.packed.is_some() {
            return Err(Why::Error(format!("enum `{name}` cannot be `packed`")));
        }
        let sc = Scope {
            module,
            params,
            self_struct: None,
        };
        let mut discr: Vec<i128> = Vec::new();
        let mut variants: Vec<Vec<Layout>> = Vec::new();
        let mut next = 0i128;
        for v in &item.variants {
            if self
                .active_attrs(&v.attrs, module)
                .map_err(|x| Why::Error(x.to_string()))?
                .is_none()
            {
                continue;
            }
            let mut fields = Vec::with_capacity(v.fields.len());
            for f in &v.fields {
                if !self.cfg_enabled(&f.attrs, module) {
                    continue;
                }
                fields.push(self.layout_of(&sc, &f.ty, d + 1)?);
            }
            let val = match &v.discriminant {
                Some((_, ex)) => self.eval_const(&sc, ex, d + 1)?,
                None => next,
            };
            discr.push(val);
            variants.push(fields);
            next = val
                .checked_add(1)
                .ok_or_else(|| Why::Error("discriminant overflows".into()))?;
        }
        if variants.is_empty() {
            return unknown(format!("enum `{name}` has no variants (it is uninhabited)"));
        }
        let min = *discr.iter().min().unwrap_or(&0);
        let max = *discr.iter().max().unwrap_or(&0);
        let int = match &repr.int {
            Some(int) => {
                let t = int.to_string();
                let (lo, hi) = self
                    .int_range(&t)
                    .ok_or_else(|| Why::Unknown(format!("`repr({t})` of `{name}`")))?;
                if min < lo || max > hi {
                    return Err(Why::Error(format!(
                        "discriminants of `{name}` do not fit `{int}`"
                    )));
                }
                let size = match t.as_str() {
                    "u8" | "i8" => 1,
                    "u16" | "i16" => 2,
                    "u32" | "i32" => 4,
                    "u64" | "i64" => 8,
                    "u128" | "i128" => 16,
                    _ => self.p(),
                };
                Some((size, t.starts_with('i')))
            }
            None => None,
        };
        let opts = lay::EnumOpts {
            c: repr.kind == layout_syntax::ReprKind::C,
            int,
            align: repr.align.map(|a| a.value),
            align_u64: self.a64(),
            align_u128: self.a128(),
        };
        lay::enum_layout(&variants, &discr, opts, self.bound)
            .map_err(|_| self.too_big(&format!("`{name}`")))
    }

    /// The `#[repr]` of a union or enum on this target, after `cfg_attr`; any error in
    /// it makes the type's layout an error.
    pub(super) fn active_repr(
        &self,
        attrs: &[syn::Attribute],
        module: ModId,
        what: &str,
        name: &str,
    ) -> R<layout_syntax::Repr> {
        let attrs = self
            .active_attrs(attrs, module)
            .map_err(|e| Why::Error(e.to_string()))?
            .unwrap_or_default();
        let cx = layout_syntax::Ctxt::new();
        let repr = layout_syntax::parse_repr(&cx, &attrs);
        if !cx.is_empty() {
            return Err(Why::Error(format!("bad `repr` on {what} `{name}`")));
        }
        if let Some(u) = repr.unsupported {
            return Err(Why::Unknown(format!(
                "`repr({})` layouts are not modelled",
                u.value
            )));
        }
        Ok(repr)
    }
}

/// A struct's [`Over`]: `Direct` if a present field's declared type is a path (not a
/// generic parameter, array or tuple) to a `Direct` type, else `Nested` if any field holds
/// one at all.
pub(super) fn field_over(fields: &[FieldOut], item: &syn::ItemStruct, sc: &Scope) -> Over {
    let declared: Vec<&Type> = item.fields.iter().map(|f| &f.ty).collect();
    let mut out = Over::No;
    for f in fields {
        let Ok(l) = &f.layout else { continue };
        if l.over == Over::No {
            continue;
        }
        let ty = declared.iter().find(|t| type_string(t) == f.ty);
        let by_path = match ty {
            Some(Type::Path(tp)) => {
                !(tp.path.segments.len() == 1
                    && sc.param(&tp.path.segments[0].ident.to_string()).is_some())
            }
            _ => false,
        };
        if l.over == Over::Direct && by_path {
            return Over::Direct;
        }
        out = Over::Nested;
    }
    out
}

/// The path a field type names once arrays, parentheses and the wrappers
/// [`field_kind`] looks through are peeled off.
fn named_path(ty: &Type) -> Option<&syn::Path> {
    match ty {
        Type::Array(a) => named_path(&a.elem),
        Type::Paren(p) => named_path(&p.elem),
        Type::Group(g) => named_path(&g.elem),
        Type::Path(tp) if tp.qself.is_none() => {
            let last = tp.path.segments.last()?;
            let name = last.ident.to_string();
            if matches!(name.as_str(), "CachePadded" | "ManuallyDrop" | "Wrapping")
                && let Some(GenericArgument::Type(inner)) = generic_args(&last.arguments).first()
            {
                return named_path(inner);
            }
            Some(&tp.path)
        }
        _ => None,
    }
}
