//! Generic structs with the arguments the crate names them with (`Pair<u64>` in a field
//! type, `layout::verify::<Pair<u64>>()` in a function), so each instantiation can be
//! reported as an entry of its own.
//!
//! [`instantiations`] finds them on one target; [`Ctx::struct_instance`] lays one out
//! and returns the same [`StructOut`] as [`Ctx::struct_report`].

use std::collections::HashSet;
use std::rc::Rc;

use syn::visit::Visit;
use syn::{GenericArgument, PathArguments, Type};

use super::types::{Ctx, Item, Scope, StructOut, generic_args, type_string};
use crate::index::{ModId, Res};

/// A generic struct named with arguments.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Index into `Index::structs` of the generic struct.
    pub id: usize,
    /// The arguments as written (lifetimes included).
    pub args: Vec<GenericArgument>,
    /// The module the arguments are written in (their scope).
    pub module: ModId,
    /// The type as written there: `Pair<u64>`, `Buf<3>`.
    pub text: String,
    /// Index into `Index::files` of where it is named.
    pub file: usize,
    /// 1-based line where it is named.
    pub line: usize,
    /// 1-based column where it is named.
    pub column: usize,
}

/// The instantiations of the crate's generic structs named in field types (of structs,
/// enums and unions), type aliases and `verify::<T>()` calls, on `ctx`'s target; one
/// per struct and arguments (the first place it is named), arguments that mention a
/// generic parameter of the item they are written in left out. Instantiations named
/// only inside other function bodies are not found.
pub fn instantiations(ctx: &Ctx<'_>) -> Vec<Instance> {
    let ix = ctx.ix;
    let mut c = Collector {
        ctx,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    for s in &ix.structs {
        if !ctx.cfg_enabled(&s.item.attrs, s.module) {
            continue;
        }
        let params = param_names(&s.item.generics);
        for f in &s.item.fields {
            if ctx.cfg_enabled(&f.attrs, s.module) {
                c.ty(&f.ty, s.module, s.file, &params, 0);
            }
        }
    }
    for e in &ix.enums {
        let params = param_names(&e.item.generics);
        for v in &e.item.variants {
            for f in &v.fields {
                c.ty(&f.ty, e.module, e.file, &params, 0);
            }
        }
    }
    for u in &ix.unions {
        let params = param_names(&u.item.generics);
        for f in &u.item.fields.named {
            c.ty(&f.ty, u.module, u.file, &params, 0);
        }
    }
    for a in &ix.aliases {
        let params = param_names(&a.item.generics);
        c.ty(&a.item.ty, a.module, a.file, &params, 0);
    }
    for (fi, f) in ix.files.iter().enumerate() {
        let Some(root) = module_of(ctx, &f.module) else {
            continue;
        };
        let mut v = VerifyCalls {
            ctx,
            module: root,
            path: f.module.clone(),
            found: Vec::new(),
        };
        v.visit_file(&f.ast);
        for (ty, m) in v.found {
            c.ty(&ty, m, fi, &[], 0);
        }
    }
    c.out
}

fn module_of(ctx: &Ctx<'_>, path: &[String]) -> Option<ModId> {
    ctx.ix.modules.iter().position(|m| m.path == path)
}

fn param_names(g: &syn::Generics) -> Vec<String> {
    g.params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(t.ident.to_string()),
            syn::GenericParam::Const(c) => Some(c.ident.to_string()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// Whether `ty` names one of `params` (or `Self`) anywhere.
fn mentions(ty: &Type, params: &[String]) -> bool {
    struct M<'p> {
        params: &'p [String],
        hit: bool,
    }
    impl<'ast> Visit<'ast> for M<'_> {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if let Some(first) = p.segments.first() {
                let name = first.ident.to_string();
                if p.leading_colon.is_none() && (name == "Self" || self.params.contains(&name)) {
                    self.hit = true;
                }
            }
            syn::visit::visit_path(self, p);
        }
    }
    let mut m = M { params, hit: false };
    m.visit_type(ty);
    m.hit
}

struct Collector<'c, 'a> {
    ctx: &'c Ctx<'a>,
    seen: HashSet<(usize, String)>,
    out: Vec<Instance>,
}

impl Collector<'_, '_> {
    fn ty(&mut self, ty: &Type, module: ModId, file: usize, params: &[String], depth: usize) {
        if depth > super::types::MAX_DEPTH {
            return;
        }
        let d = depth + 1;
        match ty {
            Type::Paren(p) => self.ty(&p.elem, module, file, params, d),
            Type::Group(g) => self.ty(&g.elem, module, file, params, d),
            Type::Array(a) => self.ty(&a.elem, module, file, params, d),
            Type::Slice(s) => self.ty(&s.elem, module, file, params, d),
            Type::Reference(r) => self.ty(&r.elem, module, file, params, d),
            Type::Ptr(p) => self.ty(&p.elem, module, file, params, d),
            Type::Tuple(t) => {
                for e in &t.elems {
                    self.ty(e, module, file, params, d);
                }
            }
            Type::Path(tp) if tp.qself.is_none() => {
                let Some(last) = tp.path.segments.last() else {
                    return;
                };
                for a in generic_args(&last.arguments) {
                    if let GenericArgument::Type(t) = a {
                        self.ty(t, module, file, params, d);
                    }
                }
                let PathArguments::AngleBracketed(ab) = &last.arguments else {
                    return;
                };
                if mentions(ty, params) {
                    return;
                }
                let segs: Vec<String> = tp
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let res = self.ctx.ix.resolve(
                    module,
                    &segs,
                    tp.path.leading_colon.is_some(),
                    &self.ctx.t,
                );
                let Some(Res::Struct(id)) = res else {
                    return;
                };
                let s = &self.ctx.ix.structs[id];
                if s.item.generics.params.is_empty() {
                    return;
                }
                let args: Vec<GenericArgument> = ab.args.iter().cloned().collect();
                let key = (id, self.canonical(&args, module));
                if !self.seen.insert(key) {
                    return;
                }
                let pos = syn::spanned::Spanned::span(&tp.path).start();
                let args_text = type_string(ty);
                let name = s.item.ident.to_string();
                let text = match args_text.find('<') {
                    Some(i) => format!("{name}{}", &args_text[i..]),
                    None => name,
                };
                self.out.push(Instance {
                    id,
                    args,
                    module,
                    text,
                    file,
                    line: pos.line,
                    column: pos.column + 1,
                });
            }
            _ => {}
        }
    }

    /// The arguments with every path replaced by what it resolves to, so `Pair<Foo>`
    /// written in two modules is one instance only when both `Foo`s are the same.
    fn canonical(&self, args: &[GenericArgument], module: ModId) -> String {
        struct C<'c, 'a> {
            ctx: &'c Ctx<'a>,
            module: ModId,
            out: String,
        }
        impl<'ast> Visit<'ast> for C<'_, '_> {
            fn visit_path(&mut self, p: &'ast syn::Path) {
                let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
                let r =
                    self.ctx
                        .ix
                        .resolve(self.module, &segs, p.leading_colon.is_some(), &self.ctx.t);
                self.out.push_str(&format!("{r:?}|"));
                syn::visit::visit_path(self, p);
            }
            fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {}
        }
        let mut c = C {
            ctx: self.ctx,
            module,
            out: String::new(),
        };
        for a in args {
            if matches!(a, GenericArgument::Lifetime(_)) {
                continue;
            }
            c.out
                .push_str(&quote::ToTokens::to_token_stream(a).to_string());
            c.out.push('#');
            c.visit_generic_argument(a);
        }
        c.out
    }
}

/// `verify::<T>()` / `layout::verify::<T>()` calls, with the module they are written
/// in (inline modules followed).
struct VerifyCalls<'c, 'a> {
    ctx: &'c Ctx<'a>,
    module: ModId,
    path: Vec<String>,
    found: Vec<(Type, ModId)>,
}

impl<'ast> Visit<'ast> for VerifyCalls<'_, '_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_none() {
            return;
        }
        self.path.push(m.ident.to_string());
        let saved = self.module;
        if let Some(id) = module_of(self.ctx, &self.path) {
            self.module = id;
            syn::visit::visit_item_mod(self, m);
        }
        self.module = saved;
        self.path.pop();
    }

    fn visit_expr_path(&mut self, e: &'ast syn::ExprPath) {
        if let Some(last) = e.path.segments.last()
            && last.ident == "verify"
            && (e.path.segments.len() == 1
                || e.path
                    .segments
                    .iter()
                    .rev()
                    .nth(1)
                    .is_some_and(|s| s.ident == "layout"))
            && let [GenericArgument::Type(t)] = generic_args(&last.arguments).as_slice()
        {
            self.found.push(((*t).clone(), self.module));
        }
        syn::visit::visit_expr_path(self, e);
    }
}

impl Ctx<'_> {
    /// Struct `inst.id` laid out with `inst.args` (written in `inst.module`): the same
    /// [`StructOut`] as [`Ctx::struct_report`] gives for a non-generic struct, with the
    /// parameters bound, so fields that depend on them have their layouts too.
    pub fn struct_instance(&self, inst: &Instance) -> Rc<StructOut> {
        self.struct_with_args(inst.id, &inst.args, inst.module)
    }

    /// Struct `id` laid out with `args` written in `module`.
    pub fn struct_with_args(
        &self,
        id: usize,
        args: &[GenericArgument],
        module: ModId,
    ) -> Rc<StructOut> {
        let s = &self.ix.structs[id];
        let sc = Scope {
            module,
            ..Scope::default()
        };
        let refs: Vec<&GenericArgument> = args.iter().collect();
        let params = match self.bind(&s.item.generics, &refs, &sc, s.module, 0) {
            Ok(p) => p,
            Err(_) => self.unbound(&s.item.generics),
        };
        let name = s.item.ident.to_string();
        let mut out = None;
        let _ = self.guarded(Item::Struct(id), &name, || {
            out = Some(self.struct_detail(id, params.clone()));
            Ok(())
        });
        out.unwrap_or_else(|| self.struct_detail(id, params))
    }
}
