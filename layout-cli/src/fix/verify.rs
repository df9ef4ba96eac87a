//! Re-analysis before writing: the engine reads files, so the new text goes into a
//! scratch copy of the input (same relative paths, the edited files replaced) and the
//! engine runs there with the same targets. Then:
//! - no new input errors, none in an edited file;
//! - every reordered struct lays out on every target, in the planned order, at the
//!   planned size, and satisfies its intent (the `layout::rules`);
//! - every struct whose layout was known and valid before still is (a reordered struct
//!   nested in another changes the outer layout).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use layout::target::TargetInfo;

use super::Analyzer;
use crate::analysis::{Analysis, StructReport};
use crate::reorder;

/// What a reordered struct must look like after the rewrite.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub file: PathBuf,
    pub line: usize,
    pub name: String,
    /// Target triple.
    pub target: &'static str,
    pub size: usize,
    /// Field names in the new order (as present on this target).
    pub fields: Vec<String>,
}

/// Problems found, for people.
pub fn verify(
    paths: &[PathBuf],
    targets: &[&'static TargetInfo],
    new_texts: &BTreeMap<PathBuf, String>,
    before: &Analysis,
    expect: &[Expectation],
    analyze: Analyzer<'_>,
) -> Result<(), Vec<String>> {
    let scratch = tempfile::tempdir().map_err(|e| vec![format!("scratch dir: {e}")])?;
    let mirror = Mirror::build(paths, scratch.path()).map_err(|e| vec![e])?;
    for (file, text) in new_texts {
        let Some(m) = mirror.to_mirror(file) else {
            return Err(vec![format!(
                "{} is outside the given paths",
                file.display()
            )]);
        };
        std::fs::write(&m, text).map_err(|e| vec![format!("scratch copy: {e}")])?;
    }
    let after = analyze(&mirror.paths, targets);

    let mut problems = Vec::new();
    let back = |s: &StructReport| mirror.to_original(&s.file);
    for e in &after.errors {
        let file = mirror.to_original(&e.file);
        if file.as_ref().is_some_and(|f| new_texts.contains_key(f)) {
            problems.push(format!("{}: {}", e.file.display(), e.message));
        }
    }
    if after.errors.len() > before.errors.len() {
        problems.push(format!(
            "{} input errors after the rewrite, {} before",
            after.errors.len(),
            before.errors.len()
        ));
    }
    let mut by_key: HashMap<(PathBuf, usize, &str, &str), &StructReport> = HashMap::new();
    for s in &after.structs {
        if let Some(f) = back(s) {
            by_key.insert((f, s.line, s.name.as_str(), s.target.triple), s);
        }
    }
    for x in expect {
        let key = (x.file.clone(), x.line, x.name.as_str(), x.target);
        let Some(s) = by_key.get(&key) else {
            problems.push(format!(
                "{} on {}: not found after the rewrite",
                x.name, x.target
            ));
            continue;
        };
        let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
        if names != x.fields.iter().map(String::as_str).collect::<Vec<_>>() {
            problems.push(format!(
                "{} on {}: fields are in the order {names:?}, expected {:?}",
                x.name, x.target, x.fields
            ));
        }
        if s.size != Some(x.size) {
            problems.push(format!(
                "{} on {}: size {:?} after the rewrite, planned {}",
                x.name, x.target, s.size, x.size
            ));
        }
        match reorder::check_report(s) {
            None => problems.push(format!(
                "{} on {}: layout unknown after the rewrite",
                x.name, x.target
            )),
            Some(Some(v)) => problems.push(v),
            Some(None) => {}
        }
    }
    for b in &before.structs {
        if reorder::check_report(b) != Some(None) {
            continue;
        }
        let key = (b.file.clone(), b.line, b.name.as_str(), b.target.triple);
        match by_key.get(&key).map(|s| reorder::check_report(s)) {
            Some(Some(None)) => {}
            Some(Some(Some(v))) => problems.push(format!("{v} (valid before the rewrite)")),
            Some(None) | None => problems.push(format!(
                "{} on {}: laid out before the rewrite, not after",
                b.name, b.target.triple
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A scratch copy of the input paths.
struct Mirror {
    /// (original, copy) for each given path, raw and canonical.
    roots: Vec<(PathBuf, PathBuf)>,
    /// The copies, in the order given (what the engine is called with).
    paths: Vec<PathBuf>,
}

impl Mirror {
    fn build(paths: &[PathBuf], scratch: &Path) -> Result<Self, String> {
        let mut m = Mirror {
            roots: Vec::new(),
            paths: Vec::new(),
        };
        for (k, p) in paths.iter().enumerate() {
            let root = scratch.join(k.to_string());
            if !p.exists() {
                // The engine reports it again, as it did the first time.
                m.paths.push(p.clone());
                continue;
            }
            let copy = if p.is_dir() {
                copy_tree(p, &root).map_err(|e| format!("copying {}: {e}", p.display()))?;
                root
            } else {
                let name = p
                    .file_name()
                    .ok_or_else(|| format!("{}: not a file", p.display()))?;
                std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
                let copy = root.join(name);
                std::fs::copy(p, &copy).map_err(|e| format!("copying {}: {e}", p.display()))?;
                copy
            };
            m.roots.push((p.clone(), copy.clone()));
            if let (Ok(a), Ok(b)) = (p.canonicalize(), copy.canonicalize()) {
                m.roots.push((a, b));
            }
            m.paths.push(copy);
        }
        Ok(m)
    }

    fn to_mirror(&self, file: &Path) -> Option<PathBuf> {
        map(&self.roots, file, false)
    }

    fn to_original(&self, file: &Path) -> Option<PathBuf> {
        map(&self.roots, file, true)
    }
}

fn map(roots: &[(PathBuf, PathBuf)], file: &Path, reverse: bool) -> Option<PathBuf> {
    let canon = file.canonicalize().ok();
    for (orig, copy) in roots {
        let (from, to) = if reverse { (copy, orig) } else { (orig, copy) };
        for f in std::iter::once(file).chain(canon.as_deref()) {
            if f == from {
                return Some(to.clone());
            }
            if let Ok(rest) = f.strip_prefix(from) {
                return Some(to.join(rest));
            }
        }
    }
    None
}

/// Copies the files the engine may read (`.rs`, `.toml`), skipping `target` and
/// hidden directories.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let s = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !s.starts_with('.') && s != "target" {
                copy_tree(&entry.path(), &to.join(&name))?;
            }
        } else if s.ends_with(".rs") || s.ends_with(".toml") {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}
