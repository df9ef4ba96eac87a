//! Finding, reading and parsing the `.rs` files `report` is pointed at.
//!
//! Each file is read and parsed once; every target reuses the result. A file that cannot
//! be read or parsed becomes a [`FileError`] and the others are still analysed. Parsing
//! never panics: syn is recursive, so [`parse`] first measures the file's nesting
//! ([`nesting::scan`]) and refuses a file nested deeper than [`MAX_NESTING`] with an
//! error instead of risking a stack overflow. That check is the one gate for `report`,
//! `snapshot` and `fix`: every file they go on to parse, clone, print or drop has
//! passed it.

use std::path::{Path, PathBuf};

use syn::parse::discouraged::Speculative as _;

use crate::analysis::FileError;

pub mod ahead;
pub mod deferred;
pub mod nesting;

/// Deepest nesting accepted, as [`nesting::scan`] counts it. syn recurses once or more
/// per level; in a debug build on an 8 MiB main thread (where `fix` parses), the
/// costliest construct, nested generics, overflows at about 165 levels and `&mut` at
/// about 260, so this leaves room for the callers' own frames.
pub const MAX_NESTING: usize = 128;

/// One parsed source file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or as found under a given directory.
    pub path: PathBuf,
    /// Module path of the file inside its crate (`["a", "b"]` for `src/a/b.rs`).
    pub module: Vec<String>,
    /// The text, for comments syn does not keep (`// layout:ignore`, `verify::<T>()`
    /// calls); empty in a dependency crate, whose files nothing reports on (dropped as
    /// soon as parsed, so that a report holds only the reported crates' texts).
    pub text: String,
    /// The syntax tree.
    pub ast: syn::File,
}

/// Expands `paths` (crate dirs, source dirs, files) into a sorted, de-duplicated list of
/// `.rs` files, each with the directory its module path is counted from.
pub fn collect(paths: &[PathBuf], errors: &mut Vec<FileError>) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let src = p.join("src");
            let root = if p.join("Cargo.toml").is_file() && src.is_dir() {
                src
            } else {
                p.clone()
            };
            let mut files = Vec::new();
            walk(&root, &mut files, errors, 0);
            files.sort();
            out.extend(files.into_iter().map(|f| (f, root.clone())));
        } else if p.is_file() {
            let root = module_root_of(p);
            out.push((p.clone(), root));
        } else {
            errors.push(FileError {
                file: p.clone(),
                line: None,
                column: None,
                message: "no such file or directory".into(),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(f, _)| seen.insert(f.clone()));
    out
}

/// For a single file, the nearest ancestor named `src` (so `src/a/b.rs` is `a::b`), else
/// the file's own directory.
fn module_root_of(file: &Path) -> PathBuf {
    let mut cur = file.parent();
    while let Some(dir) = cur {
        if dir.file_name().is_some_and(|n| n == "src") {
            return dir.to_path_buf();
        }
        cur = dir.parent();
    }
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<FileError>, depth: usize) {
    if depth > 64 {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(FileError {
                file: dir.to_path_buf(),
                line: None,
                column: None,
                message: format!("cannot read directory: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if name != "target" {
                walk(&path, out, errors, depth + 1);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The module path of `file` relative to `root`: `lib.rs`/`main.rs`/`mod.rs` name their
/// directory, any other `x.rs` the module `x`.
pub fn module_path(file: &Path, root: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let Some(last) = parts.pop() else {
        return parts;
    };
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    // `src/bin/x.rs` is its own crate root.
    if parts.first().is_some_and(|p| p == "bin") {
        return Vec::new();
    }
    if parts.is_empty() && (stem == "lib" || stem == "main") || stem == "mod" {
        return parts;
    }
    parts.push(stem.to_string());
    parts
}

/// Reads and parses one file.
pub fn load(path: &Path, root: &Path) -> Result<SourceFile, FileError> {
    let text = read(path)?;
    let ast = parse(&text).map_err(|(line, col, msg)| file_error(path, line, col, msg))?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        module: module_path(path, root),
        text,
        ast,
    })
}

/// Reads and parses one file of a crate read as needed: with `defer`, only its
/// skeleton (see [`deferred`]), the definitions set aside; otherwise whole. Either way
/// `names` receives the identifiers of what was parsed. With `ahead`, the reading and
/// splitting may already have been done on the second core ([`ahead`]).
pub fn load_noting(
    path: &Path,
    root: &Path,
    defer: bool,
    names: &mut deferred::Names,
    ahead: Option<&ahead::ReadAhead>,
) -> Result<(SourceFile, Option<deferred::Deferred>), FileError> {
    if let Some(a) = ahead {
        a.asked(path, defer);
    }
    let parsed = ahead.and_then(|a| take_parsed(path, defer).inspect(|_| a.parsed_hit()));
    let done = match parsed {
        Some(done) => done?,
        None => {
            let pre = match ahead.and_then(|a| a.take(path, defer)) {
                Some(pre) => pre?,
                None => prepare(path, defer, names)?,
            };
            parse_prepared(path, pre)?
        }
    };
    names.extend(done.names);
    Ok((
        SourceFile {
            path: path.to_path_buf(),
            module: module_path(path, root),
            text: if defer { String::new() } else { done.text },
            ast: done.ast,
        },
        done.deferred,
    ))
}

/// A file parsed ahead (see [`parse_ahead`]).
struct Parsed {
    text: String,
    ast: syn::File,
    deferred: Option<deferred::Deferred>,
    names: deferred::Names,
}

type ParsedAhead = std::collections::HashMap<PathBuf, (bool, Result<Parsed, FileError>)>;

thread_local! {
    /// Files parsed ahead on this thread, by path, with how they were read: syn's trees
    /// and spans belong to the thread that parsed them, so the walk that takes them
    /// runs on the same one.
    static PARSED: std::cell::RefCell<ParsedAhead> = Default::default();
}

/// The file parsed ahead for `path`, if it was read the way `defer` says.
fn take_parsed(path: &Path, defer: bool) -> Option<Result<Parsed, FileError>> {
    let (how, result) = PARSED.with(|m| m.borrow_mut().remove(path))?;
    (how == defer).then_some(result)
}

/// Parses the next file `ahead` lists on this thread, for the walk that will run here
/// ([`load_noting`] takes it); `false` when the list is done.
pub fn parse_ahead(ahead: &ahead::ReadAhead) -> bool {
    let Some((path, defer, prepared)) = ahead.next_prepared() else {
        return false;
    };
    let parsed = prepared.and_then(|pre| parse_prepared(&path, pre));
    PARSED.with(|m| m.borrow_mut().insert(path, (defer, parsed)));
    true
}

/// syn's parse of a prepared file.
fn parse_prepared(path: &Path, pre: Prepared) -> Result<Parsed, FileError> {
    let ast = parse_as_is(pre.parse.as_deref().unwrap_or(&pre.text))
        .map_err(|(line, col, msg)| file_error(path, line, col, msg))?;
    Ok(Parsed {
        text: pre.text,
        ast,
        deferred: pre.deferred,
        names: pre.names,
    })
}

/// Drops what this thread parsed ahead and the walk did not take.
pub fn forget_parsed_ahead() {
    PARSED.with(|m| m.borrow_mut().clear());
}

/// A file read, gated and split, ready for syn: everything [`load_noting`] does before
/// the parse, which needs no syntax tree and so can run on another thread.
#[derive(Debug)]
pub struct Prepared {
    /// The file's text.
    text: String,
    /// What syn parses, when it is not `text` (function bodies blanked, a skeleton).
    parse: Option<String>,
    /// The definitions set aside.
    deferred: Option<deferred::Deferred>,
    /// Identifiers noted on another thread, for the walk's set.
    names: deferred::Names,
}

impl Prepared {
    /// About how many bytes it holds.
    fn bytes(&self) -> usize {
        self.text.len()
            + self.parse.as_ref().map_or(0, String::len)
            + self.deferred.as_ref().map_or(0, deferred::Deferred::bytes)
            + self.names.len() * 24
    }
}

/// Reads `path` and prepares it for syn (the nesting gate, function bodies blanked, and
/// for a deferred file its skeleton split off), noting into `names` the identifiers of
/// what will be parsed.
fn prepare(path: &Path, defer: bool, names: &mut deferred::Names) -> Result<Prepared, FileError> {
    let text = read(path)?;
    let lexed = gate(&text).map_err(|(line, col, msg)| file_error(path, line, col, msg))?;
    let blanked = nesting::blank_fn_bodies(&text, &lexed);
    let body = blanked.as_deref().unwrap_or(&text);
    let (parse, set_aside) = match deferred::split(body, &lexed, defer, names) {
        Some((left, set_aside)) => (Some(squeeze(&left)), set_aside),
        None => {
            deferred::note_all(body, &lexed, names);
            (blanked, None)
        }
    };
    Ok(Prepared {
        text,
        parse,
        deferred: set_aside,
        names: deferred::Names::default(),
    })
}

fn file_error(
    path: &Path,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
) -> FileError {
    FileError {
        file: path.to_path_buf(),
        line,
        column,
        message,
    }
}

fn read(path: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(path)
        .map_err(|e| file_error(path, None, None, format!("cannot read: {e}")))?;

    String::from_utf8(bytes).map_err(|e| {
        let upto = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..upto].iter().filter(|&&b| b == b'\n').count() + 1;
        file_error(path, Some(line), None, "not valid UTF-8".into())
    })
}

/// Parses Rust source, refusing pathological nesting instead of overflowing the stack.
pub fn parse(text: &str) -> Result<syn::File, (Option<usize>, Option<usize>, String)> {
    let lexed = gate(text)?;
    let blanked = nesting::blank_fn_bodies(text, &lexed);
    drop(lexed);
    parse_as_is(blanked.as_deref().unwrap_or(text))
}

/// The nesting gate: the tokens, or the error for a text nested too deeply to parse.
fn gate(text: &str) -> Result<nesting::Lexed, (Option<usize>, Option<usize>, String)> {
    // Token positions are 32-bit, as rustc's are: it cannot compile such a file either.
    if u32::try_from(text.len()).is_err() {
        return Err((None, None, "larger than 4 GiB; not analysed".into()));
    }
    let lexed = nesting::lex(text);
    if let Some((line, col)) = nesting::scan_lexed(&lexed, MAX_NESTING).too_deep_at {
        return Err((
            Some(line),
            Some(col),
            format!("nesting deeper than {MAX_NESTING} levels; not analysed"),
        ));
    }
    Ok(lexed)
}

/// Parses the definitions [`deferred::Deferred`] kept (its text with the others
/// blanked).
pub fn parse_kept(text: &str) -> Result<Vec<syn::Item>, (Option<usize>, Option<usize>, String)> {
    parse_as_is(&squeeze(text)).map(|f| f.items)
}

/// `text` with every line that holds only blanks shortened to its line end: lines and
/// columns stay the text's (byte offsets do not: only for the engine's parses, whose
/// spans are read as lines and columns). A skeleton of windows-sys's biggest file is
/// 99% blanks, which the tokenizer would otherwise walk and index.
fn squeeze(text: &str) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() / 4);
    let mut line = 0;
    while line < b.len() {
        // The line's leading blanks, runs of spaces eight at a time.
        let mut j = line + blank_prefix(&b[line..]);
        while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\r') {
            j += 1;
        }
        if j == b.len() {
            break;
        }
        if b[j] == b'\n' {
            out.push(b'\n');
            line = j + 1;
            continue;
        }
        let end = text[j..].find('\n').map_or(b.len(), |k| j + k + 1);
        out.extend_from_slice(&b[line..end]);
        line = end;
    }
    // Cut only at line ends and ASCII blanks, so still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// How many leading bytes of `b` are spaces, counted in whole runs of eight.
fn blank_prefix(b: &[u8]) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    b.as_chunks::<8>()
        .0
        .iter()
        .take_while(|c| u64::from_ne_bytes(**c) == SPACES)
        .count()
        * 8
}

/// [`parse`] without the nesting gate and without blanking bodies and doc comments.
fn parse_as_is(text: &str) -> Result<syn::File, (Option<usize>, Option<usize>, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A shebang line (not an inner attribute `#![...]`) is blanked, keeping line numbers.
    let owned;
    let text = if text.starts_with("#!") && !text.starts_with("#![") {
        let end = text.find('\n').unwrap_or(text.len());
        owned = format!("{}{}", " ".repeat(end), &text[end..]);
        owned.as_str()
    } else {
        text
    };
    syn::parse::Parser::parse_str(skim_file, text).map_err(|e| {
        let start = e.span().start();
        (
            Some(start.line.max(1)),
            Some(start.column + 1),
            format!("cannot parse: {e}"),
        )
    })
}

/// Parses a file's items the layout engine needs (structs, enums, unions, type
/// aliases, constants, `use`, `mod`, `extern crate`, `static`) fully and skips the
/// others (functions, `impl`, `trait`, macros, `extern` blocks) token tree by token
/// tree, so function bodies are lexed but not parsed: a syntax error inside a body is
/// not reported (rustc will), which keeps a large crate's report well under a second.
fn skim_file(input: syn::parse::ParseStream<'_>) -> syn::Result<syn::File> {
    let attrs = input.call(syn::Attribute::parse_inner)?;
    let items = skim_items(input)?;
    Ok(syn::File {
        shebang: None,
        attrs,
        items,
    })
}

/// Whether the input starts an item macro invocation (`m! { ... }`, `a::m!(...);`,
/// `macro_rules! m { ... }`): kept as `Item::Macro` (its tokens are not parsed), so the
/// module tree can expand the macros that re-emit items (`cfg_if!`, `cfg_rt!`).
fn is_macro_item(fork: &syn::parse::ParseBuffer<'_>) -> bool {
    let f = fork.fork();
    f.call(syn::Path::parse_mod_style).is_ok() && f.peek(syn::Token![!])
}

/// Parses tokens (the body of an item macro invocation) as items, skimmed like a file.
pub fn parse_items(tokens: proc_macro2::TokenStream) -> syn::Result<Vec<syn::Item>> {
    syn::parse::Parser::parse2(skim_items, tokens)
}

fn skim_items(input: syn::parse::ParseStream<'_>) -> syn::Result<Vec<syn::Item>> {
    use syn::Token;
    let mut items = Vec::new();
    while !input.is_empty() {
        let fork = input.fork();
        let attrs = fork.call(syn::Attribute::parse_outer)?;
        let vis: syn::Visibility = fork.parse()?;
        if fork.peek(Token![const]) && (fork.peek2(syn::Ident) || fork.peek2(Token![_])) {
            // A constant: its value is kept as tokens, parsed only if a layout needs it
            // (crates like windows-sys declare tens of thousands).
            let c = skim_const(&fork, attrs, vis)?;
            input.advance_to(&fork);
            items.push(syn::Item::Const(c));
            continue;
        }
        let wanted = fork.peek(Token![struct])
            || fork.peek(Token![enum])
            || (fork.peek(Token![union]) && fork.peek2(syn::Ident))
            || fork.peek(Token![type])
            || (fork.peek(Token![const]) && (fork.peek2(syn::Ident) || fork.peek2(Token![_])))
            || fork.peek(Token![static])
            || fork.peek(Token![use])
            || (fork.peek(Token![extern]) && fork.peek2(Token![crate]))
            || is_macro_item(&fork);
        if wanted {
            let typeish = fork.peek(Token![struct])
                || fork.peek(Token![enum])
                || fork.peek(Token![union])
                || fork.peek(Token![type]);
            let attempt = input.fork();
            match attempt.parse::<syn::Item>() {
                Ok(item) => {
                    input.advance_to(&attempt);
                    items.push(item);
                }
                Err(e) => match typeish.then(|| bare_trait_objects(input)).flatten() {
                    Some(item) => items.push(item),
                    None => return Err(e),
                },
            }
        } else if fork.peek(Token![mod]) || (fork.peek(Token![unsafe]) && fork.peek2(Token![mod])) {
            let unsafety: Option<Token![unsafe]> = fork.parse()?;
            let mod_token: Token![mod] = fork.parse()?;
            let ident: syn::Ident = fork.parse()?;
            let (content, semi) = if fork.peek(Token![;]) {
                (None, Some(fork.parse::<Token![;]>()?))
            } else {
                let body;
                let brace = syn::braced!(body in fork);
                let inner_attrs = body.call(syn::Attribute::parse_inner)?;
                // Recursion bounded by the nesting gate: each `mod` is a brace level.
                let inner = skim_items(&body)?;
                let mut attrs = attrs.clone();
                attrs.extend(inner_attrs);
                input.advance_to(&fork);
                items.push(syn::Item::Mod(syn::ItemMod {
                    attrs,
                    vis,
                    unsafety,
                    mod_token,
                    ident,
                    content: Some((brace, inner)),
                    semi: None,
                }));
                continue;
            };
            input.advance_to(&fork);
            items.push(syn::Item::Mod(syn::ItemMod {
                attrs,
                vis,
                unsafety,
                mod_token,
                ident,
                content,
                semi,
            }));
        } else if (fork.peek(Token![trait])
            || fork.peek(Token![unsafe]) && fork.peek2(Token![trait]))
            && let Some(attempt) = Some(input.fork())
            && let Ok(item) = attempt.parse::<syn::Item>()
        {
            // A trait, for its associated types' bounds; one that does not parse is
            // skipped like the items below.
            input.advance_to(&attempt);
            items.push(item);
        } else {
            // Anything else ends at its first top-level `;` or `{ ... }`.
            input.advance_to(&fork);
            input.step(|cursor| {
                let mut rest = *cursor;
                while let Some((tt, next)) = rest.token_tree() {
                    rest = next;
                    match tt {
                        proc_macro2::TokenTree::Punct(p) if p.as_char() == ';' => break,
                        proc_macro2::TokenTree::Group(g)
                            if g.delimiter() == proc_macro2::Delimiter::Brace =>
                        {
                            // `macro_rules! m { } ` and `m! { }` may be followed by `;`.
                            if let Some((proc_macro2::TokenTree::Punct(p), after)) =
                                rest.token_tree()
                                && p.as_char() == ';'
                            {
                                rest = after;
                            }
                            break;
                        }
                        _ => {}
                    }
                }
                Ok(((), rest))
            })?;
        }
    }
    Ok(items)
}

/// `const NAME: Type = <tokens>;` after its attributes and visibility, with the type
/// and value left unparsed as `Type::Verbatim`/`Expr::Verbatim` (see `engine::consts`).
fn skim_const(
    input: syn::parse::ParseStream<'_>,
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
) -> syn::Result<syn::ItemConst> {
    use syn::Token;
    use syn::ext::IdentExt;
    let const_token: Token![const] = input.parse()?;
    let ident = input.call(syn::Ident::parse_any)?;
    let colon_token: Token![:] = input.parse()?;
    // The type up to the first `=` that stands alone (one inside `Trait<Item = X>` cuts
    // it short: such a type fails to parse later and the constant is unknown, which only
    // integer constants could not afford, and their types have no `=`).
    let ty = tokens_until(input, |p| {
        p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Alone
    })?;
    let eq_token: Token![=] = input.parse()?;
    let value = tokens_until(input, |p| p.as_char() == ';')?;
    if ty.is_empty() || value.is_empty() {
        return Err(input.error("expected a type and an expression"));
    }
    let semi_token: Token![;] = input.parse()?;
    Ok(syn::ItemConst {
        attrs,
        vis,
        const_token,
        ident,
        generics: syn::Generics::default(),
        colon_token,
        ty: Box::new(syn::Type::Verbatim(ty)),
        eq_token,
        expr: Box::new(syn::Expr::Verbatim(value)),
        semi_token,
    })
}

/// The token trees before the first punctuation `stop` accepts (not consumed).
fn tokens_until(
    input: syn::parse::ParseStream<'_>,
    stop: impl Fn(&proc_macro2::Punct) -> bool,
) -> syn::Result<proc_macro2::TokenStream> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut tokens = proc_macro2::TokenStream::new();
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if stop(p)) {
                break;
            }
            tokens.extend([tt]);
            rest = next;
        }
        Ok((tokens, rest))
    })
}

/// The lines of a text by number, through an index of line starts built once, so
/// looking at the lines above each of many items costs only those lines.
#[derive(Debug)]
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { text, starts }
    }

    /// Line `n` (1-based) without its line ending, as `str::lines` gives it.
    pub fn get(&self, n: usize) -> Option<&'a str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).map_or(self.text.len(), |&e| e - 1);
        if start >= self.text.len() {
            return None;
        }
        let line = &self.text[start..end];
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Whether a plain `//` comment containing `marker` sits directly above line
/// `kw_line`: on the lines above it that are comments or, from `first_attr` on, its
/// attributes; a blank or other line ends the search. Returns the answer and how many
/// lines were looked at.
pub fn marker_above(
    lines: &Lines<'_>,
    first_attr: usize,
    kw_line: usize,
    marker: &str,
) -> (bool, u64) {
    let mut scanned = 0;
    let mut j = kw_line.saturating_sub(1);
    while j >= 1 {
        let Some(l) = lines.get(j) else { break };
        scanned += 1;
        let t = l.trim();
        if t.starts_with("//") && !t.starts_with("///") && !t.starts_with("//!") {
            if t.contains(marker) {
                return (true, scanned);
            }
        } else if j < first_attr {
            break;
        }
        j -= 1;
    }
    (false, scanned)
}

/// Edition-2015 code writes closure trait objects without `dyn` (`type Action =
/// Fn(&u8) + Send;`, `Box<FnMut()>`), which syn does not parse. For a type item that
/// failed to parse, this re-reads it with `dyn` inserted before each `Fn`, `FnMut` or
/// `FnOnce` written in type position (after `<`, `,`, `=`, `(`, `&`, `&'a`, `mut`,
/// `const`, `*`, `->` or `:` in a field), and, if that parses, consumes the item.
fn bare_trait_objects(input: syn::parse::ParseStream<'_>) -> Option<syn::Item> {
    // The item's tokens: up to its first top-level `;` or `{ ... }`.
    let tokens = input
        .step(|cursor| {
            let mut rest = *cursor;
            let mut out = Vec::new();
            while let Some((tt, next)) = rest.token_tree() {
                rest = next;
                let end = match &tt {
                    proc_macro2::TokenTree::Punct(p) => p.as_char() == ';',
                    proc_macro2::TokenTree::Group(g) => {
                        g.delimiter() == proc_macro2::Delimiter::Brace
                    }
                    _ => false,
                };
                out.push(tt);
                if end {
                    break;
                }
            }
            Ok((out, rest))
        })
        .ok()?;
    syn::parse2::<syn::Item>(with_dyn(tokens.into_iter().collect())).ok()
}

/// `tokens` with `dyn` before every `Fn(`/`FnMut(`/`FnOnce(` in type position.
fn with_dyn(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Delimiter, Group, Ident, TokenTree};
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tts.len());
    for (i, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => {
                // Recursion bounded by the nesting gate: each group is a level.
                let mut ng = Group::new(g.delimiter(), with_dyn(g.stream()));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
                continue;
            }
            TokenTree::Ident(id)
                if (id == "Fn" || id == "FnMut" || id == "FnOnce")
                    && matches!(tts.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
                    && type_position(&tts[..i]) =>
            {
                out.push(TokenTree::Ident(Ident::new("dyn", id.span())));
            }
            _ => {}
        }
        out.push(tt.clone());
    }
    out.into_iter().collect()
}

/// Whether a path after the tokens `before` (of one group) is a type: not a bound
/// after `:` or `+`, not already after `dyn` or `impl`.
fn type_position(before: &[proc_macro2::TokenTree]) -> bool {
    use proc_macro2::TokenTree;
    match before {
        [] => true,
        [.., TokenTree::Punct(q), TokenTree::Ident(_)] if q.as_char() == '\'' => true,
        [.., TokenTree::Punct(p)] => matches!(p.as_char(), '<' | ',' | '=' | '&' | '*' | '>'),
        [.., TokenTree::Ident(id)] => id == "mut" || id == "const",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeeze_empties_blank_lines_of_every_length_and_keeps_the_others() {
        for n in 0..40 {
            for end in ["\n", "\r\n"] {
                let blank = format!("{}{end}", " ".repeat(n));
                let tabbed = format!("{}\t{}{end}", " ".repeat(n), " ".repeat(n % 7));
                for line in [&blank, &tabbed] {
                    assert_eq!(squeeze(&format!("a\n{line}b\n")), "a\n\nb\n", "{line:?}");
                }
                for at in 0..=n {
                    let mut kept = blank.clone();
                    kept.insert(at, 'é');
                    let text = format!("a\n{kept}b");
                    assert_eq!(squeeze(&text), text, "{kept:?}");
                }
            }
        }
        assert_eq!(
            squeeze("a\n        \n   \t\r\n  b  \n   "),
            "a\n\n\n  b  \n"
        );
    }

    /// The items of a parsed file as the engine sees them: each item's tokens without
    /// doc attributes, and where its name is.
    fn items_seen(f: &syn::File) -> Vec<(String, Option<(usize, usize)>)> {
        fn strip(attrs: &mut Vec<syn::Attribute>) {
            attrs.retain(|a| !a.path().is_ident("doc"));
        }
        fn walk(items: &[syn::Item], out: &mut Vec<(String, Option<(usize, usize)>)>) {
            use quote::ToTokens;
            for it in items {
                let mut it = it.clone();
                let name = match &mut it {
                    syn::Item::Struct(s) => {
                        strip(&mut s.attrs);
                        for f in s.fields.iter_mut() {
                            strip(&mut f.attrs);
                        }
                        Some(s.ident.span().start())
                    }
                    syn::Item::Enum(e) => {
                        strip(&mut e.attrs);
                        for v in e.variants.iter_mut() {
                            strip(&mut v.attrs);
                            for f in v.fields.iter_mut() {
                                strip(&mut f.attrs);
                            }
                        }
                        Some(e.ident.span().start())
                    }
                    syn::Item::Mod(m) => {
                        strip(&mut m.attrs);
                        if let Some((_, inner)) = &m.content {
                            walk(inner, out);
                        }
                        m.content = None;
                        Some(m.ident.span().start())
                    }
                    syn::Item::Const(c) => {
                        strip(&mut c.attrs);
                        Some(c.ident.span().start())
                    }
                    syn::Item::Type(t) => {
                        strip(&mut t.attrs);
                        Some(t.ident.span().start())
                    }
                    syn::Item::Static(t) => {
                        strip(&mut t.attrs);
                        Some(t.ident.span().start())
                    }
                    syn::Item::Union(u) => {
                        strip(&mut u.attrs);
                        for f in u.fields.named.iter_mut() {
                            strip(&mut f.attrs);
                        }
                        Some(u.ident.span().start())
                    }
                    syn::Item::ExternCrate(e) => {
                        strip(&mut e.attrs);
                        None
                    }
                    syn::Item::Use(u) => {
                        strip(&mut u.attrs);
                        None
                    }
                    syn::Item::Macro(m) => {
                        // Its body as the module tree reads it (bodies differ).
                        strip(&mut m.attrs);
                        if let Ok(inner) = parse_items(m.mac.tokens.clone()) {
                            walk(&inner, out);
                        }
                        m.mac.tokens = Default::default();
                        None
                    }
                    // Function bodies differ; the engine reads none of these.
                    syn::Item::Fn(_) | syn::Item::Impl(_) | syn::Item::Trait(_) => continue,
                    _ => None,
                };
                let text = it.to_token_stream().to_string();
                out.push((text, name.map(|p| (p.line, p.column))));
            }
        }
        let mut out = Vec::new();
        walk(&f.items, &mut out);
        out
    }

    /// `parse` (bodies and doc comments blanked) and `parse_as_is` agree on every item
    /// the engine reads, and on where it is; the blanked text keeps byte offsets.
    fn assert_blanking_keeps_items(text: &str) {
        let lexed = nesting::lex(text);
        if let Some(b) = nesting::blank_fn_bodies(text, &lexed) {
            assert_eq!(b.len(), text.len());
            let nl = |t: &str| t.match_indices('\n').map(|(i, _)| i).collect::<Vec<_>>();
            assert_eq!(nl(&b), nl(text));
        }
        match (parse(text), parse_as_is(text)) {
            (Ok(a), Ok(b)) => assert_eq!(items_seen(&a), items_seen(&b), "{text}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("blanked: {:?}, as is: {:?}\n{text}", a.err(), b.err()),
        }
    }

    #[test]
    fn blanking_bodies_and_docs_keeps_items_and_positions() {
        for text in [
            "/// doc é\nfn f() -> u8 {\n    let s = \"}\"; 1\n}\nstruct S(u8);",
            "fn f() {\n  \"é\" } struct After { a: u8 }",
            "fn f() {\n  let s = \"multi\n  é\"; } pub struct T;",
            "/*! inner */\n/** é */ struct A; /** x */\nstruct B;",
            "struct P { f: fn(u8) -> u8, g: Option<fn() -> [u8; { 4 }]> }",
            "fn g<const N: usize>() -> Foo<{ N + 1 }> { body(); }\nstruct Q;",
            "macro_rules! m { (fn $n:ident) => { /// kept\n struct $n; }; }\nm!(fn X);",
            "macro_rules! w { ($($i:item)*) => { $($i)* } }\nw! { /// d\n fn h() { 1 } struct W(u16); }",
            "trait T { fn d(&self) -> u8 { 3 } fn r(); }\nimpl T for u8 { fn r() {} }\nconst C: usize = { 2 };",
            "fn r#type() { x } extern \"C\" { fn c(); } struct Z;",
            "fn f() { let c = '{'; let l: &'static str = r#\"}\"#; } struct Y;",
            "fn broken() { ( }",
        ] {
            assert_blanking_keeps_items(text);
        }
        // The tool's own sources, as a sample of real code.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = 0;
        for dir in [
            "layout-cli/src",
            "eventloop/src",
            "layout-derive/src",
            "layout/src",
        ] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        assert_blanking_keeps_items(&std::fs::read_to_string(&p).unwrap());
                        files += 1;
                    }
                }
            }
        }
        assert!(files > 50, "{files} files");
    }

    #[test]
    fn blanking_removes_bodies_and_docs() {
        let text =
            "/// doc\nfn f() {\n    work();\n}\nmacro_rules! m { () => { fn g() { keep(); } } }\n";
        let b = nesting::blank_fn_bodies(text, &nesting::lex(text)).unwrap();
        assert!(!b.contains("doc") && !b.contains("work"), "{b}");
        assert!(b.contains("keep()"), "{b}");
        // Nothing to blank: no copy.
        let plain = "struct S { a: fn(u8) }";
        assert!(nesting::blank_fn_bodies(plain, &nesting::lex(plain)).is_none());
    }

    #[test]
    fn module_paths() {
        let r = Path::new("/c/src");
        assert!(module_path(Path::new("/c/src/lib.rs"), r).is_empty());
        assert_eq!(module_path(Path::new("/c/src/a/mod.rs"), r), ["a"]);
        assert_eq!(module_path(Path::new("/c/src/a/b.rs"), r), ["a", "b"]);
        assert!(module_path(Path::new("/c/src/bin/x.rs"), r).is_empty());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!(
            "const X: u8 = {}1{};",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let e = parse(&src).unwrap_err();
        assert_eq!(e.0, Some(1));
        assert!(e.2.contains("nesting"));
        let src = format!("const X: bool = {}true;", "!".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!(
            "type X = {}u8{};",
            "Vec<".repeat(100_000),
            ">".repeat(100_000)
        );
        assert!(parse(&src).is_err());
        // Brackets in comments and strings do not count.
        let src = format!(
            "// {}\nconst S: &str = \"{}\";",
            "(".repeat(1000),
            "[".repeat(1000)
        );
        assert!(parse(&src).is_ok());
        assert!(
            parse("const C: char = '\"'; const D: char = '\\''; struct S<'a>(&'a u8);").is_ok()
        );
    }

    fn depth_error(src: &str) -> Option<(Option<usize>, Option<usize>)> {
        match parse(src) {
            Err((l, c, m)) if m.contains("nesting deeper") => Some((l, c)),
            _ => None,
        }
    }

    #[test]
    fn keywords_and_lifetimes_between_prefixes_do_not_reset_the_count() {
        let deep = [
            format!("type T = {}u8;", "&mut ".repeat(3000)),
            format!("type T = {}u8;", "&'static ".repeat(3000)),
            format!("type T = {}u8;", "*const ".repeat(3000)),
            format!("type T = {}u8;", "&'a mut ".repeat(3000)),
            format!("struct S {{ p: {}u8 }}", "fn() -> ".repeat(53_000)),
            format!("struct S {{ p: {}u8 }}", "fn(u8, &u16) -> ".repeat(200)),
            format!(
                "type T = {}u8{};",
                "Box<dyn Fn() -> ".repeat(200),
                ">".repeat(200)
            ),
            format!("const X: u8 = {{ {}1 }};", "a = ".repeat(200)),
            format!("const X: u8 = {}1;", "|x| ".repeat(200)),
            format!("const X: u8 = {}1;", "|| ".repeat(200)),
            format!(
                "const X: u8 = if a {{ 1 }} {} else {{ 3 }};",
                "else if b { 2 } ".repeat(200)
            ),
            format!("fn f() {{ {}1 }}", "return ".repeat(200)),
            // Alternating kinds add up.
            format!("type T = {}u8{};", "&(".repeat(70), ")".repeat(70)),
            format!("{}struct S;{}", "mod m { ".repeat(200), "}".repeat(200)),
            // Chains parse in a loop but build trees as deep as they are long.
            format!("const X: u32 = {}1;", "1 + ".repeat(200_000)),
            format!("const X: u64 = {}1;", "1 << ".repeat(1921)),
            format!("fn f() {{ x{}; }}", ".a()".repeat(20_000)),
            format!("const X: u64 = x{};", " as u64".repeat(20_000)),
        ];
        for src in &deep {
            let at = depth_error(src);
            assert!(at.is_some(), "accepted: {}", &src[..60]);
            assert_eq!(at.unwrap().0, Some(1));
        }
        // The position is where the limit is crossed: the 128th `&` (after `=`).
        let (_, col) = depth_error(&deep[0]).unwrap();
        assert_eq!(col, Some("type T = ".len() + 127 * "&mut ".len() + 1));
    }

    /// Runs `f` on a thread with the 8 MiB stack of a main thread (`fix` parses there):
    /// test threads have 2 MiB, and the nesting limit is sized for 8.
    fn on_main_sized_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn valid_deep_looking_code_is_accepted() {
        on_main_sized_stack(valid_deep_looking_code);
    }

    fn valid_deep_looking_code() {
        let shifts: Vec<String> = (0..65).map(|i| format!("1 << {i}")).collect();
        let many_shifts: Vec<String> = (0..300).map(|i| format!("x << {}", i % 64)).collect();
        let minus: Vec<String> = (0..5000).map(|i| format!("-{i}")).collect();
        let ok = [
            format!("const M: u64 = {};", shifts.join(" | ")),
            format!("const M: u64 = {};", many_shifts.join(" | ")),
            format!("const A: [i32; 5000] = [{}];", minus.join(", ")),
            format!("const B: i32 = 0{};", " - a".repeat(900)),
            format!("const C: bool = true{};", " && !a".repeat(900)),
            format!("const D: i32 = *a{};", " * *b".repeat(900)),
            format!(
                "fn f() {{ {} }}",
                "if a < b { x() } else { y() } ".repeat(5000)
            ),
            format!("fn f() {{ {} }}", "let x = a < b; ".repeat(5000)),
            format!("fn f() {{ {} }}", "m!(x); ".repeat(5000)),
            format!("fn f() {{ {} }}", "if a > b && c < d { z() } ".repeat(5000)),
            format!("fn f() {{ {} }}", "x.a()?.b(); ".repeat(5000)),
            format!("fn f() {{ x{}; }}", ".a()?".repeat(400)),
            format!("const P: &[&str] = &[{}];", "\"a::b\", ".repeat(5000)),
            format!("type T = {}u8{};", "Vec<".repeat(100), ">".repeat(100)),
            format!("type T = {}u8;", "&mut ".repeat(100)),
            format!(
                "{}struct S {{ a: u8 }}{}",
                "mod m { ".repeat(100),
                " }".repeat(100)
            ),
            "struct S<'a>(&'a u8, *const &'a mut u8, fn(&u8) -> &u8);\n\
             const S: &str = r#\"((((\"#; const B: &[u8] = br\"[[[[\"; const C: char = '(';\n\
             // ((((((\n/* [[[[ /* ((( */ ]]] */ type F = fn() -> fn() -> u8;"
                .to_string(),
        ];
        for src in &ok {
            assert_eq!(
                depth_error(src),
                None,
                "rejected: {}",
                &src[..60.min(src.len())]
            );
        }
        // More than 64 nested inline modules used to be an `unexpected token`.
        let f = parse(&ok[15]).unwrap();
        let mut items = &f.items;
        let mut depth = 0;
        while let [syn::Item::Mod(m)] = items.as_slice() {
            items = &m.content.as_ref().unwrap().1;
            depth += 1;
        }
        assert_eq!(depth, 100);
        assert!(matches!(items.as_slice(), [syn::Item::Struct(_)]));
    }

    #[test]
    fn chains_in_closed_blocks_do_not_add_up() {
        // syn's generated PartialEq impls: thousands of short `==`/`&&` chains, each in
        // its own fn body. A closed block's chain ends with it.
        let one = "impl PartialEq for T { fn eq(&self, o: &Self) -> bool { self.a == o.a && \
                   self.b == o.b && self.c == o.c && self.d == o.d && self.e == o.e } }\n";
        assert!(parse(&one.repeat(3000)).is_ok());
        // One long chain is still counted.
        let long = format!("const X: u32 = 1{};", " << 1".repeat(100_000));
        assert!(parse(&long).is_err());
    }

    #[test]
    fn the_nesting_scan_is_linear() {
        let unit = "struct S { a: &'static mut Vec<fn(u8) -> u8>, b: [u8; 1 << 3] }\n\
                    fn f() { if a < b { g(|x| x + 1) } else { *p = !q; } }\n";
        let steps = |n: usize| nesting::scan(&unit.repeat(n), MAX_NESTING).steps;
        let (a, b, c) = (steps(1000), steps(2000), steps(4000));
        assert!(b <= 2 * a && c <= 2 * b, "{a} {b} {c}");
        // `fn f() {`, `else`, `{`, `*`, `=`, `!`: six levels.
        assert_eq!(nesting::scan(&unit.repeat(10), MAX_NESTING).deepest, 6);
    }

    #[test]
    fn skimming_keeps_the_items_layouts_need() {
        let f = parse(
            "#!/usr/bin/env run\n#![allow(x)]\nfn f() -> u8 { struct Hidden; 1 }\nimpl X { fn g(&self) {} }\n\
             macro_rules! m { () => {} }\nm!(a);\npub(crate) struct S { a: u8 }\nunion U { a: u8 }\n\
             mod inner { #![cfg(unix)] const N: usize = 3; trait T { fn x(); } pub enum E { A } }\n\
             extern \"C\" { fn c(); }\nconst fn k() {}\nconst _: () = ();\nmod file;\ntype A = u8;",
        )
        .unwrap();
        let kinds: Vec<&str> = f
            .items
            .iter()
            .map(|i| match i {
                syn::Item::Struct(_) => "struct",
                syn::Item::Union(_) => "union",
                syn::Item::Mod(m) if m.content.is_some() => "mod{}",
                syn::Item::Mod(_) => "mod;",
                syn::Item::Const(_) => "const",
                syn::Item::Type(_) => "type",
                syn::Item::Macro(_) => "macro",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "macro", "macro", "struct", "union", "mod{}", "const", "mod;", "type"
            ]
        );
        let syn::Item::Mod(m) = &f.items[4] else {
            unreachable!()
        };
        assert_eq!(m.attrs.len(), 1);
        // The trait is kept too, for its associated types' bounds.
        let inner = &m.content.as_ref().unwrap().1;
        assert_eq!(inner.len(), 3);
        assert!(matches!(&inner[1], syn::Item::Trait(t) if t.ident == "T"));
        assert!(parse("fn f() { ( }").is_err());
    }

    #[test]
    fn edition_2015_bare_closure_trait_objects_parse() {
        let f = parse(
            "type Action = Fn(&u8) + Send + Sync;\n\
             pub struct H { f: Box<FnMut(u8) -> u8 + Send>, g: &'static (Fn() + Sync), h: u8 }\n\
             struct W<F> where F: Fn(u8) { f: F, r: Box<Fn() -> Box<FnOnce()>> }\n\
             enum E { A(Box<Fn()>), B }\nstruct S { a: u8 }",
        )
        .unwrap();
        assert_eq!(f.items.len(), 5);
        let syn::Item::Type(t) = &f.items[0] else {
            panic!("{:?}", f.items[0])
        };
        assert!(matches!(&*t.ty, syn::Type::TraitObject(o) if o.bounds.len() == 3));
        // The bound in the `where` clause is left as a bound.
        let syn::Item::Struct(w) = &f.items[2] else {
            panic!()
        };
        let bound = quote::ToTokens::to_token_stream(&w.generics.where_clause).to_string();
        assert!(!bound.contains("dyn"), "{bound}");
        // Positions still point into the file.
        let syn::Item::Struct(h) = &f.items[1] else {
            panic!()
        };
        assert_eq!(h.ident.span().start().line, 2);
        assert_eq!(h.fields.len(), 3);
        // Code that is broken for other reasons is still an error.
        assert!(parse("type A = Fn(&u8) Send;").is_err());
    }

    #[test]
    fn lines_match_str_lines() {
        for text in ["", "a", "a\n", "a\r\nb\n\nc", "\n\n", "x\ny"] {
            let want: Vec<&str> = text.lines().collect();
            let lines = Lines::new(text);
            let got: Vec<&str> = (1..=want.len() + 1).map_while(|n| lines.get(n)).collect();
            assert_eq!(got, want, "{text:?}");
            assert_eq!(lines.get(0), None);
        }
    }

    #[test]
    fn markers_above_many_structs_cost_linear_lines() {
        let unit = "// layout:ignore\n#[derive(Debug)]\n// note\nstruct A;\n\nstruct B;\n";
        let scan = |n: usize| {
            let text = unit.repeat(n);
            let lines = Lines::new(&text);
            let (mut hits, mut scanned) = (0, 0);
            for k in 0..n {
                // `A` is on line 4 of each unit, its attribute on 2; `B` on line 6.
                for (attr, kw) in [(2, 4), (6, 6)] {
                    let (hit, s) = marker_above(&lines, 6 * k + attr, 6 * k + kw, "layout:ignore");
                    hits += usize::from(hit);
                    scanned += s;
                }
            }
            (hits, scanned)
        };
        assert_eq!(scan(1), (1, 4));
        let (a, b) = (scan(10_000), scan(20_000));
        assert_eq!((a.0, b.0), (10_000, 20_000));
        assert_eq!(b.1, 2 * a.1);
    }

    #[test]
    fn parse_error_has_position() {
        let e = parse("struct S {\n  a: u8,,\n}").unwrap_err();
        assert_eq!(e.0, Some(2));
        assert!(e.1.is_some());
    }
}
