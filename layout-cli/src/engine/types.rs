//! Type layouts for one target: `syn::Type` in, [`Layout`] (or why not) out.
//!
//! Local items are found through the crate [`Index`]; std and crossbeam types through
//! [`super::std_types`]. Results for items are memoised per target. Recursion is
//! bounded twice: a struct that contains itself by value is reported as infinitely
//! sized (tracked with a stack of items being laid out), and any chain of nested types,
//! aliases or constants deeper than [`MAX_DEPTH`] is unknown instead of a stack
//! overflow.
//!
//! The engine is one [`Ctx`] per target, its methods split by responsibility:
//! path resolution and generic binding here, struct/union/enum/alias layouts in
//! `aggregate`, std and foreign types (a table keyed by path) in
//! [`super::std_types`], pointee sizedness in `pointee`, constant evaluation in
//! `consts`, type printing and field kinds in `display`.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;

use layout::target::TargetInfo;
use syn::{Expr, GenericArgument, PathArguments, Type};

pub use super::display::{field_kind, peeled, tokens_string, type_string};
use super::pointee::maybe_unsized;
pub use super::std_types::known_extern_name;

use super::layout::{self as lay, Kind, Layout, Niche, Over, ReprOpts};
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

pub(super) fn unknown<T>(msg: impl Into<String>) -> R<T> {
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
    pub(super) fn param(&self, name: &str) -> Option<&Arg> {
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
    pub(super) std: Option<stdt::StdFacts>,
    /// Layouts of items by value, keyed by the item and what its parameters are bound
    /// to (each argument's layout and pointee kind, so equal bindings share one entry).
    pub(super) memo: RefCell<HashMap<(Item, Params), R<Layout>>>,
    /// Struct details by struct and bound parameters, the same key.
    pub(super) details: RefCell<HashMap<(usize, Params), Rc<StructOut>>>,
    pub(super) consts: RefCell<HashMap<usize, R<i128>>>,
    pub(super) stack: RefCell<Vec<Item>>,
    /// Layouts of paths written where no generic parameter is in scope, by module and
    /// text.
    pub(super) paths: RefCell<HashMap<(ModId, String), R<Layout>>>,
    /// Rows of [`super::std_types::STD_DEFS`], parsed on first use.
    pub(super) std_items: RefCell<HashMap<usize, Rc<syn::Item>>>,
    /// What the crate's own structs hold, for the false-sharing heuristic, by struct.
    pub(super) kinds: RefCell<HashMap<usize, FieldKind>>,
}

/// An item being laid out (the cycle stack) or memoised (with its arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// A struct by value.
    Struct(usize),
    /// A union by value.
    Union(usize),
    /// An enum by value.
    Enum(usize),
    /// A type alias by value.
    Alias(usize),
    /// Whether a pointer to a type alias is thin or fat.
    AliasPointee(usize),
    /// Whether a pointer to a struct is thin or fat.
    StructPointee(usize),
    /// A constant's value.
    Const(usize),
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("target", &self.row.triple)
            .finish_non_exhaustive()
    }
}

/// Generic parameters bound to what they stand for, in declaration order: the key of
/// the item memos.
pub(super) type Params = Vec<(String, Arg)>;

/// The bound parameters as text, for callers that key by a string.
pub(super) fn args_key(params: &[(String, Arg)]) -> String {
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
            std_items: RefCell::default(),
            paths: RefCell::default(),
            kinds: RefCell::default(),
        }
    }

    /// The attributes of an item, field or variant written in `module` that are active
    /// on this target (after `cfg_attr`), or `None` when a `cfg` removes it. Every cfg
    /// evaluation of the engine goes through here and [`Ctx::cfg_enabled`].
    pub fn active_attrs(
        &self,
        attrs: &[syn::Attribute],
        module: ModId,
    ) -> Result<Option<Vec<syn::Attribute>>, syn::Error> {
        self.ix
            .cfg
            .active(attrs, self.ix.crate_cfg(module, &self.t))
    }

    /// Why it cannot be known whether an item written in `module` with these
    /// attributes exists, or what its attributes are (a cfg a build script may set);
    /// `None` when every cfg is known.
    pub fn cfg_unknown(&self, attrs: &[syn::Attribute], module: ModId) -> Option<String> {
        match self
            .ix
            .cfg
            .presence(attrs, self.ix.crate_cfg(module, &self.t))
        {
            crate::cfg::Tri::Unknown(r) => Some(r),
            _ => None,
        }
    }

    /// Whether an item, field or variant written in `module` is present on this target
    /// (a malformed `cfg` counts as absent; it is reported where the item is).
    pub fn cfg_enabled(&self, attrs: &[syn::Attribute], module: ModId) -> bool {
        self.ix
            .cfg
            .enabled(attrs, self.ix.crate_cfg(module, &self.t))
    }

    pub(super) fn p(&self) -> u64 {
        self.row.pointer_size as u64
    }

    pub(super) fn a64(&self) -> u64 {
        self.row.align_u64 as u64
    }

    pub(super) fn a128(&self) -> u64 {
        self.row.align_u128 as u64
    }

    pub(super) fn too_big(&self, what: &str) -> Why {
        Why::Error(format!(
            "size overflows: {what} is too big for {}",
            self.row.short
        ))
    }

    pub(super) fn option(&self, t: Layout) -> R<Layout> {
        lay::option(t, self.a64(), self.a128(), self.bound).map_err(|_| self.too_big("`Option`"))
    }

    pub(super) fn ptr(&self, kind: Ptr, nonnull: bool) -> Layout {
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

    /// Runs `f` with `(kind, id)` on the stack, or fails if it already is (a cycle).
    pub(super) fn guarded<T>(&self, key: Item, name: &str, f: impl FnOnce() -> R<T>) -> R<T> {
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
                // Without parameters in scope a path means the same wherever it is
                // written in one module: memoised by its text.
                if !sc.params.is_empty() {
                    return self.path_layout(sc, &tp.path, d);
                }
                let text = type_string(ty);
                if text
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "Self")
                {
                    return self.path_layout(sc, &tp.path, d);
                }
                let key = (sc.module, text);
                if let Some(r) = self.paths.borrow().get(&key) {
                    return r.clone();
                }
                let r = self.path_layout(sc, &tp.path, d);
                let cyclic = matches!(&r, Err(Why::Error(m)) if m.starts_with("recursive"))
                    || matches!(&r, Err(Why::Unknown(m)) if m.contains("nested too deeply"));
                if !cyclic {
                    self.paths.borrow_mut().insert(key, r.clone());
                }
                r
            }
            _ => unknown("unsupported type syntax"),
        }
    }

    pub(super) fn usize_max(&self) -> u128 {
        if self.p() == 4 {
            u128::from(u32::MAX)
        } else {
            u128::from(u64::MAX)
        }
    }

    pub(super) fn path_layout(&self, sc: &Scope, path: &syn::Path, d: usize) -> R<Layout> {
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
        let segs = path_segs(path);
        let res = self
            .ix
            .resolve(sc.module, &segs, path.leading_colon.is_some(), &self.t);
        let args = generic_args(&last.arguments);
        match res {
            None => unknown(format!("cannot resolve `{}`", segs.join("::"))),
            Some(Res::Struct(id)) => self.struct_layout(id, &args, sc, d),
            Some(Res::Union(id)) => self.union_layout(id, &args, sc, d),
            Some(Res::Enum(id)) => self.enum_layout(id, &args, sc, d),
            Some(Res::Alias(id)) => self.alias_layout(id, &args, sc, d),
            Some(Res::Const(_)) | Some(Res::Module(_)) | Some(Res::Trait(_)) => {
                unknown(format!("`{}` is not a type", segs.join("::")))
            }
            Some(Res::Extern(p)) => self.extern_layout(&p, &args, sc, d),
            Some(Res::Macro(mac)) => unknown(format!(
                "`{}` is declared by macro `{mac}!`, which is not expanded",
                segs.join("::")
            )),
        }
    }

    /// Binds `generics` to the written `args` (evaluated in the use site `sc`).
    /// Defaults (`T = u8`, `const N: usize = 4`) are evaluated in the definition's module
    /// `def`, with the parameters before them bound.
    pub(super) fn bind(
        &self,
        generics: &syn::Generics,
        args: &[&GenericArgument],
        sc: &Scope,
        def: ModId,
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
                            let Some(ty) = &tp.default else {
                                return unknown(format!("parameter `{name}` has no argument"));
                            };
                            let dsc = Scope {
                                module: def,
                                params: out.clone(),
                                self_struct: None,
                            };
                            let l = self.layout_of(&dsc, ty, d);
                            let ptr = self.pointee(&dsc, ty, d);
                            out.push((name, Arg::Type(l, ptr)));
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
                        None if cp.default.is_some() => {
                            let dsc = Scope {
                                module: def,
                                params: out.clone(),
                                self_struct: None,
                            };
                            match &cp.default {
                                Some(e) => self.eval_const(&dsc, e, d),
                                None => unknown(format!("const parameter `{name}` has no value")),
                            }
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
    pub(super) fn unbound(&self, generics: &syn::Generics) -> Vec<(String, Arg)> {
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
}

pub(super) fn generic_args(a: &PathArguments) -> Vec<&GenericArgument> {
    match a {
        PathArguments::AngleBracketed(ab) => ab.args.iter().collect(),
        _ => Vec::new(),
    }
}

pub(super) fn syn_err(e: &syn::Error) -> (usize, usize, String) {
    let s = e.span().start();
    (s.line.max(1), s.column + 1, e.to_string())
}

/// A path's segment names (`a::b::C<T>` -> `["a", "b", "C"]`), as the index resolves them.
pub(super) fn path_segs(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}
