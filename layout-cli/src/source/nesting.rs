//! The nesting gate: how deeply a file's syntax nests, measured on its tokens before
//! any recursive parser sees them.
//!
//! syn parses types and expressions by recursive descent, and the trees it builds are
//! cloned, printed and dropped recursively too, so a file nested a few thousand levels
//! deep exhausts the stack (a process abort, which loses the report of every other
//! file). This scan is linear, allocates one token list, and never recurses. It counts
//! what makes those parsers recurse, cumulatively and without being reset by the
//! keywords or lifetimes in between:
//!
//! - each open bracket `(`, `[`, `{`, and each generic `<` that a `>` closes;
//! - each prefix operator or type constructor whose operand follows it: `&`, `&&` (two),
//!   `&mut`, `*const`, unary `-`, `!`, a closure's `|`, and `->`, `=`, `else`,
//!   `return`, `break`, each of which parses the rest as a nested operand.
//!
//! A run of prefixes ends where its operand ends: at a binary operator, `,`, `;`,
//! `=>`, or a statement following a `{ ... }` block. Chains of binary operators,
//! method calls, `?` and `as` (`1 << 0 | 1 << 1 | ...`, `x.a().b()`) are parsed in a
//! loop but build a tree as deep as the chain, which recurses when cloned, printed or
//! dropped: every [`CHAIN_PER_LEVEL`] of them in one expression count as a level.
//! A `<` with no matching `>` in its statement (a shift or a comparison) is an
//! operator, not a level.

/// One significant token, as far as nesting is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `(`, `[`, `{`.
    Open(u8),
    /// `)`, `]`, `}`.
    Close(u8),
    /// `<` (one per character of `<<`).
    Lt,
    /// `>` (one per character of `>>`).
    Gt,
    /// `&`.
    Amp,
    /// `&&`.
    AndAnd,
    /// `*`, `-`.
    Unary,
    /// `!`.
    Bang,
    /// `|`.
    Pipe,
    /// `||`.
    OrOr,
    /// `->`.
    Arrow,
    /// `=` and compound assignments.
    Assign,
    /// `else`, `return`, `break`, `yield`.
    Nests,
    /// `;`, `=>`.
    End,
    /// `,`.
    Comma,
    /// An operator that chains: `+`, `/`, `==`, `<=`, `.`, `?`, `as`, ... (and `&`,
    /// `*`, `-`, `|`, `&&`, `||`, `<`, `>` between operands).
    Binary,
    /// A separator that does not nest: `::`, `:`, `..`, `#`, `$`, `@`.
    Sep,
    /// An identifier, literal or operand keyword (`self`, `true`, ...).
    Operand,
    /// A keyword after which an operand is still to come (`mut`, `const`, `dyn`,
    /// `as`, `in`, `fn`, ...), or a lifetime.
    Prefix,
}

/// 16 bytes: a file's tokens are the largest transient buffer of a read. Offsets,
/// lines and columns fit 32 bits because texts over 4 GiB are refused before lexing
/// (rustc's own source positions are 32-bit).
#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    /// What the blanking pass needs to know of a word.
    pub(super) word: Word,
    line: u32,
    col: u32,
    /// Byte offset of the token's first byte.
    at: u32,
}

impl Tok {
    /// Byte offset of the token's first byte.
    pub(super) fn pos(&self) -> usize {
        self.at as usize
    }
}

/// Words [`blank_fn_bodies`] looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Word {
    /// Not one of the others (punctuation, literals, other words).
    Other,
    /// An identifier that is not a keyword (a function's name follows `fn`).
    Ident,
    /// `fn`.
    Fn,
    /// `macro_rules`.
    MacroRules,
}

/// The result of [`scan`].
#[derive(Debug, PartialEq, Eq)]
pub struct Nesting {
    /// Where the nesting first went beyond the limit (1-based line and column).
    pub too_deep_at: Option<(usize, usize)>,
    /// The deepest nesting seen (up to the point it went beyond the limit).
    pub deepest: usize,
    /// Work done: bytes read plus tokens examined by each pass (for tests of linearity).
    pub steps: u64,
}

/// Measures the nesting of `text`, stopping at the first point deeper than `limit`.
pub fn scan(text: &str, limit: usize) -> Nesting {
    scan_lexed(&lex(text), limit)
}

/// The tokens of a text, as [`lex`] splits it.
#[derive(Debug)]
pub struct Lexed {
    pub(super) toks: Vec<Tok>,
    /// Bytes read.
    bytes: u64,
    /// Byte ranges of string literals and block comments that contain a newline.
    multiline: Vec<(usize, usize)>,
    /// Byte ranges of doc comments (`///`, `//!`, `/** */`, `/*! */`).
    docs: Vec<(usize, usize)>,
}

/// [`scan`] of an already lexed text.
pub fn scan_lexed(lexed: &Lexed, limit: usize) -> Nesting {
    let (toks, mut steps) = (&lexed.toks, lexed.bytes);
    let generic = match_angles(toks, &mut steps);
    let mut out = Nesting {
        too_deep_at: None,
        deepest: 0,
        steps,
    };
    // Per open level, its prefix run; `total` is the sum over the levels of one per
    // level (the outermost excepted) plus its run.
    let mut levels: Vec<Level> = vec![Level::default()];
    let mut total = 0usize;
    let mut prev_operand = false;
    let mut after_block = false;
    for (i, t) in toks.iter().enumerate() {
        out.steps += 1;
        if after_block && !matches!(t.kind, Kind::Nests | Kind::Close(_)) {
            // A statement after a block (`if a {} if b {}`): the runs before it ended.
            end_run(&mut levels, &mut total);
            end_chain(&mut levels, &mut total);
        }
        after_block = false;
        let in_params = levels.last().is_some_and(|l| l.closure_params);
        let add = match t.kind {
            Kind::Open(_) => {
                levels.push(Level::default());
                total += 1;
                0
            }
            Kind::Lt if generic[i] => {
                levels.push(Level::default());
                total += 1;
                0
            }
            Kind::Close(_) | Kind::Gt if levels.len() > 1 && (t.kind != Kind::Gt || generic[i]) => {
                // A closed level's runs and chains end with it.
                total -= 1 + levels
                    .pop()
                    .map_or(0, |l| l.run + l.chain / CHAIN_PER_LEVEL);
                after_block = t.kind == Kind::Close(b'{');
                prev_operand = true;
                continue;
            }
            // The `|` that ends a closure's parameters: its body follows.
            Kind::Pipe if in_params && prev_operand => {
                if let Some(l) = levels.last_mut() {
                    l.closure_params = false;
                }
                prev_operand = false;
                continue;
            }
            // `a, b` in closure parameters do not end the closure.
            Kind::Comma if in_params => {
                prev_operand = false;
                continue;
            }
            Kind::Pipe if !prev_operand => {
                if let Some(l) = levels.last_mut() {
                    l.closure_params = true;
                }
                1
            }
            Kind::Amp | Kind::Unary | Kind::Bang | Kind::OrOr if !prev_operand => 1,
            Kind::AndAnd if !prev_operand => 2,
            // `m!(...)`: a macro's `!`, not an operator.
            Kind::Bang => {
                prev_operand = false;
                continue;
            }
            Kind::Arrow | Kind::Assign | Kind::Nests => 1,
            Kind::Operand => {
                prev_operand = true;
                continue;
            }
            Kind::Prefix => {
                prev_operand = false;
                continue;
            }
            Kind::End | Kind::Comma => {
                // The end of an item, statement or element ends both kinds of run.
                end_run(&mut levels, &mut total);
                end_chain(&mut levels, &mut total);
                prev_operand = false;
                continue;
            }
            Kind::Sep => {
                end_run(&mut levels, &mut total);
                prev_operand = false;
                continue;
            }
            _ => {
                // A binary operator ends the prefix run before it, and makes the
                // expression so far the left operand of a new node: a chain of them is
                // a tree as deep as it is long (syn parses it in a loop, but cloning,
                // printing and dropping it recurse).
                end_run(&mut levels, &mut total);
                prev_operand = false;
                let Some(l) = levels.last_mut() else { continue };
                l.chain += 1;
                if l.chain % CHAIN_PER_LEVEL == 0 {
                    total += 1;
                    out.deepest = out.deepest.max(total);
                    if total > limit {
                        out.too_deep_at = Some((t.line as usize, t.col as usize));
                        return out;
                    }
                }
                continue;
            }
        };
        prev_operand = false;
        if let Some(l) = levels.last_mut() {
            l.run += add;
        }
        total += add;
        out.deepest = out.deepest.max(total);
        if total > limit {
            out.too_deep_at = Some((t.line as usize, t.col as usize));
            return out;
        }
    }
    out
}

/// Binary operators in one chain that count as one level: a chain node is a small
/// frame to clone or drop next to a level of recursive parsing, so `1 << 0 | 1 << 1
/// | ...` (stdarch has 65 such terms) is far from the limit, while a chain of many
/// thousands, deep enough to exhaust a thread's stack when dropped, is over it.
const CHAIN_PER_LEVEL: usize = 8;

/// One open bracket level of [`scan`].
#[derive(Default)]
struct Level {
    /// Prefixes whose operand has not ended yet.
    run: usize,
    /// Binary operators since the start of the current expression.
    chain: usize,
    /// Inside `|...|` closure parameters.
    closure_params: bool,
}

fn end_chain(levels: &mut [Level], total: &mut usize) {
    if let Some(l) = levels.last_mut() {
        *total -= l.chain / CHAIN_PER_LEVEL;
        l.chain = 0;
    }
}

fn end_run(levels: &mut [Level], total: &mut usize) {
    if let Some(l) = levels.last_mut() {
        *total -= l.run;
        l.run = 0;
    }
}

/// For each token, whether it is a `<` or `>` of a matched generic pair. A `<` is
/// matched by the first unmatched `>` after it at the same bracket level, unless a
/// `;`, `=>`, `{` or `}` comes first (then it was a comparison or a shift).
fn match_angles(toks: &[Tok], steps: &mut u64) -> Vec<bool> {
    let mut generic = vec![false; toks.len()];
    // Unmatched `<` indices, per bracket level.
    let mut levels: Vec<Vec<usize>> = vec![Vec::new()];
    for (i, t) in toks.iter().enumerate() {
        *steps += 1;
        match t.kind {
            Kind::Lt => {
                if let Some(l) = levels.last_mut() {
                    l.push(i);
                }
            }
            Kind::Gt => {
                if let Some(open) = levels.last_mut().and_then(Vec::pop) {
                    generic[open] = true;
                    generic[i] = true;
                }
            }
            Kind::Open(c) => {
                if c == b'{'
                    && let Some(l) = levels.last_mut()
                {
                    l.clear();
                }
                levels.push(Vec::new());
            }
            Kind::Close(c) => {
                if levels.len() > 1 {
                    levels.pop();
                }
                if c == b'{'
                    && let Some(l) = levels.last_mut()
                {
                    l.clear();
                }
            }
            Kind::End => {
                if let Some(l) = levels.last_mut() {
                    l.clear();
                }
            }
            _ => {}
        }
    }
    generic
}

fn keyword(word: &[u8]) -> Kind {
    match word {
        b"else" | b"return" | b"break" | b"yield" => Kind::Nests,
        b"as" => Kind::Binary,
        b"async" | b"await" | b"const" | b"continue" | b"do" | b"dyn" | b"enum" | b"extern"
        | b"fn" | b"for" | b"if" | b"impl" | b"in" | b"let" | b"loop" | b"match" | b"mod"
        | b"move" | b"mut" | b"pub" | b"ref" | b"static" | b"struct" | b"trait" | b"type"
        | b"union" | b"unsafe" | b"use" | b"where" | b"while" => Kind::Prefix,
        // Identifiers, and `self`, `Self`, `super`, `crate`, `true`, `false`.
        _ => Kind::Operand,
    }
}

/// A byte of an identifier or a number: ASCII letters, digits, `_`, and every byte of
/// a non-ASCII character. A table: the lexer asks this of nearly every byte it reads.
pub(super) fn is_ident_byte(c: u8) -> bool {
    const IDENT: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
            c += 1;
        }
        t
    };
    IDENT[usize::from(c)]
}

/// Splits `text` into the tokens nesting depends on, skipping comments and the
/// contents of string and character literals.
pub fn lex(text: &str) -> Lexed {
    let b = text.as_bytes();
    // About one token per four bytes of Rust; pages reserved but never written cost
    // nothing, a reallocation copies every token so far.
    let mut toks = Vec::with_capacity(text.len() / 4 + 16);
    let mut multiline = Vec::new();
    let mut docs = Vec::new();
    let (mut line, mut line_start) = (1usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let col = i - line_start + 1;
        if c == b'\n' {
            line += 1;
            line_start = i + 1;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let start = i;
            let doc = match b.get(i + 2) {
                Some(b'!') => true,
                Some(b'/') => b.get(i + 3) != Some(&b'/'),
                _ => false,
            };
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            if doc {
                docs.push((start, i));
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let (start, start_line) = (i, line);
            let mut nest = 0usize;
            while i < b.len() {
                if b[i] == b'\n' {
                    line += 1;
                    line_start = i + 1;
                }
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    nest += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if line != start_line {
                multiline.push((start, i));
            }
            // `/** ... */` and `/*! ... */` (not `/**/` or `/*** ... */`) are doc comments.
            let doc = match b.get(start + 2) {
                Some(b'!') => true,
                Some(b'*') => !matches!(b.get(start + 3), Some(b'*' | b'/')),
                _ => false,
            };
            if doc && nest == 0 {
                docs.push((start, i));
            }
            continue;
        }
        let pos = i;
        let tok = |kind| Tok {
            kind,
            word: Word::Other,
            line: line as u32,
            col: col as u32,
            at: pos as u32,
        };
        if c == b'\'' {
            // A char literal (`'"'`, `'\\''`, `'é'`), else a lifetime or label.
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
                while i < b.len() && b[i] != b'\'' && b[i] != b'\n' {
                    i += 1;
                }
                i += 1;
                toks.push(tok(Kind::Operand));
                continue;
            }
            if let Some(end) = (2..=5).find(|&k| b.get(i + k) == Some(&b'\''))
                && std::str::from_utf8(&b[i + 1..i + end]).is_ok_and(|s| s.chars().count() == 1)
            {
                i += end + 1;
                toks.push(tok(Kind::Operand));
                continue;
            }
            i += 1;
            while i < b.len() && is_ident_byte(b[i]) {
                i += 1;
            }
            toks.push(tok(Kind::Prefix));
            continue;
        }
        if c == b'"' {
            toks.push(tok(Kind::Operand));
            let start_line = line;
            let start = i;
            i = skip_string(b, i + 1, None, &mut line, &mut line_start);
            if line != start_line {
                multiline.push((start, i));
            }
            continue;
        }
        if is_ident_byte(c) {
            let mut k = i;
            while k < b.len() && is_ident_byte(b[k]) {
                k += 1;
                // `1e-5`, `2.5E+3`: the sign belongs to the literal.
                if c.is_ascii_digit()
                    && matches!(b[k - 1], b'e' | b'E')
                    && !b[i..k].starts_with(b"0x")
                    && matches!(b.get(k), Some(b'-' | b'+'))
                {
                    k += 1;
                }
                // `1.5`, but not `1..2`.
                if c.is_ascii_digit()
                    && b.get(k) == Some(&b'.')
                    && b.get(k + 1).is_some_and(u8::is_ascii_digit)
                {
                    k += 1;
                }
            }
            let word = &b[i..k];
            // Byte, C and raw strings: `b"..."`, `c"..."`, `r#"..."#`, `br"..."`.
            let raw = matches!(word, b"r" | b"br" | b"cr");
            if raw || matches!(word, b"b" | b"c") {
                let mut h = k;
                while raw && b.get(h) == Some(&b'#') {
                    h += 1;
                }
                if b.get(h) == Some(&b'"') {
                    toks.push(tok(Kind::Operand));
                    let hashes = raw.then_some(h - k);
                    let (start, start_line) = (i, line);
                    i = skip_string(b, h + 1, hashes, &mut line, &mut line_start);
                    if line != start_line {
                        multiline.push((start, i));
                    }
                    continue;
                }
            }
            let kind = if c.is_ascii_digit() {
                Kind::Operand
            } else {
                keyword(word)
            };
            let mut t = tok(kind);
            t.word = match word {
                b"fn" => Word::Fn,
                b"macro_rules" => Word::MacroRules,
                _ if kind == Kind::Operand && !c.is_ascii_digit() => Word::Ident,
                _ => Word::Other,
            };
            toks.push(t);
            i = k;
            continue;
        }
        let next = b.get(i + 1).copied();
        let next2 = b.get(i + 2).copied();
        let (kind, len) = match (c, next) {
            (b'(' | b'[' | b'{', _) => (Kind::Open(c), 1),
            (b')', _) => (Kind::Close(b'('), 1),
            (b']', _) => (Kind::Close(b'['), 1),
            (b'}', _) => (Kind::Close(b'{'), 1),
            (b'<', Some(b'<')) | (b'>', Some(b'>')) if next2 == Some(b'=') => (Kind::Assign, 3),
            (b'<' | b'>', Some(b'=')) => (Kind::Binary, 2),
            (b'<', _) => (Kind::Lt, 1),
            (b'>', _) => (Kind::Gt, 1),
            (b'-', Some(b'>')) => (Kind::Arrow, 2),
            (b'=', Some(b'>')) => (Kind::End, 2),
            (b'=' | b'!', Some(b'=')) => (Kind::Binary, 2),
            (b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|', Some(b'=')) => {
                (Kind::Assign, 2)
            }
            (b'=', _) => (Kind::Assign, 1),
            (b'&', Some(b'&')) => (Kind::AndAnd, 2),
            (b'&', _) => (Kind::Amp, 1),
            (b'|', Some(b'|')) => (Kind::OrOr, 2),
            (b'|', _) => (Kind::Pipe, 1),
            (b'!', _) => (Kind::Bang, 1),
            (b'*' | b'-', _) => (Kind::Unary, 1),
            (b';', _) => (Kind::End, 1),
            (b',', _) => (Kind::Comma, 1),
            (b'.', Some(b'.')) if matches!(next2, Some(b'.' | b'=')) => (Kind::Sep, 3),
            (b':', Some(b':')) | (b'.', Some(b'.')) => (Kind::Sep, 2),
            (b':' | b'#' | b'$' | b'@', _) => (Kind::Sep, 1),
            _ => (Kind::Binary, 1),
        };
        toks.push(tok(kind));
        i += len;
    }
    Lexed {
        toks,
        bytes: b.len() as u64,
        multiline,
        docs,
    }
}

/// `text` with the insides of function bodies and the doc comments replaced by
/// spaces, or `None` when it has neither. Layouts never depend on what a function does
/// or on documentation, and lexing them (and parsing doc comments as `#[doc]`
/// attributes) is most of the cost of reading a crate. Newlines are kept and every byte
/// becomes one space, so byte offsets and line numbers stay those of `text`; a body's
/// last line (before its `}`) is kept when it holds non-ASCII characters, and so is a
/// non-ASCII block doc comment, so columns after them stay right too. `macro_rules!`
/// definitions are left alone (a rule may look like a function, and may match doc
/// attributes), as is every `fn` not followed by a name (function pointer types). The
/// result parses to the same items, with empty bodies and without doc attributes.
pub fn blank_fn_bodies(text: &str, lexed: &Lexed) -> Option<String> {
    let toks = &lexed.toks;
    let close = matching_closes(toks);
    let mut regions: Vec<(usize, usize)> = Vec::new();
    // Byte ranges of `macro_rules!` definitions, in order.
    let mut rules: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if t.word == Word::MacroRules && toks.get(i + 1).is_some_and(|n| n.kind == Kind::Bang) {
            // Past the rules' group.
            let Some(k) = (i + 2..toks.len()).find(|&k| matches!(toks[k].kind, Kind::Open(_)))
            else {
                rules.push((t.pos(), text.len()));
                break;
            };
            let Some(c) = close[k] else {
                rules.push((t.pos(), text.len()));
                break;
            };
            rules.push((t.pos(), toks[c].pos()));
            i = c + 1;
            continue;
        }
        if t.word == Word::Fn && toks.get(i + 1).is_some_and(|n| n.word == Word::Ident) {
            match fn_body(toks, &close, i + 2) {
                Some((open, end)) => {
                    regions.push((toks[open].pos() + 1, toks[end].pos()));
                    i = end + 1;
                }
                None => i += 1,
            }
            continue;
        }
        i += 1;
    }
    let b = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    for (from, to) in regions {
        let body = &b[from..to];
        let upto = match body.iter().rposition(|&c| c == b'\n') {
            _ if body.is_ascii() => to,
            Some(nl) if body[nl + 1..].is_ascii() => to,
            // Keep the last line; its start must not be inside a literal or comment.
            Some(nl) if !inside(&lexed.multiline, from + nl) => from + nl,
            _ => continue,
        };
        if upto - from < 2 {
            continue;
        }
        let buf = out.get_or_insert_with(|| b.to_vec());
        for c in &mut buf[from..upto] {
            if *c != b'\n' && *c != b'\r' {
                *c = b' ';
            }
        }
    }
    for &(from, to) in &lexed.docs {
        let doc = &b[from..to];
        // A block doc comment may have tokens after it on its last line.
        if inside(&rules, from) || (doc[1] == b'*' && !doc.is_ascii()) {
            continue;
        }
        let buf = out.get_or_insert_with(|| b.to_vec());
        for c in &mut buf[from..to] {
            if *c != b'\n' && *c != b'\r' {
                *c = b' ';
            }
        }
    }
    // Whole UTF-8 characters were replaced by ASCII spaces: still UTF-8.
    out.map(|v| String::from_utf8(v).unwrap_or_else(|_| text.to_owned()))
}

/// For each opening bracket token, the index of the token that closes it.
pub(super) fn matching_closes(toks: &[Tok]) -> Vec<Option<usize>> {
    let mut close = vec![None; toks.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Open(_) => open.push(i),
            Kind::Close(_) => {
                if let Some(o) = open.pop() {
                    close[o] = Some(i);
                }
            }
            _ => {}
        }
    }
    close
}

/// The `{` and `}` of the body of the function whose signature starts at token `from`
/// (after its name), or `None` when it has none (`fn f();`) or the signature is not
/// understood. Brackets and generic angle brackets nest; a `{` inside them is a const
/// argument, not the body.
pub(super) fn fn_body(
    toks: &[Tok],
    close: &[Option<usize>],
    from: usize,
) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut k = from;
    while k < toks.len() {
        match toks[k].kind {
            Kind::Open(b'{') if depth == 0 => return Some((k, close[k]?)),
            Kind::Open(b'{') => {
                k = close[k]? + 1;
                continue;
            }
            Kind::Open(_) | Kind::Lt => depth += 1,
            Kind::Close(_) | Kind::Gt => depth = depth.checked_sub(1)?,
            Kind::End if depth == 0 => return None,
            _ => {}
        }
        k += 1;
    }
    None
}

/// Whether byte `at` lies inside one of the sorted, disjoint `ranges`.
fn inside(ranges: &[(usize, usize)], at: usize) -> bool {
    let k = ranges.partition_point(|&(start, _)| start <= at);
    k > 0 && at < ranges[k - 1].1
}

/// The index after a string literal whose body starts at `i`: for a raw string with
/// `hashes` `#`s, at the `"` followed by as many `#`; otherwise at the first
/// unescaped `"`.
fn skip_string(
    b: &[u8],
    mut i: usize,
    hashes: Option<usize>,
    line: &mut usize,
    line_start: &mut usize,
) -> usize {
    while i < b.len() {
        match b[i] {
            b'\n' => {
                *line += 1;
                *line_start = i + 1;
            }
            b'\\' if hashes.is_none() => {
                // An escaped newline still starts a line.
                if b.get(i + 1) == Some(&b'\n') {
                    *line += 1;
                    *line_start = i + 2;
                }
                i += 2;
                continue;
            }
            b'"' => {
                let n = hashes.unwrap_or(0);
                if b[i + 1..].iter().take(n).filter(|&&h| h == b'#').count() == n {
                    return i + 1 + n;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}
