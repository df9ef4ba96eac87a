//! Generic structs with the arguments the crate names them with (`Pair<u64>` in a field
//! type, `layout::verify::<Pair<u64>>()` in a function), so each instantiation can be
//! reported as an entry of its own.
//!
//! [`instantiations`] finds them on one target; [`Ctx::struct_instance`] lays one out
//! and returns the same [`StructOut`] as [`Ctx::struct_report`].

use std::collections::HashSet;
use std::path::PathBuf;
use std::rc::Rc;

use syn::visit::Visit;
use syn::{GenericArgument, PathArguments, Type};

use super::types::{
    Arg, Ctx, Item, Scope, StructOut, args_key, generic_args, path_segs, tokens_string, type_string,
};
use crate::cfg::Tri;
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
    /// The type as written there, with the generic struct's own name for its path:
    /// `Pair<u64>`, `Buf<3>`.
    pub text: String,
    /// The type as written there, path and all (`super::Pair<u64>`), which names it in
    /// `module`; for an implied one, the field type with the parameters replaced.
    pub written: String,
    /// Index into `Index::files` of where it is named.
    pub file: usize,
    /// 1-based line where it is named.
    pub line: usize,
    /// 1-based column where it is named.
    pub column: usize,
    /// For an instantiation implied by another (`Batch<TaskBuf>` from a field
    /// `SpinLock<Batch<B>>` of `SubmitQueue<TaskBuf>`): that one's text. Its position is the
    /// field type's in the generic definition.
    pub via: Option<String>,
    /// The module in whose scope `text`'s arguments are written: `module` for one named
    /// directly, the first one's for an implied one.
    pub args_module: ModId,
    /// `None` when the place it is named exists on this target for certain; the reason
    /// when it exists only if a cfg the tool cannot know holds. (A place cfg'd out on
    /// the target names nothing: no instance.)
    pub present: Option<String>,
    /// Listed in this manifest's `[package.metadata.layout] instantiations` (or the
    /// workspace's) rather than named in the source: `line` and `column` are then the
    /// entry's in the manifest, and `file` means nothing.
    pub manifest: Option<PathBuf>,
    /// The parameters bound to the arguments.
    pub(super) params: Vec<(String, Arg)>,
}

/// An instantiation listed in a manifest (`instantiations = ["Pair<u64>"]`), to be
/// resolved in the scope of a crate's root module.
#[derive(Clone, Debug)]
pub struct Listed {
    /// The type as written in the list.
    pub text: String,
    /// The crate root it is resolved in.
    pub root: ModId,
    /// The manifest that lists it.
    pub manifest: PathBuf,
    /// 1-based line and column of the entry in the manifest (1, 1 when not found).
    pub line: usize,
    /// See `line`.
    pub column: usize,
}

/// Whether the place named by `attrs` in `module` exists on the target: `None` if it
/// does not, `Some(None)` if it does, `Some(Some(why))` if a cfg the tool cannot know
/// decides it. `outer` is the presence of what encloses it.
fn place(
    ctx: &Ctx<'_>,
    attrs: &[syn::Attribute],
    module: ModId,
    outer: &Option<String>,
) -> Option<Option<String>> {
    let ct = ctx.ix.crate_cfg(module, &ctx.t);
    // Memoised and without copying the attributes: this runs for every field.
    let here = if ctx.ix.cfg.enabled(attrs, ct) {
        None
    } else {
        match ctx.ix.cfg.presence(attrs, ct) {
            Tri::Unknown(r) => Some(r),
            _ => return None,
        }
    };
    Some(outer.clone().or(here))
}

/// The presence of an item with `attrs` in `module`, as [`place`] gives it (inside the
/// module's own presence); `None` also when `keep` does not accept the module.
fn item_place(
    ctx: &Ctx<'_>,
    keep: &dyn Fn(ModId) -> bool,
    attrs: &[syn::Attribute],
    module: ModId,
) -> Option<Option<String>> {
    if !keep(module) {
        return None;
    }
    let m = module_place(ctx, module)?;
    place(ctx, attrs, module, &m)
}

/// The presence of module `m` on the target, as [`place`] gives it.
fn module_place(ctx: &Ctx<'_>, m: ModId) -> Option<Option<String>> {
    match ctx.ix.module_presence(m, &ctx.t) {
        Tri::True => Some(None),
        Tri::False => None,
        Tri::Unknown(r) => Some(Some(r)),
    }
}

/// How many instantiations one target may yield (implied ones can chain).
const MAX_INSTANCES: usize = 4096;

/// The instantiations of the crate's generic structs named in field types (of structs,
/// enums and unions), type aliases and `verify::<T>()` calls, on `ctx`'s target; one
/// per struct and arguments (the first place it is named), arguments that mention a
/// generic parameter of the item they are written in left out. Instantiations named
/// only inside other function bodies are not found.
pub fn instantiations(ctx: &Ctx<'_>) -> Vec<Instance> {
    instantiations_listed(ctx, &[], &|_| true).0
}

/// [`instantiations`], plus those `listed` in manifests (after the ones named in the
/// source, so a type named in both keeps its place in the source). Also returns the
/// indices into `listed` of the entries that do not name a generic struct of the crate
/// on this target, with the reason. Only items in modules `keep` accepts are read (the
/// crates reported: a generic struct is named only in its crate and in crates that
/// depend on it).
pub fn instantiations_listed(
    ctx: &Ctx<'_>,
    listed: &[Listed],
    keep: &dyn Fn(ModId) -> bool,
) -> (Vec<Instance>, Vec<(usize, String)>) {
    let ix = ctx.ix;
    let mut c = Collector {
        ctx,
        seen: HashSet::new(),
        out: Vec::new(),
        present: None,
        manifest: None,
    };
    for s in &ix.structs {
        if let Some(sp) = item_place(ctx, keep, &s.item.attrs, s.module) {
            let params = param_names(&s.item.generics);
            c.fields(&s.item.fields, s.module, s.file, &params, &sp);
        }
    }
    for e in &ix.enums {
        let Some(ep) = item_place(ctx, keep, &e.item.attrs, e.module) else {
            continue;
        };
        let params = param_names(&e.item.generics);
        for v in &e.item.variants {
            if let Some(vp) = place(ctx, &v.attrs, e.module, &ep) {
                c.fields(&v.fields, e.module, e.file, &params, &vp);
            }
        }
    }
    for u in &ix.unions {
        if let Some(up) = item_place(ctx, keep, &u.item.attrs, u.module) {
            let params = param_names(&u.item.generics);
            c.fields(&u.item.fields.named, u.module, u.file, &params, &up);
        }
    }
    for a in &ix.aliases {
        if let Some(ap) = item_place(ctx, keep, &a.item.attrs, a.module) {
            let params = param_names(&a.item.generics);
            c.present = ap;
            c.ty(&a.item.ty, a.module, a.file, &params, 0);
        }
    }
    let krates = file_crates(ix);
    for (fi, f) in ix.files.iter().enumerate() {
        let Some(k) = krates[fi] else { continue };
        if !f.text.contains("verify::<") {
            continue;
        }
        for (ty, line, column) in verify_calls(&f.text) {
            let Some(m) = module_at(ctx, k, &f.module, &f.ast.items, line, column) else {
                continue;
            };
            if !keep(m) {
                continue;
            }
            let Some(mp) = module_place(ctx, m) else {
                continue;
            };
            c.present = mp;
            c.ty(&ty, m, fi, &[], 0);
        }
    }
    let mut refused = Vec::new();
    for (i, l) in listed.iter().enumerate() {
        match listed_struct(ctx, l) {
            Ok(ty) => {
                c.present = None;
                c.manifest = Some((l.manifest.clone(), l.line, l.column));
                // The position is the manifest's (`Instance::manifest`), not a file's.
                c.ty(&ty, l.root, 0, &[], 0);
                c.manifest = None;
            }
            Err(why) => refused.push((i, why)),
        }
    }
    implied(ctx, &mut c);
    (c.out, refused)
}

/// The type of a listed entry, if it names a generic struct of the crate with
/// arguments that mention nothing generic.
fn listed_struct(ctx: &Ctx<'_>, l: &Listed) -> Result<Type, String> {
    let ty = syn::parse_str::<Type>(&l.text).map_err(|e| format!("not a type: {e}"))?;
    let Type::Path(tp) = &ty else {
        return Err("not a path to a generic struct".into());
    };
    let Some(last) = tp.path.segments.last().filter(|_| tp.qself.is_none()) else {
        return Err("not a path to a generic struct".into());
    };
    if !matches!(last.arguments, PathArguments::AngleBracketed(_)) {
        return Err("names no generic arguments".into());
    }
    let segs = path_segs(&tp.path);
    match ctx
        .ix
        .resolve(l.root, &segs, tp.path.leading_colon.is_some(), &ctx.t)
    {
        Some(Res::Struct(id)) if !ctx.ix.structs[id].item.generics.params.is_empty() => Ok(ty),
        Some(Res::Struct(_)) => Err(format!("`{}` is not generic", segs.join("::"))),
        Some(_) => Err(format!("`{}` is not a struct", segs.join("::"))),
        None => Err(format!(
            "`{}` is not a struct of this crate",
            segs.join("::")
        )),
    }
}

/// Adds the instantiations implied by those found: a field type of an instantiated
/// struct that names another generic struct with the struct's own parameters
/// (`SpinLock<Batch<B>>` in `SubmitQueue<TaskBuf>` gives `Batch<TaskBuf>`), bound in the
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
            if let Some(fp) = place(ctx, &f.attrs, s.module, &inst.present) {
                let from = found.len();
                generic_paths(&f.ty, &names, &mut found, 0);
                for x in &mut found[from..] {
                    x.1 = fp.clone();
                }
            }
        }
        for (tp, present) in found {
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
            let written = substitute(&type_string(&Type::Path(tp.clone())), &subst);
            let name = target.item.ident.to_string();
            let text = match written.find('<') {
                Some(k) => format!("{name}{}", &written[k..]),
                None => name,
            };
            if !texts.insert((id, args_key(&params), last_segments(&text))) {
                continue;
            }
            // The arguments with the parameters replaced, so what this one implies in
            // turn reads with the values too (`RwLock<()>`, not `RwLock<T>`).
            let args = match syn::parse_str::<Type>(&text) {
                Ok(Type::Path(written)) => written
                    .path
                    .segments
                    .last()
                    .map(|l| generic_args(&l.arguments).into_iter().cloned().collect())
                    .unwrap_or_default(),
                _ => args.into_iter().cloned().collect(),
            };
            let pos = syn::spanned::Spanned::span(&tp.path).start();
            c.out.push(Instance {
                id,
                args,
                module: s.module,
                text,
                written,
                file: s.file,
                line: pos.line,
                column: pos.column + 1,
                via: Some(inst.text.clone()),
                args_module: inst.args_module,
                present,
                manifest: None,
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
fn generic_paths(
    ty: &Type,
    params: &[String],
    out: &mut Vec<(syn::TypePath, Option<String>)>,
    depth: usize,
) {
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
                out.push((tp.clone(), None));
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

fn module_of(ctx: &Ctx<'_>, krate: usize, path: &[String]) -> Option<ModId> {
    ctx.ix
        .modules
        .iter()
        .position(|m| m.krate == krate && m.path == path)
}

/// The crate of each file of the index, from the items indexed in it; for a file with
/// none, the crate of the only module with its path (`None` when several crates have
/// one: module paths repeat across crates).
fn file_crates(ix: &crate::index::Index) -> Vec<Option<usize>> {
    let mut out = vec![None; ix.files.len()];
    let mut mark = |file: usize, m: ModId| {
        if let Some(slot) = out.get_mut(file) {
            *slot = Some(ix.modules[m].krate);
        }
    };
    ix.structs.iter().for_each(|d| mark(d.file, d.module));
    ix.enums.iter().for_each(|d| mark(d.file, d.module));
    ix.unions.iter().for_each(|d| mark(d.file, d.module));
    ix.aliases.iter().for_each(|d| mark(d.file, d.module));
    ix.consts.iter().for_each(|d| mark(d.file, d.module));
    for (fi, slot) in out.iter_mut().enumerate() {
        if slot.is_none() {
            let mut ks = ix
                .modules
                .iter()
                .filter(|m| m.path == ix.files[fi].module)
                .map(|m| m.krate);
            if let (Some(k), None) = (ks.next(), ks.next()) {
                *slot = Some(k);
            }
        }
    }
    out
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
    /// The presence of the place being read (see [`Instance::present`]).
    present: Option<String>,
    /// While a manifest's list is read: the manifest and the entry's position.
    manifest: Option<(PathBuf, usize, usize)>,
}

impl Collector<'_, '_> {
    /// The instantiations named in the types of `fields` (of an item in `module` whose
    /// presence is `outer`), each field with its own presence.
    fn fields<'f>(
        &mut self,
        fields: impl IntoIterator<Item = &'f syn::Field>,
        module: ModId,
        file: usize,
        params: &[String],
        outer: &Option<String>,
    ) {
        for f in fields {
            if let Some(fp) = place(self.ctx, &f.attrs, module, outer) {
                self.present = fp;
                self.ty(&f.ty, module, file, params, 0);
            }
        }
    }

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
                let segs = path_segs(&tp.path);
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
                let (line, column) = match &self.manifest {
                    Some((_, l, c)) => (*l, *c),
                    None => (pos.line, pos.column + 1),
                };
                let params = self.ctx.bind_written(id, &args, module);
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
                    written: args_text,
                    file,
                    line,
                    column,
                    via: None,
                    args_module: module,
                    present: self.present.clone(),
                    manifest: self.manifest.as_ref().map(|m| m.0.clone()),
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
                let segs = path_segs(&tp.path);
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
    krate: usize,
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
    module_of(ctx, krate, &path)
}

impl Ctx<'_> {
    /// Struct `inst.id` laid out with `inst.args` (written in `inst.module`): the same
    /// [`StructOut`] as [`Ctx::struct_report`] gives for a non-generic struct, with the
    /// parameters bound, so fields that depend on them have their layouts too.
    pub fn struct_instance(&self, inst: &Instance) -> Rc<StructOut> {
        self.laid_out(inst.id, inst.params.clone())
    }

    /// Struct `id` laid out with `args` written in `module`.
    pub fn struct_with_args(
        &self,
        id: usize,
        args: &[GenericArgument],
        module: ModId,
    ) -> Rc<StructOut> {
        self.laid_out(id, self.bind_written(id, args, module))
    }

    /// The parameters of struct `id` bound to `args` written in `module` (unbound, so
    /// unknown where used by value, when they do not bind).
    fn bind_written(
        &self,
        id: usize,
        args: &[GenericArgument],
        module: ModId,
    ) -> Vec<(String, Arg)> {
        let s = &self.ix.structs[id];
        let sc = Scope {
            module,
            ..Scope::default()
        };
        let refs: Vec<&GenericArgument> = args.iter().collect();
        self.bind(&s.item.generics, &refs, &sc, s.module, 0)
            .unwrap_or_else(|_| self.unbound(&s.item.generics))
    }

    /// Struct `id` with `params` bound, under the cycle guard (a struct that holds
    /// itself by value is reported as infinitely sized, not a stack overflow).
    fn laid_out(&self, id: usize, params: Vec<(String, Arg)>) -> Rc<StructOut> {
        let name = self.ix.structs[id].item.ident.to_string();
        let mut out = None;
        let _ = self.guarded(Item::Struct(id), &name, || {
            out = Some(self.struct_detail(id, params.clone()));
            Ok(())
        });
        out.unwrap_or_else(|| self.struct_detail(id, params))
    }
}
