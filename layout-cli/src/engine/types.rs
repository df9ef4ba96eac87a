//! Type layouts for one target: `syn::Type` in, [`Layout`] (or why not) out.
//!
//! Local items are found through the crate [`Index`]; std and crossbeam types through
//! [`super::std_types`]. Results for items are memoised per target. Recursion is
//! bounded twice: a struct that contains itself by value is reported as infinitely
//! sized (tracked with a stack of items being laid out), and any chain of nested types,
//! aliases or constants deeper than [`MAX_DEPTH`] is unknown instead of a stack
//! overflow.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use layout::target::TargetInfo;
use syn::{Expr, GenericArgument, PathArguments, Type};

use super::layout::{self as lay, Kind, Layout, Niche, Over, Placed, ReprOpts};
use super::std_types as stdt;
use crate::analysis::FieldKind;
use crate::cfg::CfgTarget;
use crate::index::{Index, ModId, Res};

/// How deep types, aliases and constants nest before we give up.
pub const MAX_DEPTH: usize = 96;

/// Why a layout is not known.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Why {
    /// Outside what the engine knows (foreign type, generic parameter, macro, ...).
    Unknown(String),
    /// The input is wrong: rustc would reject it too (infinite size, overflow, bad cfg).
    Error(String),
}

impl Why {
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Why::Unknown(m) | Why::Error(m) => m,
        }
    }
}

/// A result of the engine.
pub type R<T> = Result<T, Why>;

fn unknown<T>(msg: impl Into<String>) -> R<T> {
    Err(Why::Unknown(msg.into()))
}

/// Thin or fat pointer to a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ptr {
    /// The pointee is sized: one word.
    Thin,
    /// Unsized pointee (`str`, slices, `dyn Trait`): two words.
    Fat,
}

/// What a generic parameter stands for in a scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    /// A type: its layout by value and as a pointee.
    Type(R<Layout>, R<Ptr>),
    /// A const parameter's value.
    Const(R<i128>),
}

/// Where a type is written: the module, the generic parameters in scope, `Self`.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The module (for name resolution).
    pub module: ModId,
    /// Generic parameters by name.
    pub params: Vec<(String, Arg)>,
    /// The struct `Self` names.
    pub self_struct: Option<usize>,
}

impl Scope {
    fn param(&self, name: &str) -> Option<&Arg> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// One field of a laid-out struct.
#[derive(Clone, Debug)]
pub struct FieldOut {
    /// Name, or "0", "1", ... for tuple structs.
    pub name: String,
    /// The type as written, normalised.
    pub ty: String,
    /// 1-based line and column.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Its layout.
    pub layout: R<Layout>,
    /// Attributes active on this target.
    pub attrs: Vec<syn::Attribute>,
    /// For the heuristic.
    pub kind: FieldKind,
}

/// A struct laid out for one target.
#[derive(Clone, Debug)]
pub struct StructOut {
    /// Present fields in declaration order.
    pub fields: Vec<FieldOut>,
    /// Struct attributes active on this target.
    pub attrs: Vec<syn::Attribute>,
    /// Parsed `#[repr]`.
    pub repr: layout_syntax::Repr,
    /// The layout, or why not.
    pub layout: R<Layout>,
    /// Offsets in declaration order, where known.
    pub offsets: Vec<Option<u64>>,
    /// Errors in attributes (`#[repr]`, `cfg`): position and message.
    pub attr_errors: Vec<(usize, usize, String)>,
}

/// The engine for one target.
pub struct Ctx<'a> {
    /// The crate.
    pub ix: &'a Index,
    /// For `cfg`.
    pub t: CfgTarget,
    /// The target row.
    pub row: &'static TargetInfo,
    /// rustc's object-size bound for the target.
    pub bound: u64,
    std: Option<stdt::StdFacts>,
    memo: RefCell<HashMap<(char, usize, String), R<Layout>>>,
    details: RefCell<HashMap<(usize, String), Rc<StructOut>>>,
    consts: RefCell<HashMap<usize, R<i128>>>,
    stack: RefCell<Vec<(char, usize)>>,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("target", &self.row.triple)
            .finish_non_exhaustive()
    }
}

fn args_key(params: &[(String, Arg)]) -> String {
    format!("{params:?}")
}

impl<'a> Ctx<'a> {
    /// The engine for `row` over `ix`.
    pub fn new(ix: &'a Index, row: &'static TargetInfo) -> Self {
        Ctx {
            ix,
            t: CfgTarget::new(row),
            row,
            bound: lay::obj_size_bound(row.pointer_size),
            std: stdt::std_facts(row),
            memo: RefCell::default(),
            details: RefCell::default(),
            consts: RefCell::default(),
            stack: RefCell::default(),
        }
    }

    fn p(&self) -> u64 {
        self.row.pointer_size as u64
    }

    fn a64(&self) -> u64 {
        self.row.align_u64 as u64
    }

    fn a128(&self) -> u64 {
        self.row.align_u128 as u64
    }

    fn too_big(&self, what: &str) -> Why {
        Why::Error(format!(
            "size overflows: {what} is too big for {}",
            self.row.short
        ))
    }

    fn option(&self, t: Layout) -> R<Layout> {
        lay::option(t, self.a64(), self.a128(), self.bound).map_err(|_| self.too_big("`Option`"))
    }

    fn ptr(&self, kind: Ptr, nonnull: bool) -> Layout {
        let p = self.p();
        let size = if kind == Ptr::Fat { 2 * p } else { p };
        Layout {
            size,
            align: p,
            niche: nonnull.then_some(Niche {
                offset: 0,
                size: p,
                available: 1,
            }),
            over: Over::No,
        }
    }

    fn int(&self, size: u64) -> Layout {
        Layout::plain(size, lay::int_align(size, self.a64(), self.a128()))
    }

    /// Runs `f` with `(kind, id)` on the stack, or fails if it already is (a cycle).
    fn guarded<T>(&self, key: (char, usize), name: &str, f: impl FnOnce() -> R<T>) -> R<T> {
        if self.stack.borrow().contains(&key) {
            return Err(Why::Error(format!(
                "recursive type `{name}` has infinite size (use a `Box` or other pointer)"
            )));
        }
        if self.stack.borrow().len() > MAX_DEPTH {
            return unknown(format!("types nested too deeply at `{name}`"));
        }
        self.stack.borrow_mut().push(key);
        let r = f();
        self.stack.borrow_mut().pop();
        r
    }

    // ----- types by value -------------------------------------------------------------

    /// The layout of `ty` written in `sc`.
    pub fn layout_of(&self, sc: &Scope, ty: &Type, depth: usize) -> R<Layout> {
        if depth > MAX_DEPTH {
            return unknown("type nested too deeply");
        }
        let d = depth + 1;
        match ty {
            Type::Paren(p) => self.layout_of(sc, &p.elem, d),
            Type::Group(g) => self.layout_of(sc, &g.elem, d),
            Type::Tuple(t) => {
                let mut fields = Vec::with_capacity(t.elems.len());
                for e in &t.elems {
                    fields.push(self.layout_of(sc, e, d)?);
                }
                if fields.is_empty() {
                    return Ok(Layout::plain(0, 1));
                }
                lay::univariant(&fields, ReprOpts::default(), Kind::MaybeUnsized, self.bound)
                    .map(|p| p.layout)
                    .map_err(|_| self.too_big("tuple"))
            }
            Type::Array(a) => {
                let elem = self.layout_of(sc, &a.elem, d)?;
                let n = self.eval_const(sc, &a.len, d)?;
                let n =
                    u128::try_from(n).map_err(|_| Why::Error("array length is negative".into()))?;
                if n > self.usize_max() {
                    return Err(Why::Error(format!(
                        "array length {n} does not fit `usize` on {}",
                        self.row.short
                    )));
                }
                lay::array(elem, n, self.bound).map_err(|_| self.too_big(&format!("`[_; {n}]`")))
            }
            Type::Reference(r) => Ok(self.ptr(self.pointee(sc, &r.elem, d)?, true)),
            Type::Ptr(p) => Ok(self.ptr(self.pointee(sc, &p.elem, d)?, false)),
            Type::BareFn(_) => Ok(self.ptr(Ptr::Thin, true)),
            Type::Never(_) => unknown("the never type `!` is not laid out"),
            Type::Slice(_) | Type::TraitObject(_) => unknown("an unsized type has no size"),
            Type::ImplTrait(_) => unknown("`impl Trait` has no known layout"),
            Type::Macro(_) => unknown("a type written by a macro is not expanded"),
            Type::Path(tp) => {
                if tp.qself.is_some() {
                    return unknown("associated types are not resolved");
                }
                self.path_layout(sc, &tp.path, d)
            }
            _ => unknown("unsupported type syntax"),
        }
    }

    fn usize_max(&self) -> u128 {
        if self.p() == 4 {
            u128::from(u32::MAX)
        } else {
            u128::from(u64::MAX)
        }
    }

    fn path_layout(&self, sc: &Scope, path: &syn::Path, d: usize) -> R<Layout> {
        let last = path
            .segments
            .last()
            .ok_or_else(|| Why::Unknown("empty path".into()))?;
        if path.segments.len() == 1 && path.leading_colon.is_none() {
            let name = last.ident.to_string();
            if let Some(arg) = sc.param(&name) {
                return match arg {
                    Arg::Type(l, _) => l.clone(),
                    Arg::Const(_) => unknown(format!("`{name}` is a const parameter")),
                };
            }
            if name == "Self" {
                return match sc.self_struct {
                    Some(id) => self.struct_layout(id, &[], sc, d),
                    None => unknown("`Self` outside a struct"),
                };
            }
        }
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let res = self
            .ix
            .resolve(sc.module, &segs, path.leading_colon.is_some(), &self.t);
        let args = generic_args(&last.arguments);
        match res {
            None => unknown(format!("cannot resolve `{}`", segs.join("::"))),
            Some(Res::Struct(id)) => self.struct_layout(id, &args, sc, d),
            Some(Res::Union(id)) => self.union_layout(id, &args, sc, d),
            Some(Res::Enum(id)) => self.enum_layout(id, &args),
            Some(Res::Alias(id)) => self.alias_layout(id, &args, sc, d),
            Some(Res::Const(_)) | Some(Res::Module(_)) => {
                unknown(format!("`{}` is not a type", segs.join("::")))
            }
            Some(Res::Extern(p)) => self.extern_layout(&p, &args, sc, d),
        }
    }

    /// Binds `generics` to the written `args` (evaluated in the use site `sc`).
    fn bind(
        &self,
        generics: &syn::Generics,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Vec<(String, Arg)>> {
        let mut out = Vec::new();
        let mut it = args
            .iter()
            .filter(|a| !matches!(a, GenericArgument::Lifetime(_)));
        for p in &generics.params {
            match p {
                syn::GenericParam::Lifetime(_) => {}
                syn::GenericParam::Type(tp) => {
                    let name = tp.ident.to_string();
                    match it.next() {
                        Some(GenericArgument::Type(ty)) => {
                            let l = self.layout_of(sc, ty, d);
                            let ptr = self.pointee(sc, ty, d);
                            out.push((name, Arg::Type(l, ptr)));
                        }
                        Some(GenericArgument::Const(e)) => {
                            // `Foo<N>` parses as a type path; a const expression here is a
                            // type argument only if syn says so.
                            let _ = e;
                            return unknown("unexpected const argument");
                        }
                        Some(_) => return unknown("unsupported generic argument"),
                        None => {
                            return unknown(format!(
                                "default for parameter `{name}` is not evaluated"
                            ));
                        }
                    }
                }
                syn::GenericParam::Const(cp) => {
                    let name = cp.ident.to_string();
                    let v = match it.next() {
                        Some(GenericArgument::Const(e)) => self.eval_const(sc, e, d),
                        Some(GenericArgument::Type(Type::Path(tp))) if tp.qself.is_none() => {
                            let e = Expr::Path(syn::ExprPath {
                                attrs: Vec::new(),
                                qself: None,
                                path: tp.path.clone(),
                            });
                            self.eval_const(sc, &e, d)
                        }
                        _ => unknown(format!("const parameter `{name}` has no value")),
                    };
                    out.push((name, Arg::Const(v)));
                }
            }
        }
        Ok(out)
    }

    /// The generic parameters of an item, unbound (the item's own definition).
    fn unbound(&self, generics: &syn::Generics) -> Vec<(String, Arg)> {
        let mut out = Vec::new();
        for p in &generics.params {
            match p {
                syn::GenericParam::Type(tp) => {
                    let name = tp.ident.to_string();
                    let ptr = if maybe_unsized(generics, &tp.ident, &tp.bounds) {
                        unknown(format!("`{name}` may be unsized"))
                    } else {
                        Ok(Ptr::Thin)
                    };
                    out.push((
                        name.clone(),
                        Arg::Type(
                            unknown(format!("generic parameter `{name}` is used by value")),
                            ptr,
                        ),
                    ));
                }
                syn::GenericParam::Const(cp) => {
                    let name = cp.ident.to_string();
                    out.push((
                        name.clone(),
                        Arg::Const(unknown(format!("const parameter `{name}`"))),
                    ));
                }
                syn::GenericParam::Lifetime(_) => {}
            }
        }
        out
    }

    fn struct_layout(
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
            self.bind(&s.item.generics, args, sc, d)?
        };
        let key = ('s', id, args_key(&params));
        if let Some(r) = self.memo.borrow().get(&key) {
            return r.clone();
        }
        let name = s.item.ident.to_string();
        let r = self.guarded(('s', id), &name, || {
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
        let key = (id, args_key(&params));
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
        let _ = self.guarded(('s', id), &name, || {
            out = Some(self.struct_detail(id, params.clone()));
            Ok(())
        });
        out.unwrap_or_else(|| self.struct_detail(id, params))
    }

    fn compute_struct(&self, id: usize, params: Vec<(String, Arg)>) -> StructOut {
        let s = &self.ix.structs[id];
        let mut attr_errors = Vec::new();
        let ct = self.ix.crate_cfg(s.module, &self.t);
        let uncertain = match self.ix.cfg.presence(&s.item.attrs, ct) {
            crate::cfg::Tri::Unknown(r) => Some(r),
            _ => None,
        };
        let attrs = match self.ix.cfg.active(&s.item.attrs, ct) {
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
        let mut fields = Vec::new();
        let mut last_ty = None;
        for (i, f) in s.item.fields.iter().enumerate() {
            let field_unknown = match self.ix.cfg.presence(&f.attrs, ct) {
                crate::cfg::Tri::Unknown(r) => Some(r),
                _ => None,
            };
            let fattrs = match self.ix.cfg.active(&f.attrs, ct) {
                Ok(Some(a)) => a,
                Ok(None) if field_unknown.is_some() => Vec::new(),
                Ok(None) => continue,
                Err(e) => {
                    attr_errors.push(syn_err(&e));
                    continue;
                }
            };
            let name = match &f.ident {
                Some(id) => id.to_string(),
                None => fields.len().to_string(),
            };
            let _ = i;
            let start = match &f.ident {
                Some(id) => id.span().start(),
                None => syn::spanned::Spanned::span(&f.ty).start(),
            };
            last_ty = Some(&f.ty);
            fields.push(FieldOut {
                name,
                ty: type_string(&f.ty),
                line: start.line,
                column: start.column + 1,
                layout: match &field_unknown {
                    Some(r) => Err(Why::Unknown(format!("the field may be absent: {r}"))),
                    None => self.layout_of(&sc, &f.ty, 0),
                },
                attrs: fattrs,
                kind: field_kind(&f.ty),
            });
        }
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

    fn union_layout(
        &self,
        id: usize,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let u = &self.ix.unions[id];
        let params = self.bind(&u.item.generics, args, sc, d)?;
        let name = u.item.ident.to_string();
        self.guarded(('u', id), &name, || {
            let repr = self.active_repr(&u.item.attrs, "union", &name)?;
            let inner = Scope {
                module: u.module,
                params,
                self_struct: None,
            };
            let mut fields = Vec::new();
            for f in &u.item.fields.named {
                if self
                    .ix
                    .cfg
                    .active(&f.attrs, &self.t)
                    .map_err(|e| Why::Error(e.to_string()))?
                    .is_some()
                {
                    fields.push(self.layout_of(&inner, &f.ty, d)?);
                }
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

    fn alias_layout(
        &self,
        id: usize,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let a = &self.ix.aliases[id];
        let params = self.bind(&a.item.generics, args, sc, d)?;
        let name = a.item.ident.to_string();
        self.guarded(('a', id), &name, || {
            let inner = Scope {
                module: a.module,
                params,
                self_struct: None,
            };
            self.layout_of(&inner, &a.item.ty, d)
        })
    }

    /// A field-less enum: a tag just wide enough for its discriminants (or its
    /// `repr(int)`/`repr(C)`), with the values outside their range as niche.
    fn enum_layout(&self, id: usize, args: &[&GenericArgument]) -> R<Layout> {
        let e = &self.ix.enums[id];
        let name = e.item.ident.to_string();
        if !e.item.generics.params.is_empty() || !args.is_empty() {
            return unknown(format!("generic enum `{name}`"));
        }
        let key = ('e', id, String::new());
        if let Some(r) = self.memo.borrow().get(&key) {
            return r.clone();
        }
        let r = self.guarded(('e', id), &name, || self.compute_enum(id));
        self.memo.borrow_mut().insert(key, r.clone());
        r
    }

    /// The `#[repr]` of a union or enum on this target, after `cfg_attr`; any error in
    /// it makes the type's layout an error.
    fn active_repr(
        &self,
        attrs: &[syn::Attribute],
        what: &str,
        name: &str,
    ) -> R<layout_syntax::Repr> {
        let attrs = self
            .ix
            .cfg
            .active(attrs, &self.t)
            .map_err(|e| Why::Error(e.to_string()))?
            .unwrap_or_default();
        let cx = layout_syntax::Ctxt::new();
        let repr = layout_syntax::parse_repr(&cx, &attrs);
        if !cx.is_empty() {
            return Err(Why::Error(format!("bad `repr` on {what} `{name}`")));
        }
        Ok(repr)
    }

    fn compute_enum(&self, id: usize) -> R<Layout> {
        let e = &self.ix.enums[id];
        let name = e.item.ident.to_string();
        let repr = self.active_repr(&e.item.attrs, "enum", &name)?;
        let sc = Scope {
            module: e.module,
            ..Scope::default()
        };
        let mut discr: Vec<i128> = Vec::new();
        let mut next = 0i128;
        for v in &e.item.variants {
            if self
                .ix
                .cfg
                .active(&v.attrs, &self.t)
                .map_err(|x| Why::Error(x.to_string()))?
                .is_none()
            {
                continue;
            }
            if !v.fields.is_empty() {
                return unknown(format!("enum `{name}` has variants with fields"));
            }
            let val = match &v.discriminant {
                Some((_, ex)) => self.eval_const(&sc, ex, 1)?,
                None => next,
            };
            discr.push(val);
            next = val
                .checked_add(1)
                .ok_or_else(|| Why::Error("discriminant overflows".into()))?;
        }
        if discr.is_empty() {
            return unknown(format!("enum `{name}` has no variants"));
        }
        let min = *discr.iter().min().unwrap_or(&0);
        let max = *discr.iter().max().unwrap_or(&0);
        let c = repr.kind == layout_syntax::ReprKind::C;
        if let Some(int) = &repr.int
            && let Some((lo, hi)) = self.int_range(&int.to_string())
            && (min < lo || max > hi)
        {
            return Err(Why::Error(format!(
                "discriminants of `{name}` do not fit `{int}`"
            )));
        }
        let size = if let Some(int) = &repr.int {
            match int.to_string().as_str() {
                "u8" | "i8" => 1,
                "u16" | "i16" => 2,
                "u32" | "i32" => 4,
                "u64" | "i64" => 8,
                "u128" | "i128" => 16,
                _ => self.p(),
            }
        } else if discr.len() == 1 && !c {
            0
        } else {
            let fits = |bytes: u32| {
                let bits = bytes * 8;
                if min >= 0 {
                    bits >= 128 || max < (1i128 << bits)
                } else {
                    bits >= 128 || (min >= -(1i128 << (bits - 1)) && max < (1i128 << (bits - 1)))
                }
            };
            let floor = if c { 4 } else { 1 };
            [1u32, 2, 4, 8, 16]
                .into_iter()
                .find(|&b| b >= floor && fits(b))
                .map_or(16, u64::from)
        };
        let mut l = if size == 0 {
            Layout::plain(0, 1)
        } else {
            let does_not_fit = || {
                Why::Error(format!(
                    "discriminants of `{name}` do not fit its representation"
                ))
            };
            let span = max
                .checked_sub(min)
                .and_then(|d| u128::try_from(d).ok())
                .and_then(|d| d.checked_add(1))
                .ok_or_else(does_not_fit)?;
            let avail = if size >= 16 {
                (u128::MAX - span).checked_add(1).ok_or_else(does_not_fit)?
            } else {
                (1u128 << (size * 8))
                    .checked_sub(span)
                    .ok_or_else(does_not_fit)?
            };
            let mut l = self.int(size);
            l.niche = Niche::scalar(size, avail);
            l
        };
        if let Some(a) = repr.align {
            l.over = Over::Direct;
            l.align = l.align.max(a.value);
            l.size = lay::align_up(l.size, l.align).ok_or_else(|| self.too_big("enum"))?;
        }
        Ok(l)
    }

    // ----- std and other crates -------------------------------------------------------

    fn extern_layout(
        &self,
        path: &[String],
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let Some(name) = known_extern_name(path) else {
            return unknown(format!(
                "type `{}` is not defined in this crate",
                path.join("::")
            ));
        };
        let l = self.extern_match(path, name, args, sc, d)?;
        let direct = name.starts_with("Atomic") || name == "CachePadded";
        Ok(if direct {
            l
        } else {
            Layout {
                over: l.over.wrapped(),
                ..l
            }
        })
    }

    fn extern_match(
        &self,
        path: &[String],
        name: &str,
        args: &[&GenericArgument],
        sc: &Scope,
        d: usize,
    ) -> R<Layout> {
        let ty = |i: usize| -> R<&Type> {
            args.iter()
                .filter_map(|a| match a {
                    GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .nth(i)
                .ok_or_else(|| Why::Unknown(format!("`{name}` without its type argument")))
        };
        let val = |i: usize| -> R<Layout> { self.layout_of(sc, ty(i)?, d) };
        let pointee = |i: usize| -> R<Ptr> { self.pointee(sc, ty(i)?, d) };
        let p = self.p();
        let a64 = self.a64();
        let std = || {
            self.std.ok_or_else(|| {
                Why::Unknown(format!(
                    "std's `{name}` is not tabulated for {}",
                    self.row.os
                ))
            })
        };
        let no_extra = |n: usize| -> R<()> {
            let count = args
                .iter()
                .filter(|a| matches!(a, GenericArgument::Type(_)))
                .count();
            if count > n {
                unknown(format!(
                    "`{name}` with a custom allocator or extra parameter"
                ))
            } else {
                Ok(())
            }
        };
        Ok(match name {
            "u8" | "i8" => Layout::plain(1, 1),
            "u16" | "i16" => Layout::plain(2, 2),
            "u32" | "i32" | "f32" => Layout::plain(4, 4),
            "u64" | "i64" | "f64" => Layout::plain(8, a64),
            "u128" | "i128" => Layout::plain(16, self.a128()),
            "usize" | "isize" => Layout::plain(p, p),
            "bool" => Layout::scalar_niche(1, 1, 254),
            "char" => Layout::scalar_niche(4, 4, (1u128 << 32) - 0x11_0000),
            "str" => return unknown("`str` is unsized"),
            "c_char" | "c_schar" | "c_uchar" => Layout::plain(1, 1),
            "c_short" | "c_ushort" => Layout::plain(2, 2),
            "c_int" | "c_uint" | "c_float" => Layout::plain(4, 4),
            "c_long" | "c_ulong" => {
                let s = self.row.c_long as u64;
                Layout::plain(s, lay::int_align(s, a64, self.a128()))
            }
            "c_longlong" | "c_ulonglong" | "c_double" => Layout::plain(8, a64),
            "NonZeroU8" | "NonZeroI8" => Layout::scalar_niche(1, 1, 1),
            "NonZeroU16" | "NonZeroI16" => Layout::scalar_niche(2, 2, 1),
            "NonZeroU32" | "NonZeroI32" => Layout::scalar_niche(4, 4, 1),
            "NonZeroU64" | "NonZeroI64" => Layout::scalar_niche(8, a64, 1),
            "NonZeroU128" | "NonZeroI128" => Layout::scalar_niche(16, self.a128(), 1),
            "NonZeroUsize" | "NonZeroIsize" => Layout::scalar_niche(p, p, 1),
            "NonZero" => {
                let inner = val(0)?;
                if inner.niche.is_some() || inner.size == 0 {
                    return unknown("`NonZero` of a non-integer");
                }
                Layout::scalar_niche(inner.size, inner.align, 1)
            }
            // Atomics are `#[repr(C, align(N))]`: `AtomicU64` is 8-aligned even where
            // `u64` is not.
            "AtomicBool" | "AtomicU8" | "AtomicI8" => direct(Layout::plain(1, 1)),
            "AtomicU16" | "AtomicI16" => direct(Layout::plain(2, 2)),
            "AtomicU32" | "AtomicI32" => direct(Layout::plain(4, 4)),
            "AtomicU64" | "AtomicI64" => direct(Layout::plain(8, 8)),
            "AtomicUsize" | "AtomicIsize" | "AtomicPtr" => direct(Layout::plain(p, p)),
            "PhantomData" | "PhantomPinned" => Layout::plain(0, 1),
            "Cell" | "UnsafeCell" | "SyncUnsafeCell" => val(0)?.without_niche(),
            "MaybeUninit" => val(0)?.without_niche(),
            "ManuallyDrop" | "Wrapping" | "Saturating" | "Reverse" | "AssertUnwindSafe" => val(0)?,
            "Pin" => val(0)?,
            "RefCell" => {
                let borrow = Layout::plain(p, p);
                lay::univariant(
                    &[borrow, val(0)?.without_niche()],
                    ReprOpts::default(),
                    Kind::MaybeUnsized,
                    self.bound,
                )
                .map_err(|_| self.too_big("`RefCell`"))?
                .layout
                .without_niche()
            }
            "OnceCell" => self.option(val(0)?)?.without_niche(),
            "Option" => self.option(val(0)?)?,
            "Box" | "Rc" | "Arc" | "Weak" => {
                no_extra(1)?;
                self.ptr(pointee(0)?, true)
            }
            "NonNull" => self.ptr(pointee(0)?, true),
            "Vec" | "BinaryHeap" => {
                no_extra(1)?;
                stdt::vec(self.row)
            }
            // `Thread { inner: Pin<Arc<Inner>> }`: one non-null pointer.
            "Thread" => self.ptr(Ptr::Thin, true),
            "String" | "OsString" | "PathBuf" => {
                let v = stdt::vec(self.row);
                if name != "String" && std()?.wtf8 {
                    lay::univariant(
                        &[v, Layout::scalar_niche(1, 1, 254)],
                        ReprOpts::default(),
                        Kind::AlwaysSized,
                        self.bound,
                    )
                    .map_err(|_| self.too_big("`OsString`"))?
                    .layout
                } else {
                    v
                }
            }
            "CString" => self.ptr(Ptr::Fat, true),
            "VecDeque" => {
                no_extra(1)?;
                let v = stdt::vec(self.row);
                let word = Layout::plain(p, p);
                lay::univariant(
                    &[word, word, Layout { size: 2 * p, ..v }],
                    ReprOpts::default(),
                    Kind::AlwaysSized,
                    self.bound,
                )
                .map_err(|_| self.too_big("`VecDeque`"))?
                .layout
            }
            "HashMap" | "HashSet" => {
                let hasher_index = if name == "HashMap" { 2 } else { 1 };
                let hasher = match ty(hasher_index) {
                    Ok(h) => self.layout_of(sc, h, d)?,
                    Err(_) => stdt::random_state(self.row),
                };
                stdt::hash_map(self.row, hasher, self.bound)
                    .ok_or_else(|| self.too_big("`HashMap`"))?
            }
            "RandomState" => stdt::random_state(self.row),
            // `BuildHasherDefault<H>(PhantomData<fn() -> H>)`.
            "BuildHasherDefault" => Layout::plain(0, 1),
            "BTreeMap" | "BTreeSet" => {
                no_extra(if name == "BTreeMap" { 2 } else { 1 })?;
                Layout::plain(3 * p, p)
            }
            "Duration" => stdt::timespec(self.row, self.bound),
            "Instant" => stdt::timespec(self.row, self.bound),
            "SystemTime" => std()?
                .system_time
                .unwrap_or(stdt::timespec(self.row, self.bound)),
            "Mutex" | "RwLock" => {
                let f = std()?;
                let raw = if name == "Mutex" {
                    f.raw_mutex
                } else {
                    f.raw_rwlock
                };
                stdt::poisoned_lock(raw, val(0)?, self.bound)
                    .ok_or_else(|| self.too_big(&format!("`{name}`")))?
                    .layout
            }
            "Condvar" => std()?.condvar,
            // `OnceLock<T> { once: Once, value: UnsafeCell<MaybeUninit<T>>, _marker }`.
            "OnceLock" => {
                let fields = [std()?.once, val(0)?.without_niche(), Layout::plain(0, 1)];
                lay::univariant(&fields, ReprOpts::default(), Kind::AlwaysSized, self.bound)
                    .map_err(|_| self.too_big("`OnceLock`"))?
                    .layout
            }
            "Once" => std()?.once,
            "CachePadded" => {
                let inner = val(0)?;
                let a = stdt::cache_padded_align(self.row.arch).max(inner.align);
                Layout {
                    size: lay::align_up(inner.size, a)
                        .ok_or_else(|| self.too_big("`CachePadded`"))?,
                    align: a,
                    niche: inner.niche,
                    over: Over::Direct,
                }
            }
            _ => return unknown(format!("type `{}` is not modelled", path.join("::"))),
        })
    }

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
                let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
                match self
                    .ix
                    .resolve(sc.module, &segs, path.leading_colon.is_some(), &self.t)
                {
                    Some(Res::Struct(id)) => {
                        if self.ix.structs[id].item.generics.params.is_empty() {
                            self.struct_pointee(id, d)
                        } else {
                            // Sized unless its last field is a `?Sized` parameter.
                            match self.struct_pointee(id, d) {
                                Ok(p) => Ok(p),
                                Err(_) => {
                                    unknown(format!("whether `{}` is sized", segs.join("::")))
                                }
                            }
                        }
                    }
                    Some(Res::Enum(_)) | Some(Res::Union(_)) => Ok(Ptr::Thin),
                    Some(Res::Alias(id)) => {
                        let a = &self.ix.aliases[id];
                        if !a.item.generics.params.is_empty() {
                            return unknown("generic type alias behind a pointer");
                        }
                        let inner = Scope {
                            module: a.module,
                            ..Scope::default()
                        };
                        self.guarded(('A', id), &a.item.ident.to_string(), || {
                            self.pointee(&inner, &a.item.ty, d + 1)
                        })
                    }
                    Some(Res::Extern(p)) => match known_extern_name(&p) {
                        Some("str") => Ok(Ptr::Fat),
                        Some("Path" | "OsStr" | "CStr") => Ok(Ptr::Fat),
                        Some("c_void") => Ok(Ptr::Thin),
                        Some(_) => Ok(Ptr::Thin),
                        None => unknown(format!("whether `{}` is sized", p.join("::"))),
                    },
                    _ => unknown(format!("cannot resolve `{}`", segs.join("::"))),
                }
            }
            _ => unknown("whether the pointee is sized"),
        }
    }

    fn struct_pointee(&self, id: usize, d: usize) -> R<Ptr> {
        let s = &self.ix.structs[id];
        let sc = Scope {
            module: s.module,
            params: self.unbound(&s.item.generics),
            self_struct: Some(id),
        };
        let last = s.item.fields.iter().rev().find(|f| {
            self.ix
                .cfg
                .enabled(&f.attrs, self.ix.crate_cfg(s.module, &self.t))
        });
        match last {
            None => Ok(Ptr::Thin),
            Some(f) => self.guarded(('p', id), &s.item.ident.to_string(), || {
                self.pointee(&sc, &f.ty, d + 1)
            }),
        }
    }

    // ----- constants --------------------------------------------------------------------

    /// Evaluates an integer constant expression (array lengths, discriminants).
    pub fn eval_const(&self, sc: &Scope, e: &Expr, d: usize) -> R<i128> {
        if d > MAX_DEPTH {
            return unknown("constant nested too deeply");
        }
        let d = d + 1;
        let overflow = || Why::Error("size overflows: constant arithmetic overflows".into());
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Int(i) => i
                    .base10_parse::<u128>()
                    .ok()
                    .and_then(|v| i128::try_from(v).ok())
                    .ok_or_else(overflow),
                _ => unknown("not an integer constant"),
            },
            Expr::Paren(p) => self.eval_const(sc, &p.expr, d),
            Expr::Group(g) => self.eval_const(sc, &g.expr, d),
            Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
                syn::Stmt::Expr(e, None) => self.eval_const(sc, e, d),
                _ => unknown("block constant"),
            },
            Expr::Unary(u) => {
                let v = self.eval_const(sc, &u.expr, d)?;
                match u.op {
                    syn::UnOp::Neg(_) => v.checked_neg().ok_or_else(overflow),
                    _ => unknown("unsupported unary operator in a constant"),
                }
            }
            Expr::Cast(c) => {
                let v = self.eval_const(sc, &c.expr, d)?;
                let target = type_string(&c.ty);
                let (lo, hi) = self
                    .int_range(&target)
                    .ok_or_else(|| Why::Unknown(format!("cast to `{target}`")))?;
                if v < lo || v > hi {
                    return unknown("a cast that truncates");
                }
                Ok(v)
            }
            Expr::Binary(b) => {
                use syn::BinOp::*;
                let l = self.eval_const(sc, &b.left, d)?;
                let r = self.eval_const(sc, &b.right, d)?;
                let v = match b.op {
                    Add(_) => l.checked_add(r),
                    Sub(_) => l.checked_sub(r),
                    Mul(_) => l.checked_mul(r),
                    Div(_) => l.checked_div(r),
                    Rem(_) => l.checked_rem(r),
                    Shl(_) => u32::try_from(r)
                        .ok()
                        .filter(|&s| s < 127)
                        .and_then(|s| l.checked_mul(1i128 << s)),
                    Shr(_) => u32::try_from(r).ok().filter(|&s| s < 127).map(|s| l >> s),
                    BitAnd(_) => Some(l & r),
                    BitOr(_) => Some(l | r),
                    BitXor(_) => Some(l ^ r),
                    _ => return unknown("unsupported operator in a constant"),
                };
                v.ok_or_else(overflow)
            }
            Expr::Path(p) if p.qself.is_none() => {
                let path = &p.path;
                if path.segments.len() == 1 {
                    let name = path.segments[0].ident.to_string();
                    if let Some(a) = sc.param(&name) {
                        return match a {
                            Arg::Const(v) => v.clone(),
                            Arg::Type(..) => unknown(format!("`{name}` is a type")),
                        };
                    }
                }
                let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
                match self
                    .ix
                    .resolve(sc.module, &segs, path.leading_colon.is_some(), &self.t)
                {
                    Some(Res::Const(id)) => self.const_value(id, d),
                    Some(Res::Extern(p)) => {
                        let n = p.len();
                        if n >= 2 && matches!(p[n - 1].as_str(), "MAX" | "MIN" | "BITS") {
                            let ty = &p[n - 2];
                            let (lo, hi) = self.int_range(ty).ok_or_else(|| {
                                Why::Unknown(format!("constant `{}`", p.join("::")))
                            })?;
                            return Ok(match p[n - 1].as_str() {
                                "MAX" => hi,
                                "MIN" => lo,
                                _ => {
                                    let bits = (hi - lo + 1).ilog2();
                                    i128::from(bits)
                                }
                            });
                        }
                        unknown(format!(
                            "constant `{}` is not from this crate",
                            p.join("::")
                        ))
                    }
                    _ => unknown(format!("cannot resolve constant `{}`", segs.join("::"))),
                }
            }
            Expr::Call(c) if c.args.is_empty() => {
                let Expr::Path(f) = &*c.func else {
                    return unknown("function call in a constant");
                };
                let Some(last) = f.path.segments.last() else {
                    return unknown("function call in a constant");
                };
                let fname = last.ident.to_string();
                let head_ok = f.path.segments.len() == 1
                    || f.path.segments.first().is_some_and(|s| {
                        matches!(s.ident.to_string().as_str(), "std" | "core" | "mem")
                    });
                if !head_ok || !matches!(fname.as_str(), "size_of" | "align_of") {
                    return unknown("function call in a constant");
                }
                let args = generic_args(&last.arguments);
                let Some(GenericArgument::Type(t)) = args.first() else {
                    return unknown("`size_of` without a type");
                };
                let l = self.layout_of(sc, t, d)?;
                Ok(i128::from(if fname == "size_of" {
                    l.size
                } else {
                    l.align
                }))
            }
            _ => unknown("constant expression not evaluated"),
        }
    }

    fn const_value(&self, id: usize, d: usize) -> R<i128> {
        if let Some(v) = self.consts.borrow().get(&id) {
            return v.clone();
        }
        let c = &self.ix.consts[id];
        let sc = Scope {
            module: c.module,
            ..Scope::default()
        };
        let v = self.guarded(('c', id), &c.item.ident.to_string(), || {
            let v = self.eval_const(&sc, &c.item.expr, d)?;
            let ty = type_string(&c.item.ty);
            let (lo, hi) = self
                .int_range(&ty)
                .ok_or_else(|| Why::Unknown(format!("constant of type `{ty}`")))?;
            if v < lo || v > hi {
                return Err(Why::Error(format!(
                    "constant `{}` overflows `{ty}`",
                    c.item.ident
                )));
            }
            Ok(v)
        });
        self.consts.borrow_mut().insert(id, v.clone());
        v
    }

    fn int_range(&self, ty: &str) -> Option<(i128, i128)> {
        let bits: u32 = match ty {
            "u8" | "i8" => 8,
            "u16" | "i16" => 16,
            "u32" | "i32" => 32,
            "u64" | "i64" => 64,
            "usize" | "isize" => 8 * self.row.pointer_size as u32,
            _ => return None,
        };
        Some(if ty.starts_with('u') {
            (0, (1i128 << bits) - 1)
        } else {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        })
    }
}

/// A struct's [`Over`]: `Direct` if a present field's declared type is a path (not a
/// generic parameter, array or tuple) to a `Direct` type, else `Nested` if any field holds
/// one at all.
fn field_over(fields: &[FieldOut], item: &syn::ItemStruct, sc: &Scope) -> Over {
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

fn direct(l: Layout) -> Layout {
    Layout {
        over: Over::Direct,
        ..l
    }
}

/// The name of a type outside the crate the engine knows, keyed by its last segment:
/// primitives and prelude types by their bare name, std/core/alloc types under any
/// module path, crossbeam's `CachePadded`.
pub fn known_extern_name(p: &[String]) -> Option<&str> {
    let last = p.last()?.as_str();
    let head = p.first()?.as_str();
    // The prelude's type names, less `Result` (an enum with fields: not modelled).
    let prelude = last != "Result" && crate::index::is_prelude(last);
    if p.len() == 1 {
        return prelude.then_some(last);
    }
    match head {
        "std" | "core" | "alloc" => Some(last),
        "crossbeam_utils" if last == "CachePadded" => Some(last),
        "crossbeam" if p.get(1).is_some_and(|s| s == "utils") && last == "CachePadded" => {
            Some(last)
        }
        _ => None,
    }
}

fn generic_args(a: &PathArguments) -> Vec<&GenericArgument> {
    match a {
        PathArguments::AngleBracketed(ab) => ab.args.iter().collect(),
        _ => Vec::new(),
    }
}

fn maybe_unsized(
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

fn syn_err(e: &syn::Error) -> (usize, usize, String) {
    let s = e.span().start();
    (s.line.max(1), s.column + 1, e.to_string())
}

/// What a field holds, for the `possible-false-sharing` heuristic: looks through arrays,
/// `CachePadded`, `Arc`-less wrappers; by the type's name.
pub fn field_kind(ty: &Type) -> FieldKind {
    match ty {
        Type::Array(a) => field_kind(&a.elem),
        Type::Paren(p) => field_kind(&p.elem),
        Type::Group(g) => field_kind(&g.elem),
        Type::Path(tp) => {
            let Some(last) = tp.path.segments.last() else {
                return FieldKind::Plain;
            };
            let name = last.ident.to_string();
            if matches!(name.as_str(), "CachePadded" | "ManuallyDrop" | "Wrapping")
                && let Some(GenericArgument::Type(inner)) = generic_args(&last.arguments).first()
            {
                return field_kind(inner);
            }
            if name.starts_with("Atomic") {
                FieldKind::Atomic
            } else if matches!(
                name.as_str(),
                "Mutex"
                    | "RwLock"
                    | "Condvar"
                    | "Once"
                    | "OnceLock"
                    | "ReentrantMutex"
                    | "SpinLock"
                    | "Spinlock"
                    | "FairMutex"
                    | "Semaphore"
                    | "Barrier"
            ) {
                FieldKind::Lock
            } else if matches!(
                name.as_str(),
                "Cell" | "UnsafeCell" | "RefCell" | "OnceCell" | "SyncUnsafeCell"
            ) {
                FieldKind::Cell
            } else {
                FieldKind::Plain
            }
        }
        _ => FieldKind::Plain,
    }
}

/// A type printed the way people write it: `Option<Box<[u8; 4]>>`, `&'a mut T`,
/// `dyn Fn(u8) -> u8 + Send`.
pub fn type_string(ty: &Type) -> String {
    tokens_string(quote::ToTokens::to_token_stream(ty))
}

/// Tokens printed with the spacing of [`type_string`].
pub fn tokens_string(ts: proc_macro2::TokenStream) -> String {
    let mut out = String::new();
    print_tokens(ts, &mut out, &mut false, 0);
    out
}

fn print_tokens(
    ts: proc_macro2::TokenStream,
    out: &mut String,
    prev_word: &mut bool,
    depth: usize,
) {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    if depth > 64 {
        out.push('…');
        return;
    }
    let mut after_lifetime_quote = false;
    for tt in ts {
        match tt {
            TokenTree::Ident(i) => {
                if *prev_word && !after_lifetime_quote {
                    out.push(' ');
                }
                out.push_str(&i.to_string());
                *prev_word = true;
                after_lifetime_quote = false;
            }
            TokenTree::Literal(l) => {
                if *prev_word {
                    out.push(' ');
                }
                out.push_str(&l.to_string());
                *prev_word = true;
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                match c {
                    ',' | ';' => {
                        out.push(c);
                        out.push(' ');
                        *prev_word = false;
                    }
                    '+' => {
                        out.push_str(" + ");
                        *prev_word = false;
                    }
                    '=' if p.spacing() == Spacing::Alone
                        && !out.ends_with(['=', '!', '<', '>']) =>
                    {
                        out.push_str(" = ");
                        *prev_word = false;
                    }
                    '-' if p.spacing() == Spacing::Joint => {
                        out.push_str(" -");
                        *prev_word = false;
                    }
                    '>' if out.ends_with(" -") => {
                        out.push_str("> ");
                        *prev_word = false;
                    }
                    '\'' => {
                        if *prev_word {
                            out.push(' ');
                        }
                        out.push(c);
                        after_lifetime_quote = true;
                        *prev_word = false;
                    }
                    _ => {
                        out.push(c);
                        *prev_word = false;
                    }
                }
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                if *prev_word && g.delimiter() == Delimiter::Brace {
                    out.push(' ');
                }
                out.push_str(open);
                let mut inner_prev = false;
                print_tokens(g.stream(), out, &mut inner_prev, depth + 1);
                while out.ends_with(' ') && !close.is_empty() {
                    out.pop();
                }
                out.push_str(close);
                *prev_word = g.delimiter() == Delimiter::None && inner_prev;
            }
        }
    }
    while out.ends_with(' ') && depth == 0 {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_strings() {
        let t = |s: &str| type_string(&syn::parse_str::<Type>(s).unwrap());
        assert_eq!(t("Option < Box < [ u8 ; 4 ] > >"), "Option<Box<[u8; 4]>>");
        assert_eq!(t("&'a mut T"), "&'a mut T");
        assert_eq!(t("*const u8"), "*const u8");
        assert_eq!(
            t("Box<dyn Fn(u8) -> u8 + Send>"),
            "Box<dyn Fn(u8) -> u8 + Send>"
        );
        assert_eq!(t("(u8, u16)"), "(u8, u16)");
        assert_eq!(t("std::sync::Mutex<()>"), "std::sync::Mutex<()>");
        assert_eq!(t("[u8; N * 2]"), "[u8; N*2]");
    }

    #[test]
    fn field_kinds() {
        let k = |s: &str| field_kind(&syn::parse_str::<Type>(s).unwrap());
        assert_eq!(k("AtomicU64"), FieldKind::Atomic);
        assert_eq!(
            k("CachePadded<std::sync::atomic::AtomicUsize>"),
            FieldKind::Atomic
        );
        assert_eq!(k("[AtomicBool; 4]"), FieldKind::Atomic);
        assert_eq!(k("parking_lot::Mutex<u8>"), FieldKind::Lock);
        assert_eq!(k("RefCell<u8>"), FieldKind::Cell);
        assert_eq!(k("u64"), FieldKind::Plain);
    }
}
