//! Finds every struct declaration in a package's source files: module level, inside
//! inline modules, and `struct Name ...` written literally inside item macro
//! invocations (`cfg_if!`, `cfg_rt!`, ...). Each becomes a [`Decl`] with the byte offset
//! right after its item, where the probes go, so they sit in the struct's own module
//! (private structs and private fields are in scope there).

use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::spanned::Spanned;

use crate::analysis::StructKind;
use crate::engine::types::type_string;

/// One field as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDecl {
    /// Name; tuple fields are "0", "1", ...
    pub name: String,
    /// The type as written.
    pub ty: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Its `#[cfg(...)]` attributes as written.
    pub cfgs: Vec<String>,
}

/// A generic parameter, for building an instantiation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// `'a`.
    Lifetime(String),
    /// `T`.
    Type(String),
    /// `const N: usize`.
    Const(String),
}

/// One struct declaration.
#[derive(Clone, Debug)]
pub struct Decl {
    /// The file, relative to the package root.
    pub rel: PathBuf,
    /// 1-based line of the name.
    pub line: usize,
    /// 1-based column of the name.
    pub column: usize,
    /// The name.
    pub name: String,
    /// Inline modules between the file's module and the struct (`a::b`).
    pub inline: Vec<String>,
    /// Named, tuple or unit.
    pub kind: StructKind,
    /// The fields, `None` when a macro's tokens do not parse as a struct.
    pub fields: Option<Vec<FieldDecl>>,
    /// Generic parameters in order.
    pub params: Vec<Param>,
    /// `impl<T: Bound> Name<T> where ...`: the head of an inherent impl for every
    /// instantiation (the helpers of instance probes go in one).
    pub impl_head: String,
    /// The parts of that head: `<T: Bound>`, `Name<T>` and `where ...`, for a trait impl.
    pub impl_parts: (String, String, String),
    /// `#[cfg(...)]` attributes (as written) that decide whether it exists; copied
    /// onto its probes so a cfg'd-out variant's probes vanish with it.
    pub cfgs: Vec<String>,
    /// `#[repr(...)]` contents as written (`Rust` when none), for reports only rustc
    /// produced.
    pub repr_text: String,
    /// The repr as the rules need it.
    pub repr: layout::ReprInfo,
    /// Byte offset in the file where its probes are inserted.
    pub insert_at: usize,
    /// Declared inside a macro invocation.
    pub in_macro: bool,
    /// For one declared as an item of a macro whose input is items (`cfg_rt! { struct
    /// S ... }`, `cfg_if! { if #[cfg(..)] { struct S ... } }`): the byte offset right
    /// after it inside the invocation, and the macro's name. An item placed there is
    /// emitted (or dropped) with it, if the macro passes its items through.
    pub inner_at: Option<(usize, String)>,
    /// Another struct of this name is declared in the same module and one of them is
    /// inside a macro, or the struct is inside a macro and the module declares another
    /// type of its name (an enum, union, trait or type alias, e.g. `cfg_io! { enum S }
    /// cfg_not_io! { struct S }`), so a probe could not tell which one rustc compiled.
    pub ambiguous: bool,
}

impl Decl {
    /// Whether any parameter is a type or const (lifetimes alone do not change a layout).
    pub fn is_generic(&self) -> bool {
        self.params.iter().any(|p| !matches!(p, Param::Lifetime(_)))
    }
}

/// `text` parsed (a byte-order mark skipped), with the index that turns its spans into
/// the file's byte offsets; `None` when it does not parse.
fn parse_indexed(text: &str) -> Option<(syn::File, LineIndex<'_>)> {
    let (base, body) = match text.strip_prefix('\u{feff}') {
        Some(b) => (3, b),
        None => (0, text),
    };
    let file = syn::parse_file(body).ok()?;
    Some((file, LineIndex::new(body, base)))
}

/// Every struct declared in `text` (the file `rel`). A file that does not parse has
/// none (the static engine reports the parse error).
pub fn scan_file(rel: &Path, text: &str) -> Vec<Decl> {
    let Some((file, lines)) = parse_indexed(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut others = Vec::new();
    walk(
        &file.items,
        rel,
        &lines,
        &mut Vec::new(),
        &mut out,
        &mut others,
    );
    mark_ambiguous(&mut out, &others);
    out
}

/// (inline module path, name) of a type-namespace item that is not a struct.
type Other = (Vec<String>, String);

/// Byte offsets of line starts, for turning span positions into insertion points.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    base: usize,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str, base: usize) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts, base }
    }

    /// Byte offset (in the original file) of 1-based `line`, 0-based char `column`.
    fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return self.base + self.text.len();
        };
        let rest = &self.text[start..];
        let within = rest
            .char_indices()
            .nth(column)
            .map_or(rest.len(), |(i, _)| i);
        self.base + start + within
    }
}

fn walk(
    items: &[syn::Item],
    rel: &Path,
    lines: &LineIndex<'_>,
    inline: &mut Vec<String>,
    out: &mut Vec<Decl>,
    others: &mut Vec<Other>,
) {
    for item in items {
        let other = match item {
            syn::Item::Enum(e) => Some(&e.ident),
            syn::Item::Union(u) => Some(&u.ident),
            syn::Item::Type(t) => Some(&t.ident),
            syn::Item::Trait(t) => Some(&t.ident),
            _ => None,
        };
        if let Some(id) = other {
            others.push((inline.clone(), id.to_string()));
        }
        match item {
            syn::Item::Struct(s) => {
                let end = item.span().end();
                let at = lines.offset(end.line, end.column);
                out.push(decl(s, rel, inline, cfgs(&s.attrs), at, false));
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    inline.push(m.ident.to_string());
                    walk(items, rel, lines, inline, out, others);
                    inline.pop();
                }
            }
            syn::Item::Macro(m) if !m.mac.path.is_ident("macro_rules") => {
                let end = item.span().end();
                let at = lines.offset(end.line, end.column);
                let outer = cfgs(&m.attrs);
                let mut found = Vec::new();
                structs_in_tokens(m.mac.tokens.clone(), &mut found);
                other_types_in_tokens(m.mac.tokens.clone(), &mut |name| {
                    others.push((inline.clone(), name));
                });
                let items = item_structs(m, lines);
                for (s, inner_cfgs) in found {
                    let mut all = outer.clone();
                    all.extend(inner_cfgs);
                    let mut d = decl(&s, rel, inline, all, at, true);
                    d.inner_at = items
                        .iter()
                        .find(|(name, line, _)| *name == d.name && *line == d.line)
                        .map(|(_, _, at)| (*at, macro_name(m)));
                    out.push(d);
                }
            }
            _ => {}
        }
    }
}

fn macro_name(m: &syn::ItemMacro) -> String {
    m.mac
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// The structs that are items of the invocation `m` (its input parses as items; for
/// `cfg_if!`, the input of one of its branches): (name, line of the name, byte offset
/// right after the struct).
fn item_structs(m: &syn::ItemMacro, lines: &LineIndex<'_>) -> Vec<(String, usize, usize)> {
    let mut bodies = Vec::new();
    if macro_name(m) == "cfg_if" {
        for t in m.mac.tokens.clone() {
            if let TokenTree::Group(g) = t
                && g.delimiter() == Delimiter::Brace
            {
                bodies.push(g.stream());
            }
        }
    } else {
        bodies.push(m.mac.tokens.clone());
    }
    let mut out = Vec::new();
    for b in bodies {
        let Ok(file) = syn::parse2::<syn::File>(b) else {
            continue;
        };
        for item in &file.items {
            if let syn::Item::Struct(s) = item {
                let end = item.span().end();
                out.push((
                    s.ident.to_string(),
                    s.ident.span().start().line,
                    lines.offset(end.line, end.column),
                ));
            }
        }
    }
    out
}

/// The names of the `macro_rules!` macros of `text` whose first rule takes items and
/// nothing else (`($($item:item)*) => ...`): an invocation that matched it still does
/// with one more item.
pub fn item_macros(text: &str) -> Vec<String> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(file) = syn::parse_file(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack: Vec<&[syn::Item]> = vec![&file.items];
    while let Some(items) = stack.pop() {
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        stack.push(items);
                    }
                }
                syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                    let Some(name) = &m.ident else { continue };
                    let first = m.mac.tokens.clone().into_iter().next();
                    let Some(TokenTree::Group(g)) = first else {
                        continue;
                    };
                    let matcher: String = g
                        .stream()
                        .to_string()
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    let items_only = matcher
                        .strip_prefix("$($")
                        .and_then(|r| r.strip_suffix(":item)*"))
                        .is_some_and(|n| {
                            !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_')
                        });
                    if items_only {
                        out.push(name.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn cfgs(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .map(|a| quote::ToTokens::to_token_stream(a).to_string())
        .collect()
}

fn decl(
    s: &syn::ItemStruct,
    rel: &Path,
    inline: &[String],
    cfgs: Vec<String>,
    insert_at: usize,
    in_macro: bool,
) -> Decl {
    let p = s.ident.span().start();
    let fields: Vec<FieldDecl> = s
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let start = match &f.ident {
                Some(id) => id.span().start(),
                None => f.ty.span().start(),
            };
            FieldDecl {
                name: f
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), ToString::to_string),
                ty: type_string(&f.ty),
                line: start.line,
                column: start.column + 1,
                cfgs: self::cfgs(&f.attrs),
            }
        })
        .collect();
    // The helpers are for instantiations, which are sized: a `?Sized` parameter gets
    // `Sized` in the impl, so the offset and size of a field of that type can be asked.
    let mut generics = s.generics.clone();
    let maybe_sized = |b: &syn::TypeParamBound| matches!(b, syn::TypeParamBound::Trait(t) if matches!(t.modifier, syn::TraitBoundModifier::Maybe(_)));
    let mut unsized_params: Vec<syn::Ident> = s
        .generics
        .type_params()
        .filter(|t| t.bounds.iter().any(maybe_sized))
        .map(|t| t.ident.clone())
        .collect();
    for p in s.generics.where_clause.iter().flat_map(|w| &w.predicates) {
        if let syn::WherePredicate::Type(pt) = p
            && let syn::Type::Path(tp) = &pt.bounded_ty
            && let Some(id) = tp.path.get_ident()
            && pt.bounds.iter().any(maybe_sized)
        {
            unsized_params.push(id.clone());
        }
    }
    for id in unsized_params {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#id: ::core::marker::Sized));
    }
    let (ig, tg, wc) = generics.split_for_impl();
    let tokens = |t: &dyn quote::ToTokens| t.to_token_stream().to_string();
    let impl_parts = (
        tokens(&ig),
        format!("{}{}", s.ident, tokens(&tg)),
        tokens(&wc),
    );
    let impl_head = format!("impl {} {} {}", impl_parts.0, impl_parts.1, impl_parts.2);
    let params = s
        .generics
        .params
        .iter()
        .map(|g| match g {
            syn::GenericParam::Lifetime(l) => Param::Lifetime(l.lifetime.to_string()),
            syn::GenericParam::Type(t) => Param::Type(t.ident.to_string()),
            syn::GenericParam::Const(c) => Param::Const(c.ident.to_string()),
        })
        .collect();
    let cx = layout_syntax::Ctxt::new();
    let r = layout_syntax::parse_repr(&cx, &s.attrs);
    drop(cx.into_errors());
    let repr = layout::ReprInfo {
        c: r.kind == layout_syntax::ReprKind::C,
        transparent: r.kind == layout_syntax::ReprKind::Transparent,
        packed: r.packed.map(|p| p.value as usize),
        align: r.align.map(|a| a.value as usize),
    };
    let repr_text: Vec<String> = s
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("repr"))
        .filter_map(|a| a.meta.require_list().ok())
        .map(|l| crate::engine::types::tokens_string(l.tokens.clone()))
        .collect();
    Decl {
        rel: rel.to_path_buf(),
        line: p.line,
        column: p.column + 1,
        name: s.ident.to_string(),
        inline: inline.to_vec(),
        kind: match s.fields {
            syn::Fields::Named(_) => StructKind::Named,
            syn::Fields::Unnamed(_) => StructKind::Tuple,
            syn::Fields::Unit => StructKind::Unit,
        },
        fields: Some(fields),
        params,
        impl_head,
        impl_parts,
        cfgs,
        repr_text: if repr_text.is_empty() {
            "Rust".to_string()
        } else {
            repr_text.join(", ")
        },
        repr,
        insert_at,
        in_macro,
        inner_at: None,
        ambiguous: false,
    }
}

/// Every `struct Name ...` inside a macro's tokens (at any depth), parsed from its
/// `struct` keyword to its body, with the `#[cfg]` attributes written just before it.
/// Tokens that do not parse as a struct (fields built from `$metavariables`) are
/// skipped: the macro's output cannot be known without expanding it.
fn structs_in_tokens(ts: TokenStream, out: &mut Vec<(syn::ItemStruct, Vec<String>)>) {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    let mut i = 0;
    while i < toks.len() {
        if let TokenTree::Group(g) = &toks[i] {
            structs_in_tokens(g.stream(), out);
            i += 1;
            continue;
        }
        let is_struct = matches!(&toks[i], TokenTree::Ident(id) if id == "struct")
            && matches!(toks.get(i + 1), Some(TokenTree::Ident(_)));
        if !is_struct {
            i += 1;
            continue;
        }
        // The attributes just before (`#[...]` pairs, skipping a visibility).
        let mut cfg_attrs = Vec::new();
        let mut j = i;
        if j > 0
            && matches!(&toks[j - 1], TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis)
        {
            j -= 1;
        }
        if j > 0 && matches!(&toks[j - 1], TokenTree::Ident(id) if id == "pub") {
            j -= 1;
        }
        let mut attrs: Vec<TokenTree> = Vec::new();
        while j >= 2 {
            let (TokenTree::Punct(p), TokenTree::Group(g)) = (&toks[j - 2], &toks[j - 1]) else {
                break;
            };
            if p.as_char() != '#' || g.delimiter() != Delimiter::Bracket {
                break;
            }
            attrs.splice(0..0, [toks[j - 2].clone(), toks[j - 1].clone()]);
            j -= 2;
        }
        let mut end = i + 2;
        let mut done = false;
        while end < toks.len() {
            match &toks[end] {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    done = true;
                    break;
                }
                TokenTree::Punct(p) if p.as_char() == ';' => {
                    done = true;
                    break;
                }
                _ => end += 1,
            }
        }
        if done {
            let mut ts: TokenStream = attrs.into_iter().collect();
            ts.extend(toks[i..=end].iter().cloned());
            if let Ok(s) = syn::parse2::<syn::ItemStruct>(ts) {
                cfg_attrs.extend(cfgs(&s.attrs));
                out.push((s, cfg_attrs));
            }
            i = end + 1;
        } else {
            i += 2;
        }
    }
}

/// The names after `enum`, `union`, `trait` and `type` in a macro's tokens (at any
/// depth): types that may share a struct's name.
fn other_types_in_tokens(ts: TokenStream, found: &mut impl FnMut(String)) {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    for (i, t) in toks.iter().enumerate() {
        match t {
            TokenTree::Group(g) => other_types_in_tokens(g.stream(), found),
            TokenTree::Ident(id)
                if matches!(id.to_string().as_str(), "enum" | "union" | "trait" | "type") =>
            {
                if let Some(TokenTree::Ident(name)) = toks.get(i + 1) {
                    found(name.to_string());
                }
            }
            _ => {}
        }
    }
}

fn mark_ambiguous(decls: &mut [Decl], others: &[Other]) {
    for i in 0..decls.len() {
        let clash = decls.iter().enumerate().any(|(j, d)| {
            j != i
                && d.name == decls[i].name
                && d.inline == decls[i].inline
                && (d.in_macro || decls[i].in_macro)
        });
        let other = decls[i].in_macro
            && others
                .iter()
                .any(|(m, n)| *n == decls[i].name && *m == decls[i].inline);
        decls[i].ambiguous = clash || other;
    }
}

/// An item a type can be named in (a struct's field, an alias, a function body, ...):
/// its extent and where items placed after it go, in the same module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    /// (1-based line, 0-based char column) of its first token (attributes included).
    pub start: (usize, usize),
    /// Just past its last token.
    pub end: (usize, usize),
    /// Byte offset in the file right after it.
    pub insert_at: usize,
    /// Its `#[cfg(...)]` attributes as written.
    pub cfgs: Vec<String>,
    /// For a struct, enum or union without parameters: its name (what `Self` means in
    /// its fields).
    pub self_name: Option<String>,
}

/// Every item of `text` at module level, inline modules entered (a module with a body is
/// no container itself, its items are), in source order.
pub fn containers(text: &str) -> Vec<Container> {
    let Some((file, lines)) = parse_indexed(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    containers_in(&file.items, &lines, &mut out);
    out
}

fn containers_in(items: &[syn::Item], lines: &LineIndex<'_>, out: &mut Vec<Container>) {
    for item in items {
        if let syn::Item::Mod(m) = item
            && let Some((_, items)) = &m.content
        {
            containers_in(items, lines, out);
            continue;
        }
        let (attrs, self_name) = match item {
            syn::Item::Struct(s) => (&s.attrs, named_adt(&s.ident, &s.generics)),
            syn::Item::Enum(e) => (&e.attrs, named_adt(&e.ident, &e.generics)),
            syn::Item::Union(u) => (&u.attrs, named_adt(&u.ident, &u.generics)),
            syn::Item::Type(t) => (&t.attrs, None),
            syn::Item::Fn(f) => (&f.attrs, None),
            syn::Item::Impl(i) => (&i.attrs, None),
            syn::Item::Const(c) => (&c.attrs, None),
            syn::Item::Static(s) => (&s.attrs, None),
            syn::Item::Trait(t) => (&t.attrs, None),
            syn::Item::Macro(m) => (&m.attrs, None),
            _ => continue,
        };
        let sp = item.span();
        let (start, end) = (sp.start(), sp.end());
        out.push(Container {
            start: (start.line, start.column),
            end: (end.line, end.column),
            insert_at: lines.offset(end.line, end.column),
            cfgs: cfgs(attrs),
            self_name,
        });
    }
}

fn named_adt(ident: &syn::Ident, g: &syn::Generics) -> Option<String> {
    g.params.is_empty().then(|| ident.to_string())
}

/// The text of the type path (`Batch<B>`) that starts at (1-based line, 1-based column)
/// in `text`, as `type_string` prints it.
pub fn path_at(text: &str, line: usize, column: usize) -> Option<String> {
    use syn::visit::Visit;
    struct Find {
        at: (usize, usize),
        found: Option<String>,
    }
    impl<'ast> Visit<'ast> for Find {
        fn visit_type_path(&mut self, tp: &'ast syn::TypePath) {
            let start = tp.path.span().start();
            if self.found.is_none() && (start.line, start.column) == self.at {
                self.found = Some(type_string(&syn::Type::Path(tp.clone())));
            }
            syn::visit::visit_type_path(self, tp);
        }
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = syn::parse_file(body).ok()?;
    let mut f = Find {
        at: (line, column.saturating_sub(1)),
        found: None,
    };
    f.visit_file(&file);
    f.found
}

/// The innermost container of `containers` holding (1-based line, 1-based column).
pub fn container_at(containers: &[Container], line: usize, column: usize) -> Option<&Container> {
    let at = (line, column.saturating_sub(1));
    containers.iter().find(|c| c.start <= at && at < c.end)
}

/// The `.rs` files under `dir` (recursively), skipping `target` directories and
/// hidden ones. Sorted, so runs are reproducible.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, |name, ft| ft.is_file() && name.ends_with(".rs"))
}

/// The files under `dir` (recursively) whose name and type `keep` accepts, skipping
/// `target` directories and hidden ones. Sorted, so runs are reproducible.
pub fn files_under(dir: &Path, keep: impl Fn(&str, &std::fs::FileType) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(e.path());
                }
            } else if keep(&name, &ft) {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Vec<Decl> {
        scan_file(Path::new("src/lib.rs"), text)
    }

    #[test]
    fn finds_module_level_inline_and_macro_structs() {
        let text = "struct A { a: u8 }\nmod m {\n    #[cfg(unix)]\n    pub struct B(u64, u8);\n}\n\
                    some_macro! {\n    #[cfg(feature = \"x\")]\n    pub(crate) struct C { c: u32 }\n}\n\
                    macro_rules! no { () => { struct D; } }\n";
        let d = scan(text);
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!((d[0].line, d[0].column), (1, 8));
        assert_eq!(&text[..d[0].insert_at], "struct A { a: u8 }");
        assert_eq!(d[1].inline, ["m"]);
        assert_eq!(d[1].cfgs, ["# [cfg (unix)]"]);
        assert_eq!(d[1].kind, StructKind::Tuple);
        let f = d[1].fields.as_ref().unwrap();
        assert_eq!((f[1].name.as_str(), f[1].ty.as_str()), ("1", "u8"));
        assert!(d[2].in_macro && !d[2].ambiguous);
        assert_eq!(d[2].cfgs.len(), 1);
        assert!(text[..d[2].insert_at].ends_with("u32 }\n}"));
        assert_eq!(d[2].line, 8);
    }

    #[test]
    fn a_name_twice_in_one_module_with_a_macro_is_ambiguous() {
        let d = scan("cfg_if! { if #[cfg(unix)] { struct S(u8); } else { struct S(u16); } }\n");
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| d.ambiguous));
        let d = scan("#[cfg(unix)] struct S(u8);\n#[cfg(not(unix))] struct S(u16);\n");
        assert!(
            d.iter().all(|d| !d.ambiguous),
            "plain cfg variants are told apart by their cfg"
        );
    }

    #[test]
    fn a_struct_in_a_macro_beside_an_enum_of_its_name_is_ambiguous() {
        let d = scan(
            "cfg_io! { pub enum S { A(u8), B } }\ncfg_not_io! { pub struct S(u16); }\nmod m { struct S(u8); }\n",
        );
        assert_eq!(d.len(), 2);
        assert!(d[0].in_macro && d[0].ambiguous, "{:?}", d[0]);
        assert!(!d[1].ambiguous, "another module's S is not");
        let d = scan("enum E { A }\nm! { struct E(u8); }\n");
        assert!(d[0].ambiguous);
        let d = scan("enum T { A }\nstruct S(u8);\nm! { struct U(u8); }\n");
        assert!(d.iter().all(|d| !d.ambiguous));
    }

    #[test]
    fn insertion_points_count_bytes_not_chars() {
        let text = "\u{feff}// é ü\nstruct Ä { a: u8 } // x\n";
        let d = scan(text);
        assert_eq!(d.len(), 1);
        assert!(text[..d[0].insert_at].ends_with("u8 }"));
    }

    #[test]
    fn instance_places_paths_and_item_macros() {
        let text = "use a::Pair as P;\nmod m {\n    #[cfg(unix)]\n    pub struct U { x: P<u64> }\n}\nfn f() {}\n";
        let cs = containers(text);
        // `x: P<u64>`: line 4, column 23 (1-based).
        let c = container_at(&cs, 4, 23).unwrap();
        assert_eq!(c.cfgs, ["# [cfg (unix)]"]);
        assert_eq!(c.self_name.as_deref(), Some("U"));
        assert!(text[..c.insert_at].ends_with("P<u64> }"));
        assert_eq!(path_at(text, 4, 23).as_deref(), Some("P<u64>"));
        assert_eq!(path_at(text, 4, 22), None);
        assert!(
            container_at(&cs, 5, 1).is_none(),
            "the module's closing brace is in no item"
        );

        let macros = "macro_rules! cfg_x { ($($item:item)*) => { $( #[cfg(x)] $item )* } }\nmacro_rules! other { ($e:expr) => {} }\n";
        assert_eq!(item_macros(macros), ["cfg_x"]);
        let text = "cfg_x! {\n    struct G<T: ?Sized>(Box<T>);\n}\n";
        let d = scan(text);
        let (at, name) = d[0].inner_at.clone().unwrap();
        assert_eq!(name, "cfg_x");
        assert!(text[..at].ends_with("(Box<T>);"));
        assert!(
            d[0].impl_head.contains("T : :: core :: marker :: Sized"),
            "{}",
            d[0].impl_head
        );
        // The place names the macro: whether it passes items through is decided by its
        // definition (`item_macros`), not by its input parsing as items.
        let d = scan("pin_project! {\n    struct G<T> { #[pin] t: T }\n}\n");
        assert_eq!(
            d[0].inner_at.as_ref().map(|p| p.1.as_str()),
            Some("pin_project")
        );
        let d = scan("m! {\n    struct G<T> { t: T } + 1\n}\n");
        assert_eq!(d[0].inner_at, None, "not items");
    }
}
