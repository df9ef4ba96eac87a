//! Reading a dependency as needed: a file's module-level items sorted by what they are,
//! so that the definitions no name reaches are never parsed.
//!
//! A dependency crate is read only for the types the reported crates reach through it.
//! windows-sys declares tens of thousands of constants and functions in a handful of
//! files, libc thousands; parsing them all was most of a report on tokio. So a
//! dependency's module tree is walked on a *skeleton* of each file: its `mod`, `use`,
//! `extern crate` and macro items (what the module tree and name resolution need) and
//! inner attributes, every other module-level item blanked. The definitions (struct,
//! enum, union, type alias, constant, trait) are set aside by name, and [`close`] keeps
//! those whose names the loaded crates write, transitively; only they are parsed.
//!
//! Names are compared as identifiers, whatever path leads to them, so what is kept is a
//! superset of what resolution can reach: a path `a::b::X` ends at an item named `X`, and
//! `X` is written where the path is, or in a `use` that renames it, and both are read.
//! Functions, `impl` and `extern` blocks, statics and `const _` never decide a layout and
//! are dropped. A file whose module-level items are not understood is read whole.

use std::collections::{HashMap, HashSet};

/// Identifiers written in what was read (a fast hash: every identifier of every file
/// read is looked up once).
pub type Names = HashSet<String, rustc_hash::FxBuildHasher>;

use super::nesting::{self, Kind, Lexed, Word};

/// What a module-level item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ItemKind {
    /// Read always: `mod`, `use`, `extern crate`, macro invocations and definitions,
    /// inner attributes.
    Structure,
    /// Read when its name is needed: struct, enum, union, type alias, const, trait.
    Definition,
    /// Statics and `const _`: parsed in a reported crate, never read in a dependency.
    Unneeded,
    /// A macro invocation whose tokens name no item the module tree or the index reads
    /// (`windows_link::link!("kernel32.dll" "system" fn CreateFileW(..) -> HANDLE);`, no
    /// `struct`, `mod`, `use`, ... inside): kept in a reported crate (its unexpanded
    /// macros are listed), never read in a dependency.
    InertMacro,
    /// Functions, `impl` and `extern` blocks: the parser skips them in every crate, so
    /// they are blanked before it tokenizes them.
    Skipped,
}

/// One module-level item: its kind, its name (for a definition) and its byte range.
#[derive(Clone, Copy, Debug)]
struct TopItem {
    kind: ItemKind,
    /// Byte range of the name.
    name: (usize, usize),
    /// Byte range of the item, attributes included.
    span: (usize, usize),
    /// Token range.
    toks: (usize, usize),
}

/// A definition set aside.
#[derive(Clone, Copy, Debug)]
struct Def {
    name: (u32, u32),
    span: (u32, u32),
}

/// The definitions of one file set aside by [`split`], with what is needed to decide
/// which to read and to read them.
#[derive(Debug)]
pub struct Deferred {
    /// The text as parsed (function bodies and doc comments blanked; offsets are the
    /// file's).
    text: String,
    defs: Vec<Def>,
}

impl Deferred {
    /// How many definitions were set aside.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// About how many bytes it holds.
    pub fn bytes(&self) -> usize {
        self.text.len() + self.defs.len() * std::mem::size_of::<Def>()
    }

    fn name(&self, d: &Def) -> &str {
        &self.text[d.name.0 as usize..d.name.1 as usize]
    }

    /// The text with every byte outside the kept definitions blanked (newlines kept, so
    /// offsets and lines are the file's).
    pub fn kept_text(&self, kept: &[usize]) -> String {
        let mut out = blank_all(&self.text);
        let b = self.text.as_bytes();
        for &k in kept {
            let (from, to) = self.defs[k].span;
            let (from, to) = (from as usize, to as usize);
            out[from..to].copy_from_slice(&b[from..to]);
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// `text` with every byte but line ends replaced by a space.
fn blank_all(text: &str) -> Vec<u8> {
    text.bytes()
        .map(|c| if c == b'\n' || c == b'\r' { c } else { b' ' })
        .collect()
}

/// Splits a file (`text` as it will be parsed, `lexed` its tokens). With `defer` (a
/// dependency): its skeleton, the text with every module-level item but the structure
/// blanked, and the definitions set aside; otherwise the text with only the items the
/// parser would skip blanked. `names` receives the identifiers written in what is left
/// to parse. `None` when a module-level item is not understood: then the file is read
/// whole.
pub fn split(
    text: &str,
    lexed: &Lexed,
    defer: bool,
    names: &mut Names,
) -> Option<(String, Option<Deferred>)> {
    let items = top_items(text, lexed)?;
    let b = text.as_bytes();
    let mut left: Option<Vec<u8>> = None;
    let mut defs = Vec::new();
    for it in &items {
        let blank = match it.kind {
            ItemKind::Structure => false,
            ItemKind::Definition | ItemKind::Unneeded | ItemKind::InertMacro => defer,
            ItemKind::Skipped => true,
        };
        if !blank {
            for (from, to) in ident_ranges(text, lexed, it.toks) {
                note(names, &text[from..to]);
            }
            continue;
        }
        if it.kind == ItemKind::Definition {
            defs.push(Def {
                name: (it.name.0 as u32, it.name.1 as u32),
                span: (it.span.0 as u32, it.span.1 as u32),
            });
        }
        let buf = left.get_or_insert_with(|| b.to_vec());
        for c in &mut buf[it.span.0..it.span.1] {
            if *c != b'\n' && *c != b'\r' {
                *c = b' ';
            }
        }
    }
    let left = match left {
        Some(v) => String::from_utf8(v).ok()?,
        None => text.to_owned(),
    };
    let set_aside = defer.then(|| Deferred {
        text: text.to_owned(),
        defs,
    });
    Some((left, set_aside))
}

/// Adds every identifier of `text` (as [`split`] would see it) to `names`: for a file
/// read whole.
pub fn note_all(text: &str, lexed: &Lexed, names: &mut Names) {
    for (from, to) in ident_ranges(text, lexed, (0, lexed.toks.len())) {
        note(names, &text[from..to]);
    }
}

fn note(names: &mut Names, w: &str) {
    if !w.is_empty() && !names.contains(w) {
        names.insert(w.to_owned());
    }
}

/// Decides which definitions of one crate's files to read: those whose names are in
/// `names`, and then those the kept ones name, until nothing changes. Every identifier
/// of a kept definition is added to `names` (the crates read later depend on this one
/// and are judged by it). Returns, per file, the indices of its kept definitions.
/// Linear in the length of the kept definitions plus the number of definitions.
pub fn close(files: &[&Deferred], names: &mut Names) -> Vec<Vec<usize>> {
    let mut by_name: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (f, d) in files.iter().enumerate() {
        for (k, def) in d.defs.iter().enumerate() {
            by_name.entry(d.name(def)).or_default().push((f, k));
        }
    }
    let mut kept: Vec<Vec<bool>> = files.iter().map(|d| vec![false; d.defs.len()]).collect();
    let mut work: Vec<(usize, usize)> = Vec::new();
    for (name, at) in &by_name {
        if names.contains(*name) {
            work.extend(at.iter().copied());
        }
    }
    while let Some((f, k)) = work.pop() {
        if std::mem::replace(&mut kept[f][k], true) {
            continue;
        }
        let d = files[f];
        // Its identifiers: the item is lexed again, alone (a few of thousands are kept).
        let (from, to) = d.defs[k].span;
        let item = &d.text[from as usize..to as usize];
        let lexed = nesting::lex(item);
        for (a, b) in ident_ranges(item, &lexed, (0, lexed.toks.len())) {
            let w = &item[a..b];
            if !names.contains(w) {
                names.insert(w.to_owned());
                if let Some(at) = by_name.get(w) {
                    work.extend(at.iter().copied());
                }
            }
        }
    }
    kept.into_iter()
        .map(|v| {
            v.iter()
                .enumerate()
                .filter(|(_, k)| **k)
                .map(|(i, _)| i)
                .collect()
        })
        .collect()
}

/// The byte ranges of the identifiers among tokens `toks` (blanked ones are skipped).
fn ident_ranges<'a>(
    text: &'a str,
    lexed: &'a Lexed,
    toks: (usize, usize),
) -> impl Iterator<Item = (usize, usize)> + 'a {
    lexed.toks[toks.0..toks.1]
        .iter()
        .filter(|t| t.word == Word::Ident)
        .map(move |t| (t.pos(), word_end(text.as_bytes(), t.pos())))
        .filter(|(a, b)| b > a)
}

fn word_end(b: &[u8], from: usize) -> usize {
    let mut e = from;
    while e < b.len() && nesting::is_ident_byte(b[e]) {
        e += 1;
    }
    e
}

/// Words whose presence in a macro invocation's tokens may make it declare or bring in
/// something the module tree or the index reads.
const ITEM_WORDS: &[&str] = &[
    "struct",
    "enum",
    "union",
    "type",
    "mod",
    "const",
    "trait",
    "use",
    "static",
    "extern",
    "macro_rules",
    "include",
    "cfg_if",
    "cfg_select",
];

/// The module-level items of a file, or `None` if one is not understood.
fn top_items(text: &str, lexed: &Lexed) -> Option<Vec<TopItem>> {
    let toks = &lexed.toks;
    // Mismatched brackets (`( ]`) are the parser's to report: the file is read whole.
    let mut open = Vec::new();
    for t in toks {
        match t.kind {
            Kind::Open(c) => open.push(c),
            Kind::Close(c) if open.pop() != Some(c) => return None,
            _ => {}
        }
    }
    if !open.is_empty() {
        return None;
    }
    let close = nesting::matching_closes(toks);
    let b = text.as_bytes();
    let word = |k: usize| -> &str {
        match toks.get(k) {
            Some(t) => &text[t.pos()..word_end(b, t.pos())],
            None => "",
        }
    };
    let is = |k: usize, c: u8| toks.get(k).is_some_and(|t| b[t.pos()] == c);
    let kind = |k: usize| toks.get(k).map(|t| t.kind);
    // A single `:` (not `::`).
    let colon = |k: usize| is(k, b':') && b.get(toks[k].pos() + 1) != Some(&b':');
    // The token after the `;` ending the item that continues at `k`, brackets skipped.
    let to_semi = |mut k: usize| -> Option<usize> {
        while k < toks.len() {
            match toks[k].kind {
                Kind::Open(_) => k = close[k]? + 1,
                Kind::End if b[toks[k].pos()] == b';' => return Some(k + 1),
                _ => k += 1,
            }
        }
        None
    };
    // The token after an item that ends at a `;` or with its first `{ ... }` group
    // outside generic angle brackets.
    let to_body_end = |mut k: usize| -> Option<usize> {
        let mut angle = 0usize;
        while k < toks.len() {
            match toks[k].kind {
                Kind::Open(b'{') if angle == 0 => return Some(close[k]? + 1),
                Kind::Open(_) => k = close[k]?,
                Kind::Lt => angle += 1,
                Kind::Gt => angle = angle.checked_sub(1)?,
                Kind::End if b[toks[k].pos()] == b';' && angle == 0 => return Some(k + 1),
                _ => {}
            }
            k += 1;
        }
        None
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let start = i;
        // An inner attribute `#![...]`.
        if is(i, b'#') && kind(i + 1) == Some(Kind::Bang) && kind(i + 2) == Some(Kind::Open(b'[')) {
            let end = close[i + 2]? + 1;
            out.push(item(toks, text, ItemKind::Structure, (0, 0), start, end));
            i = end;
            continue;
        }
        let mut k = i;
        while is(k, b'#') && kind(k) == Some(Kind::Sep) {
            if kind(k + 1) != Some(Kind::Open(b'[')) {
                return None;
            }
            k = close[k + 1]? + 1;
        }
        if word(k) == "pub" {
            k += 1;
            if kind(k) == Some(Kind::Open(b'(')) {
                k = close[k]? + 1;
            }
        }
        // Qualifiers of functions, traits and impls.
        loop {
            match word(k) {
                "unsafe" | "async" | "default" | "auto" | "safe" => k += 1,
                "extern" if word(k + 1) == "fn" => k += 1,
                "const" if matches!(word(k + 1), "fn" | "unsafe" | "async" | "extern") => k += 1,
                "extern" if kind(k + 1) == Some(Kind::Operand) && is(k + 1, b'"') => {
                    if matches!(word(k + 2), "fn" | "unsafe") {
                        k += 2;
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        let name_at = |k: usize| -> Option<(usize, usize)> {
            let t = toks.get(k)?;
            (t.word == Word::Ident).then(|| (t.pos(), word_end(b, t.pos())))
        };
        let (kind_of, name, end) = match word(k) {
            "struct" | "enum" | "union" | "trait" => {
                let name = name_at(k + 1)?;
                (ItemKind::Definition, name, to_body_end(k + 2)?)
            }
            "type" => (ItemKind::Definition, name_at(k + 1)?, to_semi(k + 2)?),
            "const" => {
                let name = name_at(k + 1)?;
                let end = to_semi(k + 2)?;
                if &text[name.0..name.1] == "_" {
                    (ItemKind::Unneeded, (0, 0), end)
                } else {
                    (ItemKind::Definition, name, end)
                }
            }
            "static" => (ItemKind::Unneeded, (0, 0), to_semi(k + 1)?),
            "fn" => {
                name_at(k + 1)?;
                let end = match nesting::fn_body(toks, &close, k + 2) {
                    Some((_, end)) => end + 1,
                    None => to_semi(k + 2)?,
                };
                (ItemKind::Skipped, (0, 0), end)
            }
            "impl" => (ItemKind::Skipped, (0, 0), to_body_end(k + 1)?),
            "extern" if word(k + 1) == "crate" => (ItemKind::Structure, (0, 0), to_semi(k + 2)?),
            "extern" => {
                let mut j = k + 1;
                if is(j, b'"') {
                    j += 1;
                }
                if kind(j) != Some(Kind::Open(b'{')) {
                    return None;
                }
                (ItemKind::Skipped, (0, 0), close[j]? + 1)
            }
            "mod" => {
                name_at(k + 1)?;
                (ItemKind::Structure, (0, 0), to_body_end(k + 2)?)
            }
            "use" => (ItemKind::Structure, (0, 0), to_semi(k + 1)?),
            _ => {
                // A macro: `path!(...);`, `path! { ... }`, `macro_rules! name { ... }`.
                let mut j = k;
                if is(j, b':') {
                    j += 1; // a leading `::`
                }
                loop {
                    if toks.get(j)?.word != Word::MacroRules {
                        name_at(j)?;
                    }
                    j += 1;
                    if kind(j) == Some(Kind::Sep) && is(j, b':') {
                        j += 1;
                        continue;
                    }
                    break;
                }
                if kind(j) != Some(Kind::Bang) {
                    return None;
                }
                j += 1;
                if name_at(j).is_some() {
                    j += 1;
                }
                let Some(Kind::Open(open)) = kind(j) else {
                    return None;
                };
                let rules = toks[k].word == Word::MacroRules;
                let mut end = close[j]? + 1;
                if open != b'{' || is(end, b';') {
                    if is(end, b';') {
                        end += 1;
                    } else if open != b'{' {
                        return None;
                    }
                }
                let inert = !rules
                    && !matches!(word(k), "cfg_if" | "cfg_select" | "include")
                    && (j..end).all(|m| match word(m) {
                        // `*const T` and `extern "C" fn` types are not items.
                        "const" => !(name_at(m + 1).is_some() && colon(m + 2)),
                        "extern" => word(m + 1) != "crate",
                        w => !ITEM_WORDS.contains(&w),
                    });
                let kind = if inert {
                    ItemKind::InertMacro
                } else {
                    ItemKind::Structure
                };
                (kind, (0, 0), end)
            }
        };
        out.push(item(toks, text, kind_of, name, start, end));
        i = end;
    }
    Some(out)
}

fn item(
    toks: &[nesting::Tok],
    text: &str,
    kind: ItemKind,
    name: (usize, usize),
    start: usize,
    end: usize,
) -> TopItem {
    // The last token is a one-byte `;` or closing bracket.
    let to = toks
        .get(end.wrapping_sub(1))
        .map_or(text.len(), |t| t.pos() + 1);
    TopItem {
        kind,
        name,
        span: (toks[start].pos(), to),
        toks: (start, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, names: &[&str]) -> (String, String, Vec<String>) {
        let lexed = nesting::lex(src);
        let mut seen = Names::default();
        let (skeleton, d) = split(src, &lexed, true, &mut seen).expect("understood");
        let d = d.expect("set aside");
        let mut needed: Names = names.iter().map(|s| s.to_string()).collect();
        needed.extend(seen);
        let kept = close(&[&d], &mut needed);
        let kept_names = kept[0]
            .iter()
            .map(|&k| d.name(&d.defs[k]).to_owned())
            .collect();
        (skeleton, d.kept_text(&kept[0]), kept_names)
    }

    #[test]
    fn keeps_structure_and_the_definitions_names_reach() {
        let src = "#![allow(x)]\n\
            use crate::a::B;\n\
            mod m;\n\
            #[cfg(unix)]\n\
            pub struct Wanted { a: Alias, b: [u8; LEN] }\n\
            pub type Alias = Inner;\n\
            struct Inner(u32);\n\
            pub const LEN: usize = OTHER + 1;\n\
            pub const OTHER: usize = 3;\n\
            pub const UNUSED: u32 = 7;\n\
            pub struct Lonely;\n\
            pub fn f() -> Lonely { Lonely }\n\
            impl Wanted { fn g(&self) {} }\n\
            extern \"C\" { fn h(); }\n\
            static S: Lonely = Lonely;\n\
            const _: () = ();\n\
            m! { struct Made; }\n\
            link!(\"k.dll\" \"system\" fn api(h: *const Lonely, p: *const super::X, f: extern \"C\" fn()) -> u32);\n\
            macro_rules! r { () => {} }\n\
            pub(crate) unsafe trait T { type X; }\n";
        let (skeleton, kept_text, mut kept) = run(src, &["Wanted"]);
        kept.sort();
        assert_eq!(kept, ["Alias", "Inner", "LEN", "OTHER", "Wanted"]);
        for structural in [
            "use crate::a::B;",
            "mod m;",
            "m! { struct Made; }",
            "macro_rules! r",
        ] {
            assert!(skeleton.contains(structural), "{structural}: {skeleton}");
        }
        assert!(
            !skeleton.contains("link!"),
            "an inert macro is not read in a dependency"
        );
        for gone in [
            "Wanted", "UNUSED", "fn f", "impl", "extern", "static", "const _", "trait",
        ] {
            assert!(!skeleton.contains(gone), "{gone} in {skeleton}");
        }
        assert!(kept_text.contains("pub struct Wanted") && !kept_text.contains("UNUSED"));
        assert!(
            kept_text.contains("#[cfg(unix)]"),
            "attributes go with their item"
        );
        // Offsets and lines are the file's.
        assert_eq!(kept_text.len(), src.len());
        assert_eq!(kept_text.lines().count(), src.lines().count());
        assert_eq!(kept_text.find("pub type Alias"), src.find("pub type Alias"));
    }

    #[test]
    fn a_reported_file_loses_only_what_the_parser_skips() {
        let src = "pub struct A { b: B }\nstatic S: u8 = 0;\nconst _: () = ();\n\
                   impl A { fn f(x: Sig) {} }\nfn g(y: Sig2) {}\nextern \"C\" { fn h(z: Sig3); }\n";
        let lexed = nesting::lex(src);
        let mut names = Names::default();
        let (left, d) = split(src, &lexed, false, &mut names).unwrap();
        assert!(d.is_none());
        for kept in [
            "pub struct A { b: B }",
            "static S: u8 = 0;",
            "const _: () = ();",
        ] {
            assert!(left.contains(kept), "{kept}: {left}");
        }
        for gone in ["impl", "fn g", "extern"] {
            assert!(!left.contains(gone), "{gone}: {left}");
        }
        assert!(names.contains("B") && names.contains("S"));
        for n in ["Sig", "Sig2", "Sig3"] {
            assert!(!names.contains(n), "{n}: signatures decide no layout");
        }
    }

    #[test]
    fn generic_arguments_with_braces_are_not_bodies() {
        let (_, _, kept) = run(
            "pub struct A<const N: usize = { 3 }> { a: B } pub struct B; pub struct C;",
            &["A"],
        );
        assert_eq!(kept.len(), 2, "{kept:?}");
    }

    #[test]
    fn a_trait_named_only_is_kept_and_what_it_names() {
        let (_, _, kept) = run(
            "pub trait Tr { type A: Bound; } pub trait Bound {}",
            &["Tr"],
        );
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn not_understood_files_are_read_whole() {
        for src in [
            "crate struct A;",
            "#!/usr/bin/env run\nstruct A;",
            "let x = 1;",
            "m!(x)",
            "impl A { fn f() ] }",
        ] {
            let lexed = nesting::lex(src);
            assert!(
                split(src, &lexed, true, &mut Names::default()).is_none(),
                "{src}"
            );
        }
    }

    #[test]
    fn closing_is_linear_in_what_is_kept() {
        // 10,000 constants, one needed: only its identifiers are looked at.
        let mut src = String::from("pub struct S { a: [u8; C5] }\n");
        for i in 0..10_000 {
            src.push_str(&format!("pub const C{i}: usize = {i};\n"));
        }
        let (_, _, mut kept) = run(&src, &["S"]);
        kept.sort();
        assert_eq!(kept, ["C5", "S"]);
    }
}
