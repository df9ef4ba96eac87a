//! Struct, union, enum and alias layouts: fields, `#[repr]`, cycles and memoisation.

use std::rc::Rc;

use syn::{GenericArgument, Type};

use super::layout::{self as lay, Kind, Layout, Over, Placed, ReprOpts};
use super::types::{
    Arg, Ctx, FieldOut, Item, Ptr, R, Scope, StructOut, Why, field_kind, path_segs, peeled,
    syn_err, type_string, unknown,
};
use crate::analysis::FieldKind;
use crate::index::{ModId, Res};

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
                kind: self.kind_of(module, &f.ty),
            });
        }
        (fields, errors)
    }

    /// What a field of type `ty`, written in `module`, holds, for the false-sharing
    /// heuristic: by the type's name (`Atomic*`, locks, cells; through arrays and
    /// `CachePadded`), else, for one of the crate's own structs, what its fields present
    /// on this target hold, the strongest of atomic, lock, cell. So a field of type
    /// `RawSpin` where `struct RawSpin { locked: AtomicBool }` counts as an atomic one.
    /// Generic parameters, enums and types from other crates count as plain.
    pub(super) fn kind_of(&self, module: ModId, ty: &Type) -> FieldKind {
        match field_kind(ty) {
            FieldKind::Plain => self
                .struct_named(module, ty)
                .map_or(FieldKind::Plain, |id| self.struct_kind(id)),
            k => k,
        }
    }

    /// The crate's struct a field type names (after [`peeled`]), if it is one.
    fn struct_named(&self, module: ModId, ty: &Type) -> Option<usize> {
        let Type::Path(tp) = peeled(ty) else {
            return None;
        };
        if tp.qself.is_some() {
            return None;
        }
        let segs = path_segs(&tp.path);
        match self
            .ix
            .resolve(module, &segs, tp.path.leading_colon.is_some(), &self.t)
        {
            Some(Res::Struct(id)) => Some(id),
            _ => None,
        }
    }

    /// [`Ctx::kind_of`] for a struct: a depth-first walk with its own stack (a chain of
    /// thousands of nested structs does not recurse), every struct memoised once its
    /// fields are done, so the answer does not depend on which struct is asked first.
    /// A struct met again while its own fields are being walked (a cycle, which rustc
    /// rejects) counts as plain there.
    fn struct_kind(&self, root: usize) -> FieldKind {
        fn rank(k: FieldKind) -> u8 {
            match k {
                FieldKind::Atomic => 3,
                FieldKind::Lock => 2,
                FieldKind::Cell => 1,
                FieldKind::Plain => 0,
            }
        }
        struct Frame<'s> {
            id: usize,
            fields: Vec<&'s syn::Field>,
            next: usize,
            best: FieldKind,
        }
        let frame = |id: usize| Frame {
            id,
            fields: self.ix.structs[id].item.fields.iter().collect(),
            next: 0,
            best: FieldKind::Plain,
        };
        if let Some(&k) = self.kinds.borrow().get(&root) {
            return k;
        }
        let mut in_walk = std::collections::HashSet::from([root]);
        let mut stack = vec![frame(root)];
        while let Some(top) = stack.last_mut() {
            let module = self.ix.structs[top.id].module;
            let Some(f) = top
                .fields
                .get(top.next)
                .copied()
                .filter(|_| top.best != FieldKind::Atomic)
            else {
                let (id, best) = (top.id, top.best);
                stack.pop();
                in_walk.remove(&id);
                self.kinds.borrow_mut().insert(id, best);
                if let Some(parent) = stack.last_mut()
                    && rank(best) > rank(parent.best)
                {
                    parent.best = best;
                }
                continue;
            };
            top.next += 1;
            if !matches!(self.active_attrs(&f.attrs, module), Ok(Some(_))) {
                continue;
            }
            let k = match field_kind(&f.ty) {
                FieldKind::Plain => match self.struct_named(module, &f.ty) {
                    Some(id) if in_walk.contains(&id) => FieldKind::Plain,
                    Some(id) => match self.kinds.borrow().get(&id) {
                        Some(&k) => k,
                        None => {
                            in_walk.insert(id);
                            stack.push(frame(id));
                            continue;
                        }
                    },
                    None => FieldKind::Plain,
                },
                k => k,
            };
            let top = stack.last_mut().expect("the frame being walked");
            if rank(k) > rank(top.best) {
                top.best = k;
            }
        }
        self.kinds
            .borrow()
            .get(&root)
            .copied()
            .unwrap_or(FieldKind::Plain)
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
