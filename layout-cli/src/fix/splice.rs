//! Source text surgery: find a struct's fields as byte ranges and put them in a new
//! order, leaving every other byte of the file as it was.
//!
//! A field's chunk runs from the end of the previous chunk (so it carries the blank
//! lines, comments, doc comments, attributes and `cfg`s above it) through its type, its
//! `,` and whatever follows on the same line up to and including the newline (its
//! trailing comment). Comments after the last field stay before the `}`. A field
//! without a `,` (the last one) gets one when it moves up.

use std::ops::Range;

use syn::spanned::Spanned;
use syn::visit::Visit;

/// A parsed file: the syn tree and where its text starts in the original (after a BOM
/// or a `#!` line, which syn would strip and so shift every byte offset).
pub struct SourceFile {
    /// The original text.
    pub text: String,
    base: usize,
    file: syn::File,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("len", &self.text.len())
            .finish()
    }
}

/// One named struct's fields, located in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructSource {
    /// Field names, in declaration order.
    pub names: Vec<String>,
    /// 1-based line of each field's name (to tell `cfg` alternatives of one name apart).
    pub lines: Vec<usize>,
    /// Byte range of each field's chunk; consecutive, first starts after the `{` line.
    pub chunks: Vec<Range<usize>>,
    /// Where the field's `,` would go if it has none (after its type).
    pub comma_at: Vec<Option<usize>>,
    /// Byte offset of the field's `,`, if it has one.
    pub comma: Vec<Option<usize>>,
    /// `#[layout(fixed)]`, or a `layout:ignore` comment above or inside the struct.
    pub ignored: bool,
    /// `#[derive(.. CacheLayout ..)]` or a `#[layout]` attribute on the struct or a field.
    pub annotated: bool,
    /// The derives on the struct (last path segment: `Debug`, `Serialize`), also
    /// those inside `cfg_attr`.
    pub derives: Vec<String>,
    /// Per field: its type plainly has no drop glue (integers, floats, `bool`, `char`,
    /// atomics, raw pointers, shared references, `fn` pointers, `PhantomData`, and
    /// arrays, tuples and `Option`s of these). A type that is not plain may or may not
    /// need dropping: the source alone cannot tell.
    pub plain: Vec<bool>,
}

/// What a struct is, for `fix`'s decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A struct with named fields.
    Named(StructSource),
    /// A tuple or unit struct.
    Positional,
}

impl SourceFile {
    /// Parses `text` with [`crate::source::parse`] (the engine's parser, with its depth
    /// limit). The error is its message with the 1-based line and column.
    pub fn parse(text: String) -> Result<Self, (String, usize, usize)> {
        // `source::parse` strips a BOM (so spans start 3 bytes early) and blanks a
        // shebang line with spaces (so spans are unchanged).
        let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
        match crate::source::parse(&text) {
            Ok(file) => Ok(SourceFile { base, file, text }),
            Err((line, column, msg)) => Err((msg, line.unwrap_or(1), column.unwrap_or(1))),
        }
    }

    fn range(&self, span: proc_macro2::Span) -> Range<usize> {
        let r = span.byte_range();
        r.start + self.base..r.end + self.base
    }

    /// The struct named `name` whose name is on 1-based `line`.
    pub fn find(&self, name: &str, line: usize) -> Option<Found> {
        struct Finder<'a> {
            name: &'a str,
            line: usize,
            hit: Option<&'a syn::ItemStruct>,
        }
        impl<'a> Visit<'a> for Finder<'a> {
            fn visit_item_struct(&mut self, s: &'a syn::ItemStruct) {
                if self.hit.is_none()
                    && s.ident == self.name
                    && s.ident.span().start().line == self.line
                {
                    self.hit = Some(s);
                }
                syn::visit::visit_item_struct(self, s);
            }
        }
        let mut finder = Finder {
            name,
            line,
            hit: None,
        };
        finder.visit_file(&self.file);
        let item = finder.hit?;
        let syn::Fields::Named(named) = &item.fields else {
            return Some(Found::Positional);
        };
        Some(Found::Named(self.locate(item, named)))
    }

    fn locate(&self, item: &syn::ItemStruct, named: &syn::FieldsNamed) -> StructSource {
        let text = self.text.as_str();
        let open = self.range(named.brace_token.span.open()).end;
        let close = self.range(named.brace_token.span.close()).start;
        let mut names = Vec::new();
        let mut lines = Vec::new();
        let mut chunks = Vec::new();
        let mut comma_at = Vec::new();
        let mut comma = Vec::new();
        let mut plain = Vec::new();
        let mut start = first_chunk_start(text, open);
        for pair in named.named.pairs() {
            let field = pair.value();
            let ident = field
                .ident
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_default();
            let line = field.ident.as_ref().map_or(0, |i| i.span().start().line);
            let ty_end = self.range(field.ty.span()).end;
            let (anchor, missing, at) = match pair.punct() {
                Some(c) => {
                    let r = self.range(c.span);
                    (r.end, None, Some(r.start))
                }
                None => (ty_end, Some(ty_end), None),
            };
            let end = chunk_end(text, anchor, close);
            names.push(ident.trim_start_matches("r#").to_owned());
            lines.push(line);
            chunks.push(start..end);
            comma_at.push(missing);
            comma.push(at);
            plain.push(no_drop_glue(&field.ty));
            start = end;
        }
        let annotated = item
            .attrs
            .iter()
            .any(|a| is_layout(a) || derives_cache_layout(a))
            || named.named.iter().any(|f| f.attrs.iter().any(is_layout));
        let item_range = self.range(item.span());
        let ignored = item.attrs.iter().any(is_layout_fixed)
            || text[item_range.clone()].contains("layout:ignore")
            || comments_above(text, item_range.start).contains("layout:ignore");
        let mut derives = Vec::new();
        for a in &item.attrs {
            if a.path().is_ident("derive") || a.path().is_ident("cfg_attr") {
                derive_names(a, &mut derives);
            }
        }
        StructSource {
            names,
            lines,
            chunks,
            comma_at,
            comma,
            ignored,
            annotated,
            derives,
            plain,
        }
    }
}

fn is_layout(a: &syn::Attribute) -> bool {
    a.path().is_ident("layout") || (a.path().is_ident("cfg_attr") && tokens_mention(a, "layout"))
}

fn is_layout_fixed(a: &syn::Attribute) -> bool {
    is_layout(a) && tokens_mention(a, "fixed")
}

fn derives_cache_layout(a: &syn::Attribute) -> bool {
    (a.path().is_ident("derive") || a.path().is_ident("cfg_attr"))
        && tokens_mention(a, "CacheLayout")
}

/// Names derived by `#[derive(A, b::C)]` or `#[cfg_attr(p, derive(A))]`: the last
/// segment of each path.
fn derive_names(a: &syn::Attribute, out: &mut Vec<String>) {
    use proc_macro2::TokenTree;
    fn walk(ts: proc_macro2::TokenStream, in_derive: bool, out: &mut Vec<String>) {
        let tokens: Vec<TokenTree> = ts.into_iter().collect();
        for (i, t) in tokens.iter().enumerate() {
            match t {
                TokenTree::Group(g) => {
                    let derive = matches!(i.checked_sub(1).map(|j| &tokens[j]),
                        Some(TokenTree::Ident(d)) if d == "derive");
                    walk(g.stream(), derive, out);
                }
                TokenTree::Ident(id) if in_derive => {
                    let last = !matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                    if last {
                        out.push(id.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if let syn::Meta::List(l) = &a.meta {
        walk(l.tokens.clone(), a.path().is_ident("derive"), out);
    }
}

/// Whether `ty` plainly has no drop glue (see [`StructSource::plain`]).
fn no_drop_glue(ty: &syn::Type) -> bool {
    const PLAIN: [&str; 19] = [
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "f32",
        "f64",
        "bool",
        "char",
        "PhantomData",
        "PhantomPinned",
        "NonNull",
    ];
    match ty {
        syn::Type::Ptr(_) | syn::Type::BareFn(_) | syn::Type::Never(_) => true,
        syn::Type::Reference(_) => true,
        syn::Type::Array(a) => no_drop_glue(&a.elem),
        syn::Type::Tuple(t) => t.elems.iter().all(no_drop_glue),
        syn::Type::Paren(p) => no_drop_glue(&p.elem),
        syn::Type::Group(g) => no_drop_glue(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            let args: Vec<&syn::Type> = match &last.arguments {
                syn::PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|g| match g {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if PLAIN.contains(&name.as_str()) || name.starts_with("NonZero") {
                // `PhantomData<T>`, `NonNull<T>`: no drop glue whatever `T` is.
                return true;
            }
            let atomic = name
                .strip_prefix("AtomicU")
                .or_else(|| name.strip_prefix("AtomicI"))
                .is_some_and(|w| matches!(w, "8" | "16" | "32" | "64" | "128" | "size"));
            if atomic || name == "AtomicBool" || name == "AtomicPtr" {
                return true;
            }
            if matches!(name.as_str(), "Option" | "Cell" | "UnsafeCell" | "Wrapping") {
                return args.len() == 1 && no_drop_glue(args[0]);
            }
            false
        }
        _ => false,
    }
}

fn tokens_mention(a: &syn::Attribute, word: &str) -> bool {
    fn walk(ts: proc_macro2::TokenStream, word: &str) -> bool {
        ts.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == word,
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), word),
            _ => false,
        })
    }
    match &a.meta {
        syn::Meta::List(l) => walk(l.tokens.clone(), word),
        _ => false,
    }
}

/// The `//` comment lines directly above byte `at` (no blank line in between).
fn comments_above(text: &str, at: usize) -> &str {
    let mut start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut top = start;
    while start > 0 {
        let prev = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        if text[prev..start].trim_start().starts_with("//") {
            top = prev;
            start = prev;
        } else {
            break;
        }
    }
    &text[top..at]
}

/// After `{`: the next line if the rest of the `{` line is blank or comments; else the
/// first byte after the spaces.
fn first_chunk_start(text: &str, open: usize) -> usize {
    match rest_of_line(text, open) {
        Some(next_line) => next_line,
        None => open + horizontal_space(&text[open..]),
    }
}

/// After a field's `,` (or type): through the newline if only spaces and comments
/// follow on the line; otherwise just past the spaces (another field follows on the
/// same line). Never past `limit` (the `}`).
fn chunk_end(text: &str, anchor: usize, limit: usize) -> usize {
    match rest_of_line(text, anchor) {
        Some(next_line) if next_line <= limit => next_line,
        _ => (anchor + horizontal_space(&text[anchor..limit])).min(limit),
    }
}

fn horizontal_space(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// If from `at` to the end of the line there are only spaces and comments (a block
/// comment must close on that line), the byte after the newline.
fn rest_of_line(text: &str, at: usize) -> Option<usize> {
    let mut i = at;
    let bytes = text.as_bytes();
    loop {
        i += horizontal_space(&text[i..]);
        match bytes.get(i) {
            None => return Some(i),
            Some(b'\n') => return Some(i + 1),
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => return Some(i + 2),
            Some(b'/') if bytes.get(i + 1) == Some(&b'/') => {
                return Some(text[i..].find('\n').map_or(text.len(), |n| i + n + 1));
            }
            Some(b'/') if bytes.get(i + 1) == Some(&b'*') => {
                let close = text[i + 2..].find("*/")? + i + 4;
                if text[i..close].contains('\n') {
                    return None;
                }
                i = close;
            }
            Some(_) => return None,
        }
    }
}

/// `text` with the fields of `s` in `order` (indices into `s`'s fields). The last
/// field keeps the struct's trailing-comma style: a field moved up gains a `,`, and a
/// field moved last loses its `,` if the original last field had none. In a struct
/// written over several lines, fields that shared a line are put on lines of their
/// own when the order changes (with the indentation of the line they were on), so a
/// trailing comment stays after the field it followed, the last one of its line.
pub fn reorder(text: &str, s: &StructSource, order: &[usize]) -> String {
    let (Some(first), Some(last)) = (s.chunks.first(), s.chunks.last()) else {
        return text.to_owned();
    };
    if order.iter().enumerate().all(|(k, &i)| k == i) {
        return text.to_owned();
    }
    let trailing_comma = s.comma.last().is_some_and(Option::is_some);
    let starts_line = |at: usize| at == 0 || text.as_bytes()[at - 1] == b'\n';
    let multi_line = starts_line(first.start);
    let newline = if text[first.start..last.end].contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let last_ends_line = text[..last.end].ends_with('\n');
    let mut out = String::with_capacity(text.len() + 2 * order.len());
    out.push_str(&text[..first.start]);
    for (k, &i) in order.iter().enumerate() {
        let chunk = &s.chunks[i];
        let is_last = k + 1 == order.len();
        let mut piece = String::new();
        match (s.comma_at[i], s.comma[i]) {
            (Some(at), _) if !is_last => {
                piece.push_str(&text[chunk.start..at]);
                piece.push(',');
                piece.push_str(&text[at..chunk.end]);
            }
            (_, Some(at)) if is_last && !trailing_comma => {
                piece.push_str(&text[chunk.start..at]);
                piece.push_str(&text[at + 1..chunk.end]);
            }
            _ => piece.push_str(&text[chunk.clone()]),
        }
        if multi_line {
            if !starts_line(chunk.start) {
                let line = text[..chunk.start].rfind('\n').map_or(0, |n| n + 1);
                out.push_str(&text[line..line + horizontal_space(&text[line..chunk.start])]);
            }
            if !piece.ends_with('\n') && (!is_last || last_ends_line) {
                piece.truncate(piece.trim_end_matches([' ', '\t']).len());
                piece.push_str(newline);
            }
        }
        out.push_str(&piece);
    }
    out.push_str(&text[last.end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str, name: &str, line: usize) -> StructSource {
        let f = SourceFile::parse(text.to_owned()).unwrap();
        match f.find(name, line) {
            Some(Found::Named(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    const SRC: &str = "\
use std::sync::atomic::AtomicU64;

/// A ring.
#[derive(CacheLayout)]
#[repr(C)]
pub struct Ring { // the hot part
    /// Written by the producer.
    #[layout(group = \"producer\")]
    pub head: AtomicU64, // producer's index

    #[cfg(target_os = \"linux\")]
    flag: u8,
    /* consumer side */
    pub(crate) tail: AtomicU64 /* last */
    // end of fields
}
";

    #[test]
    fn chunks_carry_comments_attributes_and_trailing_comments() {
        let s = named(SRC, "Ring", 6);
        assert_eq!(s.names, ["head", "flag", "tail"]);
        assert!(s.annotated && !s.ignored);
        let chunk = |i: usize| &SRC[s.chunks[i].clone()];
        assert_eq!(
            chunk(0),
            "    /// Written by the producer.\n    #[layout(group = \"producer\")]\n    pub head: AtomicU64, // producer's index\n"
        );
        assert_eq!(
            chunk(1),
            "\n    #[cfg(target_os = \"linux\")]\n    flag: u8,\n"
        );
        assert_eq!(
            chunk(2),
            "    /* consumer side */\n    pub(crate) tail: AtomicU64 /* last */\n"
        );
        let out = reorder(SRC, &s, &[2, 0, 1]);
        assert!(out.contains(
            "pub struct Ring { // the hot part\n    /* consumer side */\n    pub(crate) tail: AtomicU64, /* last */\n    /// Written by"
        ), "{out}");
        assert!(
            out.ends_with("    flag: u8\n    // end of fields\n}\n"),
            "{out}"
        );
        // Same bytes; one comma moved.
        assert_eq!(out.len(), SRC.len());
        syn::parse_file(&out).unwrap();
        // Identity is the identity.
        assert_eq!(reorder(SRC, &s, &[0, 1, 2]), SRC);
    }

    #[test]
    fn one_line_struct() {
        let src = "#[repr(C)] struct S { a: u8, b: u64, c: u8 }\n";
        let s = named(src, "S", 1);
        let out = reorder(src, &s, &[1, 0, 2]);
        assert_eq!(out, "#[repr(C)] struct S { b: u64, a: u8, c: u8 }\n");
        let out = reorder(src, &s, &[2, 1, 0]);
        assert_eq!(out, "#[repr(C)] struct S { c: u8, b: u64, a: u8 }\n");
        let src = "struct S {\n    a: u8,\n    b: u64,\n}\n";
        let s = named(src, "S", 1);
        assert_eq!(
            reorder(src, &s, &[1, 0]),
            "struct S {\n    b: u64,\n    a: u8,\n}\n"
        );
        syn::parse_file(&out).unwrap();
    }

    #[test]
    fn fields_sharing_a_line_get_lines_of_their_own() {
        let src = "#[repr(C)]\nstruct S {\n    a: u8, b: u64, // about b\n    c: u8,\n}\n";
        let s = named(src, "S", 2);
        assert_eq!(
            reorder(src, &s, &[0, 2, 1]),
            "#[repr(C)]\nstruct S {\n    a: u8,\n    c: u8,\n    b: u64, // about b\n}\n"
        );
        assert_eq!(
            reorder(src, &s, &[1, 0, 2]),
            "#[repr(C)]\nstruct S {\n    b: u64, // about b\n    a: u8,\n    c: u8,\n}\n"
        );
        assert_eq!(
            reorder(src, &s, &[2, 1, 0]),
            "#[repr(C)]\nstruct S {\n    c: u8,\n    b: u64, // about b\n    a: u8,\n}\n"
        );
        // The closing brace on the last fields' line, no trailing comma, CRLF.
        let src = "struct S {\r\n\ta: u8, // a\r\n\tb: u8, c: u64 }\r\n";
        let s = named(src, "S", 1);
        assert_eq!(
            reorder(src, &s, &[2, 0, 1]),
            "struct S {\r\n\tc: u64,\r\n\ta: u8, // a\r\n\tb: u8 }\r\n"
        );
        for order in [[0, 2, 1], [1, 0, 2], [2, 1, 0]] {
            syn::parse_file(&reorder(src, &s, &order)).unwrap();
        }
    }

    #[test]
    fn derives_and_drop_glue() {
        let src = "#[derive(Debug, serde::Serialize)]\n#[cfg_attr(feature = \"x\", derive(PartialOrd, borsh::BorshSerialize))]\n#[repr(C)]\nstruct S {\n    a: u8, b: *const u8, c: &'static str, d: [Option<core::num::NonZeroU32>; 2],\n    e: (u64, std::sync::atomic::AtomicU64), f: String, g: Option<Box<u8>>, h: PhantomData<String>,\n    i: Cell<u8>, j: AtomicFoo, k: T,\n}\n";
        let s = named(src, "S", 4);
        assert_eq!(
            s.derives,
            ["Debug", "Serialize", "PartialOrd", "BorshSerialize"]
        );
        assert_eq!(
            s.plain,
            [
                true, true, true, true, true, false, false, true, true, false, false
            ]
        );
    }

    #[test]
    fn bom_shebang_crlf_and_unicode_keep_offsets() {
        let src = "\u{feff}#!/usr/bin/env run\r\n// é ünïcödé\r\n#[repr(C)]\r\nstruct S {\r\n    é: u8, // ß\r\n    b: u64,\r\n}\r\n";
        let s = named(src, "S", 4);
        assert_eq!(s.names, ["é", "b"]);
        let out = reorder(src, &s, &[1, 0]);
        assert_eq!(
            out,
            "\u{feff}#!/usr/bin/env run\r\n// é ünïcödé\r\n#[repr(C)]\r\nstruct S {\r\n    b: u64,\r\n    é: u8, // ß\r\n}\r\n"
        );
    }

    #[test]
    fn finds_nested_structs_and_tells_positional_ones_apart() {
        let src = "mod m {\n    #[repr(C)]\n    pub struct T(u8, u64);\n    mod f {\n        struct L { a: u8 }\n    }\n}\n";
        let f = SourceFile::parse(src.to_owned()).unwrap();
        assert_eq!(f.find("T", 3), Some(Found::Positional));
        assert!(matches!(f.find("L", 5), Some(Found::Named(_))));
        assert_eq!(f.find("L", 4), None);
    }

    #[test]
    fn ignore_markers() {
        let src = "// layout:ignore\n#[repr(C)]\nstruct A { a: u8, b: u64 }\n\n#[repr(C)]\n#[layout(fixed)]\nstruct B { a: u8, b: u64 }\n\n// unrelated\n\n#[repr(C)]\nstruct C { a: u8, b: u64 }\n";
        assert!(named(src, "A", 3).ignored);
        let b = named(src, "B", 7);
        assert!(b.ignored && b.annotated);
        let c = named(src, "C", 12);
        assert!(!c.ignored && !c.annotated);
    }

    #[test]
    fn parse_errors_have_a_position() {
        let err = SourceFile::parse("struct S { a: }\n".into()).unwrap_err();
        assert_eq!(err.1, 1);
    }

    use proptest::prelude::*;

    /// One field's text: (blank line before, line comment, doc, cfg, pub, type, trailing
    /// comment kind).
    type FieldGen = (bool, bool, bool, bool, bool, usize, u8);

    const TYPES: [&str; 5] = [
        "u8",
        "HashMap<u8, u16>",
        "[u8; 4]",
        "Option<(u32, u64)>",
        "fn(u8, u8) -> u8",
    ];

    fn struct_text(
        fields: &[FieldGen],
        one_line: bool,
        trailing_comma: bool,
        end_comment: bool,
    ) -> String {
        let mut s =
            String::from("use std::collections::HashMap;\n\n/// Doc.\n#[repr(C)]\nstruct S {");
        let n = fields.len();
        for (i, &(blank, comment, doc, cfg, vis, ty, trail)) in fields.iter().enumerate() {
            let comma = if i + 1 < n || trailing_comma { "," } else { "" };
            let vis = if vis { "pub(crate) " } else { "" };
            if one_line {
                s.push_str(&format!(" {vis}f{i}: {}{comma}", TYPES[ty]));
                continue;
            }
            s.push('\n');
            if blank {
                s.push('\n');
            }
            if comment {
                s.push_str(&format!("    // about f{i}\n"));
            }
            if doc {
                s.push_str(&format!("    /// f{i}, documented.\n"));
            }
            if cfg {
                s.push_str("    #[cfg(unix)]\n");
            }
            s.push_str(&format!("    {vis}f{i}: {}{comma}", TYPES[ty]));
            match trail {
                1 => s.push_str(&format!(" // trailing {i}")),
                2 => s.push_str(&format!(" /* block {i} */")),
                _ => {}
            }
        }
        if one_line {
            s.push_str(" }\n");
        } else {
            s.push('\n');
            if end_comment {
                s.push_str("    // the end\n");
            }
            s.push_str("}\n\nfn after() {}\n");
        }
        s
    }

    fn locate(text: &str) -> StructSource {
        let line = text
            .lines()
            .position(|l| l.starts_with("struct S"))
            .unwrap()
            + 1;
        named(text, "S", line)
    }

    proptest! {
        /// Any permutation, then its inverse, gives back the original bytes; every
        /// intermediate text parses and keeps every field with its own comments.
        #[test]
        fn reorder_round_trips(
            fields in prop::collection::vec(
                (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), 0..TYPES.len(), 0u8..3),
                1..7,
            ),
            one_line in any::<bool>(),
            trailing_comma in any::<bool>(),
            end_comment in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let text = struct_text(&fields, one_line, trailing_comma, end_comment);
            let n = fields.len();
            let mut order: Vec<usize> = (0..n).collect();
            let mut x = seed;
            for i in (1..n).rev() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                order.swap(i, (x >> 33) as usize % (i + 1));
            }
            let s = locate(&text);
            prop_assert_eq!(&s.names, &(0..n).map(|i| format!("f{i}")).collect::<Vec<_>>());
            let moved = reorder(&text, &s, &order);
            let t = locate(&moved);
            let want: Vec<String> = order.iter().map(|i| format!("f{i}")).collect();
            prop_assert_eq!(&t.names, &want);
            for (k, &i) in order.iter().enumerate() {
                let chunk = &moved[t.chunks[k].clone()];
                let has = |needle: String| chunk.contains(&needle);
                let (_, comment, doc, _, _, _, trail) = fields[i];
                let kept = (!comment || one_line || has(format!("// about f{i}\n")))
                    && (!doc || one_line || has(format!("/// f{i}, documented.")))
                    && (trail != 1 || one_line || has(format!("// trailing {i}")))
                    && (trail != 2 || one_line || has(format!("/* block {i} */")));
                prop_assert!(kept, "field {} lost a comment: {:?}", i, chunk);
            }
            let mut inverse = vec![0; n];
            for (k, &i) in order.iter().enumerate() {
                inverse[i] = k;
            }
            prop_assert_eq!(reorder(&moved, &t, &inverse), text);
        }
    }
}
