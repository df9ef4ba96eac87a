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
enum Kind {
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

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    line: usize,
    col: usize,
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
    let (toks, mut steps) = lex(text);
    let generic = match_angles(&toks, &mut steps);
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
                        out.too_deep_at = Some((t.line, t.col));
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
            out.too_deep_at = Some((t.line, t.col));
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

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Splits `text` into the tokens nesting depends on, skipping comments and the
/// contents of string and character literals. Returns the tokens and the bytes read.
fn lex(text: &str) -> (Vec<Tok>, u64) {
    let b = text.as_bytes();
    let mut toks = Vec::new();
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
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
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
            continue;
        }
        let tok = |kind| Tok { kind, line, col };
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
            i = skip_string(b, i + 1, None, &mut line, &mut line_start);
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
                    i = skip_string(b, h + 1, hashes, &mut line, &mut line_start);
                    continue;
                }
            }
            let kind = if c.is_ascii_digit() {
                Kind::Operand
            } else {
                keyword(word)
            };
            toks.push(tok(kind));
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
    (toks, b.len() as u64)
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
