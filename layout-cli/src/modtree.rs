//! A crate's module tree as rustc builds it: followed from the crate's root file
//! through `mod` declarations, with item macros that re-emit items expanded on the way.
//!
//! - `mod x;` loads `x.rs` or `x/mod.rs` beside the declaring file (inside `a/` for a
//!   non-`mod.rs` file `a.rs`), `#[path = "..."]` relative to the declaring file's
//!   directory (or, inside inline modules, to the directory the inline modules name), and
//!   `#[cfg_attr(pred, path = "...")]` per target: each variant's file is loaded and its
//!   items carry the condition under which rustc would have chosen it.
//! - A declaration whose `cfg` is false on every selected target is not followed: its
//!   file is not read. Files no module reaches are never read.
//! - Item macros: `cfg_if::cfg_if!`/`cfg_if!` (each branch's items get the branch's
//!   condition), and `macro_rules!` macros of the crate whose rule is
//!   `($($i:item)*) => { $( ATTRS $i )* }`, the shape of tokio's `cfg_rt!` or mio's
//!   `cfg_os_poll!` (each item gets `ATTRS`). Macros are known from the point of their
//!   definition on, in the order rustc reads the module tree. Other macros stay
//!   unexpanded: the items they would create are not seen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Attribute, Item};

use crate::analysis::FileError;
use crate::cfg::{self, CfgTarget, Tri};
use crate::source::deferred::Names;
use crate::source::{self, SourceFile};

/// How deep macro expansions and inline modules nest before the walk stops.
const MAX_DEPTH: usize = 64;

/// The files of one crate, with their module paths, macros expanded.
#[derive(Debug, Default)]
pub struct Tree {
    /// The files, each after the files of the modules it declares (the root last).
    pub files: Vec<SourceFile>,
    /// Macro invocations that could not be expanded: (macro name, file, line).
    pub unexpanded: Vec<(String, PathBuf, usize)>,
    /// The definitions set aside by a walk that reads as needed, per file.
    pub deferred: Vec<DeferredFile>,
}

/// The definitions of one file set aside (see [`source::deferred`]).
#[derive(Debug)]
pub struct DeferredFile {
    /// Index into [`Tree::files`].
    pub file: usize,
    /// The definitions.
    pub items: source::deferred::Deferred,
    /// Attributes the file's items wear (a `#[cfg_attr(.., path = ..)]` variant's).
    pub extra: Vec<Attribute>,
}

/// A `macro_rules!` item wrapper: the attributes it adds to each item, or (for
/// `($($i:item)*) => { ATTRS other! { $($i)* } }`, tokio's `cfg_*_and_unix!`) the
/// attributes and the macro it hands the items to.
#[derive(Clone, Debug)]
struct Wrapper {
    attrs: Vec<Attribute>,
    delegate: Option<String>,
}

struct Walk<'a> {
    cfgs: &'a [CfgTarget],
    macros: HashMap<String, Option<Wrapper>>,
    tree: Tree,
    errors: &'a mut Vec<FileError>,
    loading: Vec<PathBuf>,
    /// Reading as needed: the identifiers parsed so far, and whether this crate's
    /// definitions are set aside.
    noting: Option<(&'a mut Names, bool)>,
    /// Files read ahead on another thread.
    ahead: Option<&'a source::ahead::ReadAhead>,
}

/// Walks the crate whose root file is `root`, for the targets `cfgs` (a declaration
/// false on all of them is not followed; none given: every declaration is followed).
pub fn walk(root: &Path, cfgs: &[CfgTarget], errors: &mut Vec<FileError>) -> Tree {
    walk_as_needed(root, cfgs, errors, None, None)
}

/// [`walk`], noting into `names.0` the identifiers of what it parses; with `names.1`,
/// the module-level definitions are set aside ([`Tree::deferred`]) for [`read_needed`].
pub fn walk_as_needed(
    root: &Path,
    cfgs: &[CfgTarget],
    errors: &mut Vec<FileError>,
    names: Option<(&mut Names, bool)>,
    ahead: Option<&source::ahead::ReadAhead>,
) -> Tree {
    let mut w = Walk {
        cfgs,
        macros: HashMap::new(),
        tree: Tree::default(),
        errors,
        loading: Vec::new(),
        noting: names,
        ahead,
    };
    w.load(root, Vec::new(), true, Vec::new(), &[]);
    w.tree
}

/// Parses the definitions set aside by [`walk_as_needed`] that `names` reaches
/// ([`source::deferred::close`]) into their files; returns (kept, set aside).
pub fn read_needed(
    tree: &mut Tree,
    names: &mut Names,
    errors: &mut Vec<FileError>,
) -> (usize, usize) {
    let deferred = std::mem::take(&mut tree.deferred);
    let all: Vec<&source::deferred::Deferred> = deferred.iter().map(|d| &d.items).collect();
    let kept = source::deferred::close(&all, names);
    let total = all.iter().map(|d| d.len()).sum();
    let mut read = 0;
    for (d, kept) in deferred.iter().zip(kept) {
        if kept.is_empty() {
            continue;
        }
        read += kept.len();
        let file = &mut tree.files[d.file];
        match source::parse_kept(&d.items.kept_text(&kept)) {
            Ok(mut items) => {
                prepend(&mut items, &[], &d.extra);
                file.ast.items.extend(items);
            }
            Err((line, column, message)) => errors.push(FileError {
                file: file.path.clone(),
                line,
                column,
                message,
            }),
        }
    }
    (read, total)
}

impl Walk<'_> {
    /// Whether a declaration with these attributes, inside modules whose cfg
    /// attributes are `outer`, may exist on some target; `Some(true)` if it surely does
    /// on one.
    fn presence(&self, outer: &[Attribute], attrs: &[Attribute]) -> Option<bool> {
        if self.cfgs.is_empty() {
            return Some(true);
        }
        // Only `cfg` and `cfg_attr` can decide it (the others are present everywhere).
        let all: Vec<&Attribute> = outer.iter().chain(attrs).filter(|a| is_cfg(a)).collect();
        let mut maybe = None;
        for v in cfg::presence_on(all, self.cfgs) {
            match v {
                Tri::True => return Some(true),
                Tri::Unknown(_) => maybe = Some(false),
                Tri::False => {}
            }
        }
        maybe
    }

    /// Loads one file as module `module`; `mod_rs` tells where its children live.
    fn load(
        &mut self,
        path: &Path,
        module: Vec<String>,
        mod_rs: bool,
        extra: Vec<Attribute>,
        outer: &[Attribute],
    ) {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.loading.contains(&canon) || self.loading.len() > MAX_DEPTH {
            return; // a `#[path]` cycle: rustc rejects it; never loop
        }
        let root = path.parent().unwrap_or(Path::new(""));
        let loaded = match &mut self.noting {
            Some((names, defer)) => source::load_noting(path, root, *defer, names, self.ahead),
            None => source::load(path, root).map(|f| (f, None)),
        };
        let (mut file, set_aside) = match loaded {
            Ok(f) => f,
            Err(e) => {
                self.errors.push(e);
                return;
            }
        };
        file.module = module.clone();
        self.loading.push(canon);
        let dir = child_dir(path, mod_rs);
        let items = std::mem::take(&mut file.ast.items);
        let mut inner: Vec<Attribute> = union(outer, &extra);
        // The file's `#![cfg_attr(docsrs, feature(doc_cfg))]` and the like decide
        // nothing: left out, they are not re-read for every declaration below.
        inner.extend(
            file.ast
                .attrs
                .iter()
                .filter(|a| cfg::decides_presence(a))
                .cloned(),
        );
        let mut items = self.items(items, path, &dir, &module, 0, false, &inner);
        if !extra.is_empty() {
            prepend(&mut items, &[], &extra);
        }
        file.ast.items = items;
        self.loading.pop();
        if let Some(items) = set_aside {
            self.tree.deferred.push(DeferredFile {
                file: self.tree.files.len(),
                items,
                extra,
            });
        }
        self.tree.files.push(file);
    }

    /// Expands macros among `items` and follows their `mod` declarations, in order.
    #[allow(clippy::too_many_arguments)]
    fn items(
        &mut self,
        items: Vec<Item>,
        file: &Path,
        dir: &Path,
        module: &[String],
        depth: usize,
        inline: bool,
        outer: &[Attribute],
    ) -> Vec<Item> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Macro(m) if m.ident.is_some() => {
                    let name = m
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    if m.mac.path.is_ident("macro_rules") {
                        self.macros.insert(name, wrapper(&m.mac.tokens));
                    }
                    out.push(Item::Macro(m));
                }
                Item::Macro(m) if depth < MAX_DEPTH => {
                    let name = macro_name(&m.mac);
                    if name == "include"
                        && let Some(new) = self.include(&m.mac.tokens, file, &m.attrs)
                    {
                        // Its `mod x;` declarations are found beside the included file.
                        let (path, new) = new;
                        let inc_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
                        let new =
                            self.items(new, &path, &inc_dir, module, depth + 1, inline, outer);
                        out.extend(new);
                        continue;
                    }
                    let expanded = if name == "cfg_if" {
                        cfg_if(&m.mac.tokens, &m.attrs)
                    } else if name == "cfg_select" {
                        cfg_select(&m.mac.tokens, &m.attrs)
                    } else {
                        match self.macros.get(&name) {
                            Some(Some(w)) => self.wrap(&m.mac.tokens, w, &m.attrs, 0),
                            _ => None,
                        }
                    };
                    match expanded {
                        Some(new) => {
                            let new = self.items(new, file, dir, module, depth + 1, inline, outer);
                            out.extend(new);
                        }
                        None => {
                            let line = m.mac.path.segments[0].ident.span().start().line;
                            self.tree.unexpanded.push((name, file.to_path_buf(), line));
                            out.push(Item::Macro(m));
                        }
                    }
                }
                Item::Mod(mut md) if depth < MAX_DEPTH => {
                    let mut child = module.to_vec();
                    child.push(md.ident.to_string());
                    match md.content.take() {
                        Some((brace, inner)) => {
                            let inner_dir = path_attr(&md.attrs)
                                .map(|p| dir.join(p))
                                .unwrap_or_else(|| dir.join(md.ident.to_string()));
                            let mut ctx = outer.to_vec();
                            ctx.extend(
                                md.attrs
                                    .iter()
                                    .filter(|a| cfg::decides_presence(a))
                                    .cloned(),
                            );
                            // Two blocks `#[cfg(a)] mod m { .. }` / `#[cfg(not(a))] mod m
                            // { .. }` make one module: each item keeps its own block's
                            // condition instead of the module holding both (moved before
                            // the items are walked, so nested blocks pass it on).
                            let conds: Vec<Attribute> =
                                md.attrs.iter().filter(|a| is_cfg(a)).cloned().collect();
                            let mut inner = inner;
                            if !conds.is_empty() {
                                md.attrs.retain(|a| !is_cfg(a));
                                for it in &mut inner {
                                    if let Some(a) = attrs_mut(it) {
                                        let mut new = conds.clone();
                                        new.append(a);
                                        *a = new;
                                    }
                                }
                            }
                            let inner =
                                self.items(inner, file, &inner_dir, &child, depth + 1, true, &ctx);
                            md.content = Some((brace, inner));
                        }
                        None => {
                            if let Some(sure) = self.presence(outer, &md.attrs) {
                                self.declared(&md, file, dir, child, inline, outer, sure);
                            }
                        }
                    }
                    out.push(Item::Mod(md));
                }
                other => out.push(other),
            }
        }
        out
    }

    /// `include!("file.rs")` at item level: the file (relative to the including one)
    /// and its items, each wearing the invocation's attributes.
    fn include(
        &mut self,
        tokens: &TokenStream,
        file: &Path,
        attrs: &[Attribute],
    ) -> Option<(PathBuf, Vec<Item>)> {
        let lit: syn::LitStr = syn::parse2(tokens.clone()).ok()?;
        let path = file.parent().unwrap_or(Path::new("")).join(lit.value());
        let canon = std::fs::canonicalize(&path).ok()?;
        if self.loading.contains(&canon) || self.loading.len() > MAX_DEPTH {
            return None;
        }
        let root = path.parent().unwrap_or(Path::new(""));
        let loaded = match &mut self.noting {
            Some((names, _)) => {
                source::load_noting(&path, root, false, names, self.ahead).map(|(f, _)| f)
            }
            None => source::load(&path, root),
        };
        let f = match loaded {
            Ok(f) => f,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        let mut items = f.ast.items;
        if attrs.iter().any(is_cfg) {
            prepend(&mut items, attrs, &[]);
        }
        Some((path, items))
    }

    /// The items a wrapper macro re-emits, with the attributes it adds (following a
    /// chain of delegating wrappers).
    fn wrap(
        &self,
        tokens: &TokenStream,
        w: &Wrapper,
        outer: &[Attribute],
        depth: usize,
    ) -> Option<Vec<Item>> {
        let mut items = match &w.delegate {
            None => source::parse_items(tokens.clone()).ok()?,
            Some(next) if depth < MAX_DEPTH => {
                let nw = self.macros.get(next)?.as_ref()?;
                self.wrap(tokens, nw, &[], depth + 1)?
            }
            Some(_) => return None,
        };
        prepend(&mut items, outer, &w.attrs);
        Some(items)
    }

    /// Loads the file(s) of `mod x;`; `sure`: it exists on some target (see
    /// [`Walk::presence`]).
    #[allow(clippy::too_many_arguments)]
    fn declared(
        &mut self,
        md: &syn::ItemMod,
        file: &Path,
        dir: &Path,
        module: Vec<String>,
        inline: bool,
        outer: &[Attribute],
        sure: bool,
    ) {
        // Inside inline modules `dir` already names them; at file level a `#[path]` is
        // relative to the declaring file's own directory.
        let path_base = if inline {
            dir.to_path_buf()
        } else {
            file.parent().unwrap_or(Path::new(".")).to_path_buf()
        };
        let mut ctx = outer.to_vec();
        ctx.extend(
            md.attrs
                .iter()
                .filter(|a| a.path().is_ident("cfg"))
                .cloned(),
        );
        let variants = path_variants(&md.attrs);
        let plain = path_attr(&md.attrs);
        // `#[cfg(unix)] #[path = "unix/mod.rs"] mod imp;` beside `#[cfg(windows)]
        // #[path = "windows.rs"] mod imp;`: one module, two files; each file's items
        // keep the condition of the declaration that loaded them.
        let own: Vec<Attribute> = md
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect();
        if variants.is_empty() {
            // The file's items also wear the conditions of the modules around the
            // declaration (a file loaded by one `cfg_attr(.., path)` variant declares
            // the same child as its siblings: each copy keeps its own variant's).
            let conds: Vec<Attribute> = outer
                .iter()
                .filter(|a| a.path().is_ident("cfg"))
                .cloned()
                .collect();
            let own = union(&conds, &own);
            match plain {
                Some(p) => self.load(&path_base.join(p), module, true, own, outer),
                None => {
                    let name = md.ident.to_string();
                    self.default_file(dir, &name, module, own, outer, sure)
                }
            }
            return;
        }
        let mut previous: Vec<String> = Vec::new();
        for (pred, p) in &variants {
            let cond = if previous.is_empty() {
                pred.clone()
            } else {
                format!("all(not(any({})), {pred})", previous.join(", "))
            };
            previous.push(pred.clone());
            let extra = cfg_attr_of(&cond);
            if self.presence(&ctx, &extra).is_some() {
                self.load(&path_base.join(p), module.clone(), true, extra, &ctx);
            }
        }
        let extra = cfg_attr_of(&format!("not(any({}))", previous.join(", ")));
        if let Some(sure) = self.presence(&ctx, &extra) {
            match plain {
                Some(p) => self.load(&path_base.join(p), module, true, extra, &ctx),
                None => self.default_file(dir, &md.ident.to_string(), module, extra, &ctx, sure),
            }
        }
    }

    /// `x.rs`, else `x/mod.rs`, in `dir`. A missing file is an error only where the
    /// module surely exists on a target (rustc would fail there too).
    fn default_file(
        &mut self,
        dir: &Path,
        name: &str,
        module: Vec<String>,
        extra: Vec<Attribute>,
        outer: &[Attribute],
        sure: bool,
    ) {
        let flat = dir.join(format!("{name}.rs"));
        let nested = dir.join(name).join("mod.rs");
        if flat.is_file() {
            self.load(&flat, module, false, extra, outer);
        } else if nested.is_file() {
            self.load(&nested, module, true, extra, outer);
        } else if sure {
            self.errors.push(FileError {
                file: flat.clone(),
                line: None,
                column: None,
                message: format!(
                    "module `{}` not found: neither {} nor {} exists",
                    module.join("::"),
                    flat.display(),
                    nested.display()
                ),
            });
        }
    }
}

/// Where the children of a file's module live: its own directory for `mod.rs`, crate
/// roots and `#[path]` files, else `dir/stem/`.
fn child_dir(file: &Path, mod_rs: bool) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    if mod_rs || file.file_name().is_some_and(|n| n == "mod.rs") {
        return dir;
    }
    match file.file_stem() {
        Some(stem) => dir.join(stem),
        None => dir,
    }
}

/// `a` then the attributes of `b` that `a` does not hold.
fn union(a: &[Attribute], b: &[Attribute]) -> Vec<Attribute> {
    let mut out = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

/// `#[path = "..."]`.
fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        if !a.path().is_ident("path") {
            return None;
        }
        let nv = a.meta.require_name_value().ok()?;
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

/// `#[cfg_attr(pred, path = "...")]`: (pred, path) in order.
fn path_variants(attrs: &[Attribute]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("cfg_attr")) {
        let Ok(list) = a.meta.require_list() else {
            continue;
        };
        let Ok(metas) = list.parse_args_with(
            syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let mut it = metas.into_iter();
        let Some(pred) = it.next() else { continue };
        for m in it {
            if let syn::Meta::NameValue(nv) = m
                && nv.path.is_ident("path")
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
            {
                out.push((pred.to_token_stream().to_string(), s.value()));
            }
        }
    }
    out
}

/// `#[cfg(pred)]` as an attribute list.
fn cfg_attr_of(pred: &str) -> Vec<Attribute> {
    let text = format!("#[cfg({pred})] struct S;");
    syn::parse_str::<syn::ItemStruct>(&text)
        .map(|s| s.attrs)
        .unwrap_or_default()
}

/// The attributes of an item the skimming parser keeps.
fn attrs_mut(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::Struct(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Const(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::ExternCrate(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        _ => return None,
    })
}

/// The invocation's own attributes (e.g. `#[cfg(x)] cfg_rt! { ... }`) and `extra`
/// prepended to each item.
fn prepend(items: &mut [Item], outer: &[Attribute], extra: &[Attribute]) {
    for it in items {
        if let Some(a) = attrs_mut(it) {
            let mut new: Vec<Attribute> = outer.iter().filter(|a| is_cfg(a)).cloned().collect();
            new.extend(extra.iter().cloned());
            new.append(a);
            *a = new;
        }
    }
}

fn is_cfg(a: &Attribute) -> bool {
    a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")
}

/// A `macro_rules!` body of the item-wrapper shape: its only rule (or its first, when
/// the others start with a literal token) is `($($i:item)*) => { $( ATTRS $i )* }`.
fn wrapper(body: &TokenStream) -> Option<Wrapper> {
    let tts: Vec<TokenTree> = body.clone().into_iter().collect();
    let mut rules = Vec::new();
    let mut i = 0;
    while i < tts.len() {
        let TokenTree::Group(matcher) = &tts[i] else {
            return None;
        };
        // `=>`
        let arrow = matches!((tts.get(i + 1), tts.get(i + 2)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == '=' && b.as_char() == '>');
        if !arrow {
            return None;
        }
        let Some(TokenTree::Group(body)) = tts.get(i + 3) else {
            return None;
        };
        rules.push((matcher.stream(), body.stream()));
        i += 4;
        if let Some(TokenTree::Punct(p)) = tts.get(i)
            && p.as_char() == ';'
        {
            i += 1;
        }
    }
    if rules.len() != 1 {
        return None;
    }
    let (matcher, body) = &rules[0];
    let var = item_repetition(matcher)?;
    let b: Vec<TokenTree> = body.clone().into_iter().collect();
    if let Some(w) = delegating(&b, &var) {
        return Some(w);
    }
    // body: `$( ATTRS $var )*`
    let inner = repetition(&b)?;
    let n = inner.len();
    if n < 2 {
        return None;
    }
    let (TokenTree::Punct(d2), TokenTree::Ident(v)) = (&inner[n - 2], &inner[n - 1]) else {
        return None;
    };
    if d2.as_char() != '$' || *v != var {
        return None;
    }
    let attrs_tokens: TokenStream = inner[..n - 2].iter().cloned().collect();
    if attrs_tokens
        .clone()
        .into_iter()
        .any(|t| matches!(&t, TokenTree::Punct(p) if p.as_char() == '$'))
    {
        return None;
    }
    let attrs = syn::parse::Parser::parse2(Attribute::parse_outer, attrs_tokens).ok()?;
    Some(Wrapper {
        attrs,
        delegate: None,
    })
}

/// `ATTRS other! { $($var)* }`.
fn delegating(b: &[TokenTree], var: &str) -> Option<Wrapper> {
    let n = b.len();
    if n < 3 {
        return None;
    }
    let (TokenTree::Ident(name), TokenTree::Punct(bang), TokenTree::Group(g)) =
        (&b[n - 3], &b[n - 2], &b[n - 1])
    else {
        return None;
    };
    if bang.as_char() != '!' {
        return None;
    }
    // `$($var)*`
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    let rep = repetition_any(&inner)?;
    if !matches!(rep.as_slice(), [TokenTree::Punct(d2), TokenTree::Ident(v)] if d2.as_char() == '$' && v == var)
    {
        return None;
    }
    let attrs_tokens: TokenStream = b[..n - 3].iter().cloned().collect();
    let attrs = syn::parse::Parser::parse2(Attribute::parse_outer, attrs_tokens).ok()?;
    Some(Wrapper {
        attrs,
        delegate: Some(name.to_string()),
    })
}

/// The name a macro invocation calls (`cfg_if` for `cfg_if::cfg_if!`).
pub(crate) fn macro_name(m: &syn::Macro) -> String {
    m.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// The tokens inside `$( ... )*` when `tokens` is exactly that repetition.
fn repetition(tokens: &[TokenTree]) -> Option<Vec<TokenTree>> {
    match tokens {
        [TokenTree::Punct(_), TokenTree::Group(g), _]
            if g.delimiter() == Delimiter::Parenthesis =>
        {
            repetition_any(tokens)
        }
        _ => None,
    }
}

/// [`repetition`] with any delimiter around the repeated tokens.
fn repetition_any(tokens: &[TokenTree]) -> Option<Vec<TokenTree>> {
    match tokens {
        [
            TokenTree::Punct(d),
            TokenTree::Group(g),
            TokenTree::Punct(star),
        ] if d.as_char() == '$' && star.as_char() == '*' => Some(g.stream().into_iter().collect()),
        _ => None,
    }
}

/// `$($var:item)*` -> `var`.
fn item_repetition(matcher: &TokenStream) -> Option<String> {
    let m: Vec<TokenTree> = matcher.clone().into_iter().collect();
    let inner = repetition(&m)?;
    match inner.as_slice() {
        [
            TokenTree::Punct(d),
            TokenTree::Ident(v),
            TokenTree::Punct(c),
            TokenTree::Ident(k),
        ] if d.as_char() == '$' && c.as_char() == ':' && k == "item" => Some(v.to_string()),
        _ => None,
    }
}

/// `cfg_select! { a => { .. } b => { .. } _ => { .. } }` (core's macro): the first arm
/// whose predicate holds.
fn cfg_select(tokens: &TokenStream, outer: &[Attribute]) -> Option<Vec<Item>> {
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let arrow = |i: usize| {
        matches!((tts.get(i), tts.get(i + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == '=' && b.as_char() == '>')
    };
    let mut i = 0;
    let mut previous: Vec<String> = Vec::new();
    let mut out = Vec::new();
    while i < tts.len() {
        // The predicate: the tokens up to `=>`.
        let start = i;
        while i < tts.len() && !arrow(i) {
            i += 1;
        }
        if i >= tts.len() {
            return None;
        }
        let pred: Vec<TokenTree> = tts[start..i].to_vec();
        i += 2;
        let Some(TokenTree::Group(body)) = tts.get(i) else {
            return None;
        };
        if body.delimiter() != Delimiter::Brace {
            return None;
        }
        i += 1;
        if let Some(TokenTree::Punct(p)) = tts.get(i)
            && p.as_char() == ','
        {
            i += 1;
        }
        let wildcard = matches!(pred.as_slice(), [TokenTree::Ident(u)] if u == "_");
        let pred = pred.into_iter().collect::<TokenStream>().to_string();
        let cond = match (wildcard, previous.is_empty()) {
            (true, true) => "all()".to_string(),
            (true, false) => format!("not(any({}))", previous.join(", ")),
            (false, true) => pred.clone(),
            (false, false) => format!("all(not(any({})), {pred})", previous.join(", ")),
        };
        let mut items = source::parse_items(body.stream()).ok()?;
        prepend(&mut items, outer, &cfg_attr_of(&cond));
        out.extend(items);
        if wildcard {
            break;
        }
        previous.push(pred);
    }
    Some(out)
}

/// `cfg_if! { if #[cfg(a)] { .. } else if #[cfg(b)] { .. } else { .. } }`.
fn cfg_if(tokens: &TokenStream, outer: &[Attribute]) -> Option<Vec<Item>> {
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut i = 0;
    let mut previous: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        let is_if = matches!(tts.get(i), Some(TokenTree::Ident(k)) if k == "if");
        let (pred, body) = if is_if {
            let (
                Some(TokenTree::Punct(h)),
                Some(TokenTree::Group(attr)),
                Some(TokenTree::Group(body)),
            ) = (tts.get(i + 1), tts.get(i + 2), tts.get(i + 3))
            else {
                return None;
            };
            if h.as_char() != '#' || body.delimiter() != Delimiter::Brace {
                return None;
            }
            // `cfg(pred)`
            let a: Vec<TokenTree> = attr.stream().into_iter().collect();
            let [TokenTree::Ident(cfg), TokenTree::Group(p)] = a.as_slice() else {
                return None;
            };
            if cfg != "cfg" {
                return None;
            }
            i += 4;
            (Some(p.stream().to_string()), body.stream())
        } else {
            let Some(TokenTree::Group(body)) = tts.get(i) else {
                return None;
            };
            i += 1;
            (None, body.stream())
        };
        let cond = match (&pred, previous.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("all(not(any({})), {p})", previous.join(", ")),
            (None, _) => format!("not(any({}))", previous.join(", ")),
        };
        let mut items = source::parse_items(body).ok()?;
        prepend(&mut items, outer, &cfg_attr_of(&cond));
        out.extend(items);
        let Some(p) = pred else { break };
        previous.push(p);
        match tts.get(i) {
            None => break,
            Some(TokenTree::Ident(e)) if e == "else" => i += 1,
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::target::{X86_64_LINUX, X86_64_WINDOWS_MSVC};

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn structs(tree: &Tree) -> Vec<(String, String, usize)> {
        let mut out = Vec::new();
        for f in &tree.files {
            fn visit(items: &[Item], module: String, out: &mut Vec<(String, String, usize)>) {
                for it in items {
                    match it {
                        Item::Struct(s) => {
                            out.push((module.clone(), s.ident.to_string(), s.attrs.len()))
                        }
                        Item::Mod(m) => {
                            if let Some((_, inner)) = &m.content {
                                visit(inner, format!("{module}::{}", m.ident), out);
                            }
                        }
                        _ => {}
                    }
                }
            }
            visit(&f.ast.items, f.module.join("::"), &mut out);
        }
        out.sort();
        out
    }

    #[test]
    fn follows_mod_declarations_paths_and_item_macros() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            root,
            "src/lib.rs",
            "#[macro_use] mod macros;\nmod a;\n#[path = \"other/b_impl.rs\"] mod b;\n\
             cfg_rt! { pub mod rt; pub struct InMacro; }\n\
             cfg_if::cfg_if! { if #[cfg(unix)] { mod unix_only; } else { mod other_os; } }\n\
             #[cfg(windows)] mod never_on_linux;\nmod inline { mod deep; }\n",
        );
        write(
            root,
            "src/macros.rs",
            "macro_rules! cfg_rt { ($($item:item)*) => { $( #[cfg(feature = \"rt\")] $item )* } }",
        );
        write(root, "src/a.rs", "mod child; pub struct A;");
        write(root, "src/a/child.rs", "pub struct Child;");
        write(root, "src/other/b_impl.rs", "mod sub; pub struct B;");
        write(root, "src/other/sub.rs", "pub struct Sub;");
        write(root, "src/rt/mod.rs", "pub struct Rt;");
        write(root, "src/unix_only.rs", "pub struct U;");
        write(root, "src/other_os.rs", "pub struct O;");
        write(root, "src/never_on_linux.rs", "pub struct W;");
        write(root, "src/inline/deep.rs", "pub struct Deep;");
        write(root, "src/orphan.rs", "pub struct Orphan;");
        let mut errors = Vec::new();
        let lin = [CfgTarget::new(&X86_64_LINUX)];
        let tree = walk(&root.join("src/lib.rs"), &lin, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<String> = structs(&tree)
            .into_iter()
            .map(|(m, n, _)| format!("{m}/{n}"))
            .collect();
        assert_eq!(
            names,
            [
                "/InMacro",
                "a/A",
                "a::child/Child",
                "b/B",
                "b::sub/Sub",
                "inline::deep/Deep",
                "unix_only/U"
            ],
            "orphan.rs is never read; on Linux without features, the windows, other_os \
             (cfg_if's else) and rt (feature) modules are not followed"
        );
        // The macro's cfg reached the items it re-emitted; cfg_if's branches got theirs.
        let in_macro = &tree
            .files
            .iter()
            .find(|f| f.module.is_empty())
            .unwrap()
            .ast
            .items;
        let s = in_macro
            .iter()
            .find_map(|i| match i {
                Item::Struct(s) if s.ident == "InMacro" => Some(s),
                _ => None,
            })
            .unwrap();
        assert!(
            s.attrs[0]
                .to_token_stream()
                .to_string()
                .contains("feature = \"rt\"")
        );
        let win = [CfgTarget::new(&X86_64_WINDOWS_MSVC)];
        let tree = walk(&root.join("src/lib.rs"), &win, &mut errors);
        let names: Vec<String> = structs(&tree).into_iter().map(|(_, n, _)| n).collect();
        assert!(names.contains(&"W".to_string()));
    }

    #[test]
    fn cfg_attr_path_variants_carry_their_condition() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            root,
            "src/lib.rs",
            "#[cfg_attr(unix, path = \"sys/unix.rs\")]\n#[cfg_attr(windows, path = \"sys/windows.rs\")]\nmod sys;",
        );
        write(root, "src/sys/unix.rs", "pub struct Sys { fd: i32 }");
        write(root, "src/sys/windows.rs", "pub struct Sys { h: usize }");
        let mut errors = Vec::new();
        let both = [
            CfgTarget::new(&X86_64_LINUX),
            CfgTarget::new(&X86_64_WINDOWS_MSVC),
        ];
        let tree = walk(&root.join("src/lib.rs"), &both, &mut errors);
        assert_eq!(tree.files.len(), 3, "{errors:?}");
        for f in &tree.files[..2] {
            let Item::Struct(s) = &f.ast.items[0] else {
                panic!()
            };
            let cond = s.attrs[0].to_token_stream().to_string();
            assert!(cond.starts_with("# [cfg"), "{cond}");
            let lin = cfg::presence(&s.attrs, &both[0]) == Tri::True;
            let win = cfg::presence(&s.attrs, &both[1]) == Tri::True;
            assert!(lin != win, "each variant exists on exactly one of the two");
        }
        let lin_only = [CfgTarget::new(&X86_64_LINUX)];
        let tree = walk(&root.join("src/lib.rs"), &lin_only, &mut errors);
        assert_eq!(
            tree.files.len(),
            2,
            "windows.rs is not read for Linux alone"
        );
    }

    #[test]
    fn cfg_select_delegating_wrappers_and_two_declarations_of_one_module() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            root,
            "src/lib.rs",
            "macro_rules! inner { ($($i:item)*) => { $( #[cfg(feature = \"x\")] $i )* } }\n\
             macro_rules! outer { ($($i:item)*) => { #[cfg(unix)] inner! { $($i)* } } }\n\
             outer! { pub struct Both; }\n\
             cfg_select! { windows => { mod win; } _ => { mod other; } }\n\
             #[cfg(unix)] #[path = \"u.rs\"] mod imp;\n#[cfg(windows)] #[path = \"w.rs\"] mod imp;\n",
        );
        write(root, "src/win.rs", "pub struct Win;");
        write(root, "src/other.rs", "pub struct Other;");
        write(root, "src/u.rs", "pub struct Imp { fd: i32 }");
        write(root, "src/w.rs", "pub struct Imp { h: usize }");
        let mut errors = Vec::new();
        let lin = CfgTarget::new(&X86_64_LINUX);
        let win = CfgTarget::new(&X86_64_WINDOWS_MSVC);
        let tree = walk(
            &root.join("src/lib.rs"),
            &[lin.clone(), win.clone()],
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let mut seen = Vec::new();
        for f in &tree.files {
            for it in &f.ast.items {
                if let Item::Struct(s) = it {
                    let on = |t: &CfgTarget| cfg::presence(&s.attrs, t) == Tri::True;
                    seen.push((s.ident.to_string(), on(&lin), on(&win)));
                }
            }
        }
        seen.sort();
        assert_eq!(
            seen,
            [
                // feature "x" is off in plain mode, whichever wrapper added it
                ("Both".to_string(), false, false),
                ("Imp".to_string(), false, true),
                ("Imp".to_string(), true, false),
                ("Other".to_string(), true, false),
                ("Win".to_string(), false, true),
            ]
        );
        assert!(tree.unexpanded.is_empty(), "{:?}", tree.unexpanded);
    }

    #[test]
    fn unknown_macros_are_counted_and_path_cycles_end() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            root,
            "src/lib.rs",
            "lazy_static! { static ref X: u8 = 1; }\n#[path = \"lib.rs\"] mod again;",
        );
        let mut errors = Vec::new();
        let tree = walk(&root.join("src/lib.rs"), &[], &mut errors);
        assert_eq!(tree.files.len(), 1);
        assert_eq!(tree.unexpanded.len(), 1);
        assert_eq!(tree.unexpanded[0].0, "lazy_static");
    }

    /// The index over a walked tree and what `path` (from the root) names on `t`.
    fn resolves(tree: Tree, path: &[&str], t: &CfgTarget) -> Option<crate::index::Res> {
        let ix = crate::index::Index::build(tree.files);
        let segs: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        ix.resolve(0, &segs, false, t)
    }

    #[test]
    fn included_files_and_their_modules_are_items_of_the_includer() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            root,
            "src/lib.rs",
            "include!(\"gen/mod.rs\");\npub struct I;\n",
        );
        write(
            root,
            "src/gen/mod.rs",
            "pub mod deep;\npub struct Extra(u16);\n",
        );
        write(root, "src/gen/deep.rs", "pub struct D { a: u32 }\n");
        let lin = [CfgTarget::new(&X86_64_LINUX)];
        let mut errors = Vec::new();
        let tree = walk(&root.join("src/lib.rs"), &lin, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<String> = structs(&tree)
            .into_iter()
            .map(|(m, n, _)| format!("{m}/{n}"))
            .collect();
        // `mod deep;` of the included file is found beside it, as `crate::deep`.
        assert_eq!(names, ["/Extra", "/I", "deep/D"]);
    }

    #[test]
    fn a_child_of_several_path_variants_resolves_on_each_target() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            root,
            "src/lib.rs",
            "#[cfg_attr(unix, path = \"sys/a.rs\")]\n#[cfg_attr(windows, path = \"sys/b.rs\")]\nmod sys;\n",
        );
        write(root, "src/sys/a.rs", "mod common;\npub use common::S;\n");
        write(root, "src/sys/b.rs", "mod common;\npub use common::S;\n");
        write(root, "src/sys/common.rs", "pub struct S { x: u16 }\n");
        let both = [
            CfgTarget::new(&X86_64_LINUX),
            CfgTarget::new(&X86_64_WINDOWS_MSVC),
        ];
        for t in &both {
            let mut errors = Vec::new();
            let tree = walk(&root.join("src/lib.rs"), &both, &mut errors);
            assert!(errors.is_empty(), "{errors:?}");
            // common.rs is loaded once per variant; each copy wears its variant's
            // condition, so exactly one `S` exists on each target.
            assert!(
                matches!(
                    resolves(tree, &["sys", "S"], t),
                    Some(crate::index::Res::Struct(_))
                ),
                "{}",
                t.row.short
            );
        }
    }
}
