//! Finding, reading and parsing the `.rs` files `report` is pointed at.
//!
//! Each file is read and parsed once; every target reuses the result. A file that cannot
//! be read or parsed becomes a [`FileError`] and the others are still analysed. Parsing
//! never panics: syn is recursive, so the nesting depth of brackets is checked first and
//! a file nested deeper than [`MAX_NESTING`] is refused with an error instead of
//! risking a stack overflow.

use std::path::{Path, PathBuf};

use crate::analysis::FileError;

/// Deepest bracket nesting accepted; syn recurses once (or more) per level.
pub const MAX_NESTING: usize = 128;

/// One parsed source file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or as found under a given directory.
    pub path: PathBuf,
    /// Module path of the file inside its crate (`["a", "b"]` for `src/a/b.rs`).
    pub module: Vec<String>,
    /// The text, for comments syn does not keep (`// layout:ignore`).
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
    let err = |line, column, message: String| FileError {
        file: path.to_path_buf(),
        line,
        column,
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(None, None, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..upto].iter().filter(|&&b| b == b'\n').count() + 1;
        err(Some(line), None, "not valid UTF-8".into())
    })?;
    let ast = parse(&text).map_err(|(line, col, msg)| err(line, col, msg))?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        module: module_path(path, root),
        text,
        ast,
    })
}

/// Parses Rust source, refusing pathological nesting instead of overflowing the stack.
pub fn parse(text: &str) -> Result<syn::File, (Option<usize>, Option<usize>, String)> {
    if let Some((line, col)) = too_deep(text) {
        return Err((
            Some(line),
            Some(col),
            format!("nesting deeper than {MAX_NESTING} levels; not analysed"),
        ));
    }
    syn::parse_file(text).map_err(|e| {
        let start = e.span().start();
        (
            Some(start.line.max(1)),
            Some(start.column + 1),
            format!("cannot parse: {e}"),
        )
    })
}

/// Where bracket nesting first exceeds the limit, skipping comments and string
/// literals. `<` counts within one statement (reset at `;`, `{`, `}`), and long runs of
/// prefix operators (`!!!!x`, `&&&&x`) count too: syn parses all of them recursively.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let (mut depth, mut angle, mut unary) = (0usize, 0usize, 0usize);
    let (mut line, mut line_start) = (1usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            line_start = i + 1;
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
        if c == b'\'' {
            // A char literal (`'"'`, `'\\''`, `'é'`), else a lifetime.
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
                while i < b.len() && b[i] != b'\'' && b[i] != b'\n' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            if let Some(end) = (2..=5).find(|&k| b.get(i + k) == Some(&b'\'')) {
                if std::str::from_utf8(&b[i + 1..i + end]).is_ok_and(|s| s.chars().count() == 1) {
                    i += end + 1;
                    continue;
                }
            }
        }
        if c == b'"' {
            // A raw string `r#"..."#` ends at `"` followed by as many `#`.
            let mut hashes = 0;
            let mut k = i;
            while k > 0 && b[k - 1] == b'#' {
                hashes += 1;
                k -= 1;
            }
            let raw = k > 0 && b[k - 1] == b'r';
            i += 1;
            while i < b.len() {
                if b[i] == b'\n' {
                    line += 1;
                    line_start = i + 1;
                }
                if !raw && b[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if b[i] == b'"' && (!raw || b[i + 1..].iter().take(hashes).filter(|&&h| h == b'#').count() == hashes) {
                    break;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        match c {
            b'(' | b'[' => depth += 1,
            b'{' => {
                depth += 1;
                angle = 0;
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                angle = 0;
            }
            b';' => angle = 0,
            b'<' => angle += 1,
            b'>' => angle = angle.saturating_sub(1),
            _ => {}
        }
        if matches!(c, b'!' | b'&' | b'*' | b'-' | b'|') {
            unary += 1;
        } else if !c.is_ascii_whitespace() {
            unary = 0;
        }
        if depth > MAX_NESTING || angle > MAX_NESTING || unary > MAX_NESTING {
            return Some((line, i - line_start + 1));
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let src = format!("const X: u8 = {}1{};", "(".repeat(100_000), ")".repeat(100_000));
        let e = parse(&src).unwrap_err();
        assert_eq!(e.0, Some(1));
        assert!(e.2.contains("nesting"));
        let src = format!("const X: bool = {}true;", "!".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!("type X = {}u8{};", "Vec<".repeat(100_000), ">".repeat(100_000));
        assert!(parse(&src).is_err());
        // Brackets in comments and strings do not count.
        let src = format!("// {}\nconst S: &str = \"{}\";", "(".repeat(1000), "[".repeat(1000));
        assert!(parse(&src).is_ok());
        assert!(parse("const C: char = '\"'; const D: char = '\\''; struct S<'a>(&'a u8);").is_ok());
    }

    #[test]
    fn parse_error_has_position() {
        let e = parse("struct S {\n  a: u8,,\n}").unwrap_err();
        assert_eq!(e.0, Some(2));
        assert!(e.1.is_some());
    }
}
