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

use super::types::{
    Arg, Ctx, Item, Scope, StructOut, args_key, generic_args, tokens_string, type_string,
};
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
    /// For an instantiation implied by another (`Batch<TaskBuf>` from a field
    /// `Mutex<Batch<B>>` of `SubmitQueue<TaskBuf>`): that one's text. Its position is the
    /// field type's in the generic definition.
    pub via: Option<String>,
    /// The module in whose scope `text`'s arguments are written: `module` for one named
    /// directly, the first one's for an implied one.
    pub args_module: ModId,
    /// The parameters bound to the arguments.
    pub(super) params: Vec<(String, Arg)>,
}

/// How many instantiations one target may yield (implied ones can chain).
const MAX_INSTANCES: usize = 4096;

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
        for (ty, line, column) in verify_calls(&f.text) {
            let Some(m) = module_at(ctx, &f.module, &f.ast.items, line, column) else {
                continue;
            };
            c.ty(&ty, m, fi, &[], 0);
        }
    }
    implied(ctx, &mut c);
    c.out
}

/// Adds the instantiations implied by those found: a field type of an instantiated
/// struct that names another generic struct with the struct's own parameters
/// (`Mutex<Batch<B>>` in `SubmitQueue<TaskBuf>` gives `Batch<TaskBuf>`), bound in the
/// definition's scope with the parameters' values.
fn implied(ctx: &Ctx<'_>, c: &mut Collector<'_, '_>) {
    // An implied instantiation is the one already found when it binds the same values
    // and reads the same but for module paths (`Ring<RawTask>`, `Ring<task::RawTask>`).
    let mut texts: HashSet<(usize, String, String)> = c
        .out
        .iter()
        .map(|i| (i.id, args_key(&i.params), last_segments(&i.text)))
        .collect();
    let mut i = 0;
    while i < c.out.len() && c.out.len() < MAX_INSTANCES {
        let inst = c.out[i].clone();
        i += 1;
        let s = &ctx.ix.structs[inst.id];
        let names = param_names(&s.item.generics);
        // Parameter name -> the argument's text, for display.
        let mut subst: Vec<(String, String)> = Vec::new();
        let mut written = inst
            .args
            .iter()
            .filter(|a| !matches!(a, GenericArgument::Lifetime(_)));
        for n in &names {
            match written.next() {
                Some(a) => subst.push((
                    n.clone(),
                    tokens_string(quote::ToTokens::to_token_stream(a)),
                )),
                None => break,
            }
        }
        if subst.len() != names.len() {
            continue;
        }
        let sc = Scope {
            module: s.module,
            params: inst.params.clone(),
            self_struct: Some(inst.id),
        };
        let mut found = Vec::new();
        for f in &s.item.fields {
            if ctx.cfg_enabled(&f.attrs, s.module) {
                generic_paths(&f.ty, &names, &mut found, 0);
            }
        }
        for tp in found {
            let Some(last) = tp.path.segments.last() else {
                continue;
            };
            let segs: Vec<String> = tp
                .path
                .segments
                .iter()
                .map(|x| x.ident.to_string())
                .collect();
            let Some(Res::Struct(id)) =
                ctx.ix
                    .resolve(s.module, &segs, tp.path.leading_colon.is_some(), &ctx.t)
            else {
                continue;
            };
            let target = &ctx.ix.structs[id];
            let args = generic_args(&last.arguments);
            let Ok(params) = ctx.bind(&target.item.generics, &args, &sc, target.module, 0) else {
                continue;
            };
            let text = substitute(&type_string(&Type::Path(tp.clone())), &subst);
            let name = target.item.ident.to_string();
            let text = match text.find('<') {
                Some(k) => format!("{name}{}", &text[k..]),
                None => name,
            };
            if !texts.insert((id, args_key(&params), last_segments(&text))) {
                continue;
            }
            let pos = syn::spanned::Spanned::span(&tp.path).start();
            c.out.push(Instance {
                id,
                args: args.into_iter().cloned().collect(),
                module: s.module,
                text,
                file: s.file,
                line: pos.line,
                column: pos.column + 1,
                via: Some(inst.text.clone()),
                args_module: inst.args_module,
                params,
            });
        }
    }
}

/// `text` with every `path::` prefix dropped: `Ring<task::RawTask>` reads `Ring<RawTask>`.
fn last_segments(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else if ch == ':' && chars.peek() == Some(&':') {
            chars.next();
            word.clear();
        } else {
            out.push_str(&word);
            word.clear();
            out.push(ch);
        }
    }
    out.push_str(&word);
    out
}

/// The generic-struct paths inside `ty` that mention one of `params`.
fn generic_paths(ty: &Type, params: &[String], out: &mut Vec<syn::TypePath>, depth: usize) {
    if depth > super::types::MAX_DEPTH {
        return;
    }
    let d = depth + 1;
    match ty {
        Type::Paren(p) => generic_paths(&p.elem, params, out, d),
        Type::Group(g) => generic_paths(&g.elem, params, out, d),
        Type::Array(a) => generic_paths(&a.elem, params, out, d),
        Type::Slice(s) => generic_paths(&s.elem, params, out, d),
        Type::Reference(r) => generic_paths(&r.elem, params, out, d),
        Type::Ptr(p) => generic_paths(&p.elem, params, out, d),
        Type::Tuple(t) => t
            .elems
            .iter()
            .for_each(|e| generic_paths(e, params, out, d)),
        Type::Path(tp) if tp.qself.is_none() => {
            let Some(last) = tp.path.segments.last() else {
                return;
            };
            for a in generic_args(&last.arguments) {
                if let GenericArgument::Type(t) = a {
                    generic_paths(t, params, out, d);
                }
            }
            if matches!(last.arguments, PathArguments::AngleBracketed(_)) && mentions(ty, params) {
                out.push(tp.clone());
            }
        }
        _ => {}
    }
}

/// `text` with each whole word that is a parameter name replaced by its argument.
fn substitute(text: &str, subst: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match subst.iter().find(|(n, _)| n == word) {
            Some((_, a)) => out.push_str(a),
            None => out.push_str(word),
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
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
                let refs: Vec<&GenericArgument> = args.iter().collect();
                let sc = Scope {
                    module,
                    ..Scope::default()
                };
                let params = self
                    .ctx
                    .bind(&s.item.generics, &refs, &sc, s.module, 0)
                    .unwrap_or_else(|_| self.ctx.unbound(&s.item.generics));
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
                    via: None,
                    args_module: module,
                    params,
                });
            }
            _ => {}
        }
    }

    /// The arguments with every path replaced by what it resolves to, so `Pair<Foo>`
    /// written in two modules is one instance only when both `Foo`s are the same, and
    /// `Pair<TaskBuf>` and `Pair<task::TaskBuf>` are one.
    fn canonical(&self, args: &[GenericArgument], module: ModId) -> String {
        let mut out = String::new();
        for a in args {
            match a {
                GenericArgument::Lifetime(_) => continue,
                GenericArgument::Type(t) => self.canon_type(t, module, &mut out, 0),
                other => out.push_str(&quote::ToTokens::to_token_stream(other).to_string()),
            }
            out.push(',');
        }
        out
    }

    fn canon_type(&self, ty: &Type, module: ModId, out: &mut String, depth: usize) {
        if depth > super::types::MAX_DEPTH {
            return;
        }
        let d = depth + 1;
        match ty {
            Type::Paren(p) => self.canon_type(&p.elem, module, out, d),
            Type::Group(g) => self.canon_type(&g.elem, module, out, d),
            Type::Array(a) => {
                out.push('[');
                self.canon_type(&a.elem, module, out, d);
                out.push(';');
                out.push_str(&quote::ToTokens::to_token_stream(&a.len).to_string());
                out.push(']');
            }
            Type::Slice(sl) => {
                out.push_str("[[");
                self.canon_type(&sl.elem, module, out, d);
                out.push_str("]]");
            }
            Type::Reference(r) => {
                out.push_str(if r.mutability.is_some() { "&mut " } else { "&" });
                self.canon_type(&r.elem, module, out, d);
            }
            Type::Ptr(p) => {
                out.push_str(if p.mutability.is_some() {
                    "*mut "
                } else {
                    "*const "
                });
                self.canon_type(&p.elem, module, out, d);
            }
            Type::Tuple(t) => {
                out.push('(');
                for e in &t.elems {
                    self.canon_type(e, module, out, d);
                    out.push(',');
                }
                out.push(')');
            }
            Type::Path(tp) if tp.qself.is_none() => {
                let segs: Vec<String> = tp
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let r = self.ctx.ix.resolve(
                    module,
                    &segs,
                    tp.path.leading_colon.is_some(),
                    &self.ctx.t,
                );
                out.push_str(&format!("{r:?}"));
                if let Some(last) = tp.path.segments.last()
                    && let PathArguments::AngleBracketed(ab) = &last.arguments
                {
                    let args: Vec<GenericArgument> = ab.args.iter().cloned().collect();
                    out.push('<');
                    out.push_str(&self.canonical(&args, module));
                    out.push('>');
                }
            }
            other => out.push_str(&quote::ToTokens::to_token_stream(other).to_string()),
        }
    }
}

/// The types of `verify::<T>()` / `layout::verify::<T>()` calls in a file's text (function
/// bodies are not parsed), with the 1-based line and column of each; calls in `//`
/// comments are skipped.
fn verify_calls(text: &str) -> Vec<(Type, usize, usize)> {
    let mut out = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(k) = line[from..].find("verify::<") {
            let at = from + k;
            from = at + "verify::<".len();
            if line[..at].contains("//") {
                break;
            }
            let before = line[..at].trim_end_matches("layout::");
            if before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            // The balanced `<...>` after `verify::`.
            let rest = &line[from..];
            let mut depth = 1usize;
            let mut end = None;
            for (i, ch) in rest.char_indices() {
                match ch {
                    '<' => depth += 1,
                    '>' if !rest[..i].ends_with('-') => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { continue };
            if let Ok(ty) = syn::parse_str::<Type>(&rest[..end]) {
                out.push((ty, ln + 1, from + 1));
            }
        }
    }
    out
}

/// The module a position of a file is in: the file's own, or an inline `mod` around it.
fn module_at(
    ctx: &Ctx<'_>,
    file_module: &[String],
    items: &[syn::Item],
    line: usize,
    column: usize,
) -> Option<ModId> {
    let mut path = file_module.to_vec();
    let mut items = items;
    'outer: loop {
        for it in items {
            if let syn::Item::Mod(m) = it
                && let Some((brace, inner)) = &m.content
            {
                let (s, e) = (brace.span.open().start(), brace.span.close().end());
                let pos = (line, column.saturating_sub(1));
                if (s.line, s.column) <= pos && pos <= (e.line, e.column) {
                    path.push(m.ident.to_string());
                    items = inner;
                    continue 'outer;
                }
            }
        }
        break;
    }
    module_of(ctx, &path)
}

impl Ctx<'_> {
    /// Struct `inst.id` laid out with `inst.args` (written in `inst.module`): the same
    /// [`StructOut`] as [`Ctx::struct_report`] gives for a non-generic struct, with the
    /// parameters bound, so fields that depend on them have their layouts too.
    pub fn struct_instance(&self, inst: &Instance) -> Rc<StructOut> {
        let name = self.ix.structs[inst.id].item.ident.to_string();
        let mut out = None;
        let _ = self.guarded(Item::Struct(inst.id), &name, || {
            out = Some(self.struct_detail(inst.id, inst.params.clone()));
            Ok(())
        });
        out.unwrap_or_else(|| self.struct_detail(inst.id, inst.params.clone()))
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
