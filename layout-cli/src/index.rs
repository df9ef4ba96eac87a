//! The crate's items across its files, and name resolution over them.
//!
//! Built once from the parsed files and shared by every target; only `cfg` evaluation
//! (which items exist) depends on the target. Modules come from file paths
//! (`src/a/b.rs` is `crate::a::b`, as rustc finds them without `#[path]`) and from
//! inline `mod x { ... }`; items inside function bodies are not indexed.

use std::collections::HashMap;

use syn::{Attribute, Item, UseTree};

use crate::cfg::{self, CfgTarget};
use crate::source::SourceFile;

/// Index of a module in [`Index::modules`].
pub type ModId = usize;

/// How deep `use` chains and re-exports are followed before giving up (cycles).
const MAX_RESOLVE_DEPTH: usize = 24;

/// One module.
#[derive(Debug, Default)]
pub struct Module {
    /// Path from the crate root (`[]` is the root).
    pub path: Vec<String>,
    /// The parent module.
    pub parent: Option<ModId>,
    /// `cfg`-bearing attributes of the declaration (`mod x;` / `mod x {}` and `#![...]`).
    pub attrs: Vec<Attribute>,
    /// Named items, several per name when `cfg` selects between them.
    pub items: HashMap<String, Vec<Entry>>,
    /// `use path::*;`
    pub globs: Vec<UseEntry>,
}

/// A named thing in a module.
#[derive(Clone, Debug)]
pub struct Entry {
    /// What it is.
    pub def: Def,
    /// Its attributes (for `cfg`).
    pub attrs: Vec<Attribute>,
}

/// A definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Def {
    /// Index into [`Index::structs`].
    Struct(usize),
    /// Index into [`Index::enums`].
    Enum(usize),
    /// Index into [`Index::unions`].
    Union(usize),
    /// Index into [`Index::aliases`].
    Alias(usize),
    /// Index into [`Index::consts`].
    Const(usize),
    /// A child module.
    Module(ModId),
    /// A `use`: resolved lazily.
    Use(UseEntry),
}

/// A `use` import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseEntry {
    /// The full path (for a glob, the module's path).
    pub path: Vec<String>,
    /// Written with a leading `::`.
    pub global: bool,
}

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    /// A struct of this crate.
    Struct(usize),
    /// An enum of this crate.
    Enum(usize),
    /// A union of this crate.
    Union(usize),
    /// A type alias of this crate.
    Alias(usize),
    /// A `const` of this crate.
    Const(usize),
    /// A module of this crate.
    Module(ModId),
    /// Something outside this crate (or the prelude): its path as written after
    /// following local `use`s, e.g. `["std", "sync", "Mutex"]` or `["u8"]`.
    Extern(Vec<String>),
}

/// An item and where it is.
#[derive(Debug)]
pub struct Def_<T> {
    /// The syntax.
    pub item: T,
    /// The module it is in.
    pub module: ModId,
    /// Index into [`Index::files`].
    pub file: usize,
}

/// Appends a definition and returns its index.
fn push_def<T: Clone>(defs: &mut Vec<Def_<T>>, item: &T, module: ModId, file: usize) -> usize {
    defs.push(Def_ {
        item: item.clone(),
        module,
        file,
    });
    defs.len() - 1
}

/// A struct and where it is.
pub type StructDef = Def_<syn::ItemStruct>;

/// Every item of the crate that layouts need.
#[derive(Debug, Default)]
pub struct Index {
    /// The parsed files.
    pub files: Vec<SourceFile>,
    /// Modules; 0 is the crate root.
    pub modules: Vec<Module>,
    /// Structs in file order then source order.
    pub structs: Vec<StructDef>,
    /// Enums.
    pub enums: Vec<Def_<syn::ItemEnum>>,
    /// Unions.
    pub unions: Vec<Def_<syn::ItemUnion>>,
    /// Type aliases.
    pub aliases: Vec<Def_<syn::ItemType>>,
    /// Constants (for array lengths).
    pub consts: Vec<Def_<syn::ItemConst>>,
    /// `cfg` results, memoised per attribute list and target.
    pub cfg: cfg::CfgCache,
    module_on: std::cell::RefCell<HashMap<(ModId, usize), bool>>,
    by_path: HashMap<Vec<String>, ModId>,
    /// `mod x;` declarations: child path -> attributes.
    decls: HashMap<Vec<String>, Vec<Attribute>>,
}

impl Index {
    /// Indexes the files.
    pub fn build(files: Vec<SourceFile>) -> Index {
        let mut ix = Index::default();
        ix.module_for(&[]);
        for (fi, file) in files.iter().enumerate() {
            let m = ix.module_for(&file.module);
            ix.modules[m]
                .attrs
                .extend(file.ast.attrs.iter().filter(|a| is_cfg(a)).cloned());
            ix.add_items(m, fi, &file.ast.items, 0);
        }
        let decls = std::mem::take(&mut ix.decls);
        for (path, attrs) in decls {
            if let Some(&m) = ix.by_path.get(&path) {
                let mut attrs = attrs;
                attrs.append(&mut ix.modules[m].attrs);
                ix.modules[m].attrs = attrs;
            }
        }
        ix.files = files;
        ix
    }

    /// The module with this path, created (with its ancestors) if missing.
    fn module_for(&mut self, path: &[String]) -> ModId {
        if let Some(&m) = self.by_path.get(path) {
            return m;
        }
        let parent = if path.is_empty() {
            None
        } else {
            Some(self.module_for(&path[..path.len() - 1]))
        };
        let id = self.modules.len();
        self.modules.push(Module {
            path: path.to_vec(),
            parent,
            ..Module::default()
        });
        self.by_path.insert(path.to_vec(), id);
        if let (Some(p), Some(name)) = (parent, path.last()) {
            self.modules[p]
                .items
                .entry(name.clone())
                .or_default()
                .push(Entry {
                    def: Def::Module(id),
                    attrs: Vec::new(),
                });
        }
        id
    }

    fn add_items(&mut self, m: ModId, file: usize, items: &[Item], depth: usize) {
        if depth > 64 {
            return;
        }
        for item in items {
            match item {
                Item::Struct(s) => {
                    let id = push_def(&mut self.structs, s, m, file);
                    self.add(m, &s.ident, Def::Struct(id), &s.attrs);
                }
                Item::Enum(e) => {
                    let id = push_def(&mut self.enums, e, m, file);
                    self.add(m, &e.ident, Def::Enum(id), &e.attrs);
                }
                Item::Union(u) => {
                    let id = push_def(&mut self.unions, u, m, file);
                    self.add(m, &u.ident, Def::Union(id), &u.attrs);
                }
                Item::Type(t) => {
                    let id = push_def(&mut self.aliases, t, m, file);
                    self.add(m, &t.ident, Def::Alias(id), &t.attrs);
                }
                Item::Const(c) => {
                    let id = push_def(&mut self.consts, c, m, file);
                    self.add(m, &c.ident, Def::Const(id), &c.attrs);
                }
                Item::Use(u) => {
                    let mut out = Vec::new();
                    flatten_use(
                        &u.tree,
                        &mut Vec::new(),
                        u.leading_colon.is_some(),
                        &mut out,
                        0,
                    );
                    for (name, entry) in out {
                        match name {
                            None => self.modules[m].globs.push(entry),
                            Some(name) => {
                                self.modules[m].items.entry(name).or_default().push(Entry {
                                    def: Def::Use(entry),
                                    attrs: cfg_attrs(&u.attrs),
                                })
                            }
                        }
                    }
                }
                Item::ExternCrate(e) => {
                    let name = e.rename.as_ref().map_or(&e.ident, |(_, r)| r).to_string();
                    if name != "_" {
                        self.modules[m].items.entry(name).or_default().push(Entry {
                            def: Def::Use(UseEntry {
                                path: vec![e.ident.to_string()],
                                global: true,
                            }),
                            attrs: cfg_attrs(&e.attrs),
                        });
                    }
                }
                Item::Mod(md) => {
                    let mut path = self.modules[m].path.clone();
                    path.push(md.ident.to_string());
                    match &md.content {
                        Some((_, items)) => {
                            let child = self.module_for(&path);
                            let mut attrs = cfg_attrs(&md.attrs);
                            self.modules[child].attrs.append(&mut attrs);
                            self.add_items(child, file, items, depth + 1);
                        }
                        None => {
                            self.decls.insert(path, cfg_attrs(&md.attrs));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn add(&mut self, m: ModId, ident: &syn::Ident, def: Def, attrs: &[Attribute]) {
        self.modules[m]
            .items
            .entry(ident.to_string())
            .or_default()
            .push(Entry {
                def,
                attrs: cfg_attrs(attrs),
            });
    }

    /// Whether module `m` exists on this target (its and its ancestors' `cfg`s hold).
    pub fn module_enabled(&self, m: ModId, t: &CfgTarget) -> bool {
        let key = (m, std::ptr::from_ref(t.row) as usize);
        if let Some(&on) = self.module_on.borrow().get(&key) {
            return on;
        }
        let on = self.cfg.enabled(&self.modules[m].attrs, t)
            && self.modules[m]
                .parent
                .is_none_or(|p| p != m && self.module_enabled(p, t));
        self.module_on.borrow_mut().insert(key, on);
        on
    }

    /// `crate::a::b` for module `m`.
    pub fn module_name(&self, m: ModId) -> String {
        let mut s = String::from("crate");
        for p in &self.modules[m].path {
            s.push_str("::");
            s.push_str(p);
        }
        s
    }

    /// Resolves a path written in module `m`.
    pub fn resolve(&self, m: ModId, segs: &[String], global: bool, t: &CfgTarget) -> Option<Res> {
        self.resolve_in(m, segs, global, t, 0)
    }

    fn resolve_in(
        &self,
        m: ModId,
        segs: &[String],
        global: bool,
        t: &CfgTarget,
        depth: usize,
    ) -> Option<Res> {
        if depth > MAX_RESOLVE_DEPTH || segs.is_empty() {
            return None;
        }
        if global {
            return Some(Res::Extern(segs.to_vec()));
        }
        let mut i = 0;
        let mut cur: Res = match segs[0].as_str() {
            "crate" => {
                i = 1;
                Res::Module(0)
            }
            "self" => {
                i = 1;
                Res::Module(m)
            }
            "super" => {
                let mut at = m;
                while i < segs.len() && segs[i] == "super" {
                    at = self.modules[at].parent?;
                    i += 1;
                }
                Res::Module(at)
            }
            first => {
                i = 1;
                match self.lookup(m, first, t, depth + 1, segs.len() == 1) {
                    Some(r) => r,
                    None => Res::Extern(vec![first.to_string()]),
                }
            }
        };
        while i < segs.len() {
            let last = i + 1 == segs.len();
            cur = match cur {
                Res::Module(md) => self.lookup(md, &segs[i], t, depth + 1, last)?,
                Res::Extern(mut p) => {
                    p.push(segs[i].clone());
                    Res::Extern(p)
                }
                _ => return None,
            };
            i += 1;
        }
        Some(cur)
    }

    /// The item `name` in module `m` on this target: own items, then `use`s, then globs.
    /// A glob from another crate (`use std::sync::atomic::*`) can only supply the last
    /// segment of a path (the type itself): we cannot know which modules it holds.
    fn lookup(
        &self,
        m: ModId,
        name: &str,
        t: &CfgTarget,
        depth: usize,
        extern_globs: bool,
    ) -> Option<Res> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        let module = &self.modules[m];
        let mut via_use = None;
        if let Some(entries) = module.items.get(name) {
            // Two present type definitions of one name in one module only happen when
            // several crate roots (`main.rs`, `lib.rs`, `bin/*.rs`) share the root module
            // here: ambiguous, so unresolved rather than possibly wrong.
            let mut found: Option<Res> = None;
            let mut value: Option<Res> = None;
            for e in entries {
                if !self.cfg.enabled(&e.attrs, t) {
                    continue;
                }
                let r = match &e.def {
                    Def::Struct(i) => Res::Struct(*i),
                    Def::Enum(i) => Res::Enum(*i),
                    Def::Union(i) => Res::Union(*i),
                    Def::Alias(i) => Res::Alias(*i),
                    Def::Const(i) => {
                        value.get_or_insert(Res::Const(*i));
                        continue;
                    }
                    Def::Module(c) => {
                        if !self.module_enabled(*c, t) {
                            continue;
                        }
                        Res::Module(*c)
                    }
                    Def::Use(u) => {
                        via_use.get_or_insert(u);
                        continue;
                    }
                };
                match &found {
                    None => found = Some(r),
                    Some(prev) if *prev != r => return None,
                    Some(_) => {}
                }
            }
            if let Some(r) = found.or(value) {
                return Some(r);
            }
        }
        if let Some(u) = via_use {
            // `use x::y;` inside module `m` resolves from `m` (uniform paths); a use of
            // a name that is not local is an external crate.
            return self.resolve_in(m, &u.path, u.global, t, depth + 1);
        }
        let mut extern_hit = None;
        for g in &module.globs {
            match self.resolve_in(m, &g.path, g.global, t, depth + 1) {
                Some(Res::Module(gm)) if gm != m => {
                    if let Some(r) = self.lookup(gm, name, t, depth + 1, extern_globs) {
                        return Some(r);
                    }
                }
                Some(Res::Extern(mut p))
                    if extern_globs && extern_hit.is_none() && !is_prelude(name) =>
                {
                    p.push(name.to_string());
                    extern_hit = Some(Res::Extern(p));
                }
                _ => {}
            }
        }
        extern_hit
    }
}

/// Primitive and prelude type names, which a glob import from another crate does not
/// normally shadow.
pub fn is_prelude(name: &str) -> bool {
    matches!(
        name,
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
            | "bool"
            | "char"
            | "str"
            | "Option"
            | "Box"
            | "Vec"
            | "String"
            | "Result"
    )
}

fn is_cfg(a: &Attribute) -> bool {
    a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")
}

fn cfg_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs.iter().filter(|a| is_cfg(a)).cloned().collect()
}

/// Flattens a use tree into `(imported name or None for a glob, path)`.
fn flatten_use(
    tree: &UseTree,
    prefix: &mut Vec<String>,
    global: bool,
    out: &mut Vec<(Option<String>, UseEntry)>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, global, out, depth + 1);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last() {
                    out.push((
                        Some(last.clone()),
                        UseEntry {
                            path: prefix.clone(),
                            global,
                        },
                    ));
                }
            } else {
                let mut path = prefix.clone();
                path.push(name.clone());
                out.push((Some(name), UseEntry { path, global }));
            }
        }
        UseTree::Rename(r) => {
            let name = r.rename.to_string();
            if name == "_" {
                return;
            }
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((Some(name), UseEntry { path, global }));
        }
        UseTree::Glob(_) => out.push((
            None,
            UseEntry {
                path: prefix.clone(),
                global,
            },
        )),
        UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, global, out, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::target::{X86_64_LINUX, X86_64_WINDOWS_MSVC};

    fn file(module: &[&str], src: &str) -> SourceFile {
        SourceFile {
            path: format!("{}.rs", module.join("/")).into(),
            module: module.iter().map(|s| s.to_string()).collect(),
            text: src.into(),
            ast: syn::parse_file(src).unwrap(),
        }
    }

    fn segs(p: &str) -> Vec<String> {
        p.split("::").map(str::to_string).collect()
    }

    #[test]
    fn resolves_across_modules_uses_and_cfg() {
        let ix = Index::build(vec![
            file(
                &[],
                "mod a; #[cfg(windows)] mod w; use a::Inner as Renamed; pub struct Top;",
            ),
            file(
                &["a"],
                "pub struct Inner; pub mod deep { pub use super::super::Top; } use std::sync::atomic::*;",
            ),
            file(&["w"], "pub struct OnlyWin;"),
        ]);
        let lin = CfgTarget::new(&X86_64_LINUX);
        let win = CfgTarget::new(&X86_64_WINDOWS_MSVC);
        let inner = ix.resolve(0, &segs("Renamed"), false, &lin);
        assert!(matches!(inner, Some(Res::Struct(i)) if ix.structs[i].item.ident == "Inner"));
        let top = ix.resolve(1, &segs("deep::Top"), false, &lin);
        assert!(matches!(top, Some(Res::Struct(i)) if ix.structs[i].item.ident == "Top"));
        let crate_path = ix.resolve(1, &segs("crate::a::Inner"), false, &lin);
        assert_eq!(crate_path, inner);
        assert_eq!(
            ix.resolve(1, &segs("AtomicU64"), false, &lin),
            Some(Res::Extern(segs("std::sync::atomic::AtomicU64")))
        );
        assert_eq!(
            ix.resolve(1, &segs("u8"), false, &lin),
            Some(Res::Extern(segs("u8")))
        );
        assert!(matches!(
            ix.resolve(0, &segs("w::OnlyWin"), false, &win),
            Some(Res::Struct(_))
        ));
        assert_eq!(
            ix.resolve(0, &segs("w::OnlyWin"), false, &lin),
            Some(Res::Extern(segs("w::OnlyWin")))
        );
        let w = ix
            .structs
            .iter()
            .find(|s| s.item.ident == "OnlyWin")
            .unwrap();
        assert!(!ix.module_enabled(w.module, &lin) && ix.module_enabled(w.module, &win));
    }

    #[test]
    fn use_cycles_terminate() {
        let ix = Index::build(vec![file(&[], "use self::B as A; use self::A as B;")]);
        let lin = CfgTarget::new(&X86_64_LINUX);
        // Either unresolved or external; never a hang or a stack overflow.
        let _ = ix.resolve(0, &segs("A"), false, &lin);
    }
}
