//! Re-analysis before writing: the engine reads files, so the new text goes into a
//! scratch copy of the input (same relative paths, the edited files replaced) and the
//! engine runs there with the same targets. Then:
//! - no new input errors, none in an edited file;
//! - every reordered struct lays out on every target, in the planned order, at the
//!   planned size, and satisfies its intent (the `layout::rules`);
//! - every struct whose layout was known and valid before still is (a reordered struct
//!   nested in another changes the outer layout).
//!
//! Each problem names the edited file it is in, when it is in one, so `fix` can leave
//! that file alone and still fix the others. Files are matched by what they are
//! (canonical path), not by how they were named: `src src/a.rs`, `./src` and a
//! symlink inside a copied tree all reach one file. The scratch copies are new files
//! with the default mode, so a 0444 input does not make its copy unwritable.

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

/// A problem found, for people, with the edited file it is in when that is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: Option<PathBuf>,
    pub message: String,
}

/// Checks `new_texts` (original path -> new text) as the module docs say.
pub fn verify(
    paths: &[PathBuf],
    targets: &[&'static TargetInfo],
    new_texts: &BTreeMap<PathBuf, String>,
    before: &Analysis,
    expect: &[Expectation],
    analyze: Analyzer<'_>,
) -> Result<(), Vec<Problem>> {
    let general = |message: String| {
        vec![Problem {
            file: None,
            message,
        }]
    };
    let scratch = tempfile::tempdir().map_err(|e| general(format!("scratch dir: {e}")))?;
    let mirror = Mirror::build(paths, scratch.path()).map_err(general)?;
    let mut problems = Vec::new();
    let at = |file: &Path, message: String| Problem {
        file: Some(file.to_path_buf()),
        message,
    };
    for (file, text) in new_texts {
        let copies = mirror.copies_of(file);
        if copies.is_empty() {
            problems.push(at(file, "outside the given paths".into()));
        }
        for m in copies {
            if let Err(e) = std::fs::write(&m, text) {
                problems.push(at(file, format!("cannot write its scratch copy: {e}")));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let after = analyze(&mirror.paths, targets);

    // Files are compared by what they are, not by how they were named: one file can be
    // reached as `src/a.rs` and `./src/a.rs`.
    let same = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let edited: HashMap<PathBuf, &PathBuf> = new_texts.keys().map(|k| (same(k), k)).collect();
    let edited_as = |p: &Path| edited.get(&same(p)).map(|k| (*k).clone());
    // A file outside the copy (a module `#[path]`ed out of the workspace, read where it
    // is) is its own original.
    let back = |s: &StructReport| {
        mirror
            .to_original(&s.file)
            .or_else(|| s.file.is_absolute().then(|| s.file.clone()))
            .map(|f| same(&f))
    };
    let mut other_errors = 0;
    for e in &after.errors {
        match mirror.to_original(&e.file).and_then(|f| edited_as(&f)) {
            Some(f) => {
                let line = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                problems.push(at(&f, format!("{line}{}", e.message)));
            }
            _ => other_errors += 1,
        }
    }
    if other_errors > before.errors.len() {
        problems.push(Problem {
            file: None,
            message: format!(
                "{other_errors} input errors in other files after the rewrite, {} before",
                before.errors.len()
            ),
        });
    }
    let mut by_key: HashMap<(PathBuf, usize, &str, &str), &StructReport> = HashMap::new();
    for s in &after.structs {
        if let Some(f) = back(s) {
            by_key.insert((f, s.line, s.name.as_str(), s.target.triple), s);
        }
    }
    let mut in_file = |file: &Path, message: String| {
        problems.push(Problem {
            file: edited_as(file),
            message,
        })
    };
    for x in expect {
        let key = (same(&x.file), x.line, x.name.as_str(), x.target);
        let Some(s) = by_key.get(&key) else {
            in_file(
                &x.file,
                format!("{} on {}: not found after the rewrite", x.name, x.target),
            );
            continue;
        };
        let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
        if names != x.fields.iter().map(String::as_str).collect::<Vec<_>>() {
            in_file(
                &x.file,
                format!(
                    "{} on {}: fields are in the order {names:?}, expected {:?}",
                    x.name, x.target, x.fields
                ),
            );
        }
        if s.size != Some(x.size) {
            in_file(
                &x.file,
                format!(
                    "{} on {}: size {:?} after the rewrite, planned {}",
                    x.name, x.target, s.size, x.size
                ),
            );
        }
        match reorder::check_report(s) {
            None => in_file(
                &x.file,
                format!(
                    "{} on {}: layout unknown after the rewrite",
                    x.name, x.target
                ),
            ),
            Some(Some(v)) => in_file(&x.file, v),
            Some(None) => {}
        }
    }
    for b in &before.structs {
        if reorder::check_report(b) != Some(None) {
            continue;
        }
        let key = (same(&b.file), b.line, b.name.as_str(), b.target.triple);
        match by_key.get(&key).map(|s| reorder::check_report(s)) {
            Some(Some(None)) => {}
            Some(Some(Some(v))) => in_file(&b.file, format!("{v} (valid before the rewrite)")),
            Some(None) | None => in_file(
                &b.file,
                format!(
                    "{} on {}: laid out before the rewrite, not after",
                    b.name, b.target.triple
                ),
            ),
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
    /// (original, copy) for each copied path, raw and canonical.
    roots: Vec<(PathBuf, PathBuf)>,
    /// What the engine is called with, one per given path, in the order given.
    paths: Vec<PathBuf>,
    /// (canonical original, copy) of every file copied.
    files: Vec<(PathBuf, PathBuf)>,
}

impl Mirror {
    /// Copies each given path once: a path inside another given directory (`src
    /// src/a.rs`) is the copy inside that directory's copy, so the engine sees the
    /// same overlap as it did the first time. A single file goes under `src/` when it
    /// is under a `src` directory, so its module path is unchanged.
    fn build(paths: &[PathBuf], scratch: &Path) -> Result<Self, String> {
        let mut m = Mirror {
            roots: Vec::new(),
            paths: vec![PathBuf::new(); paths.len()],
            files: Vec::new(),
        };
        let canon: Vec<Option<PathBuf>> = paths.iter().map(|p| p.canonicalize().ok()).collect();
        // Outer paths first, so an inner one finds its outer copy.
        let mut order: Vec<usize> = (0..paths.len()).collect();
        order.sort_by_key(|&k| {
            canon[k]
                .as_ref()
                .map_or(usize::MAX, |c| c.components().count())
        });
        for k in order {
            let p = &paths[k];
            let Some(cp) = &canon[k] else {
                // The engine reports it again, as it did the first time.
                m.paths[k] = p.clone();
                continue;
            };
            if let Some(inside) = map(&m.roots, cp, false) {
                m.paths[k] = inside;
                continue;
            }
            let root = scratch.join(k.to_string());
            let copy = if p.is_dir() {
                copy_tree(p, &root, &mut m.files)
                    .map_err(|e| format!("copying {}: {e}", p.display()))?;
                root
            } else {
                let name = p
                    .file_name()
                    .ok_or_else(|| format!("{}: not a file", p.display()))?;
                let under_src = p
                    .ancestors()
                    .skip(1)
                    .find(|d| d.file_name().is_some_and(|n| n == "src"))
                    .and_then(|src| p.strip_prefix(src).ok());
                let copy = match under_src {
                    Some(rel) => root.join("src").join(rel),
                    None => root.join(name),
                };
                if let Some(dir) = copy.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                }
                copy_file(p, &copy).map_err(|e| format!("copying {}: {e}", p.display()))?;
                m.files.push((cp.clone(), copy.clone()));
                copy
            };
            m.roots.push((p.clone(), copy.clone()));
            if let Ok(b) = copy.canonicalize() {
                m.roots.push((cp.clone(), b));
            }
            m.paths[k] = copy;
        }
        Ok(m)
    }

    /// Every copy of `file`: a file reached through several names (a symlink in a
    /// copied tree) has one copy per name, and each gets the new text.
    fn copies_of(&self, file: &Path) -> Vec<PathBuf> {
        let real = file.canonicalize().ok();
        let mut out: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(orig, _)| Some(orig) == real.as_ref())
            .map(|(_, copy)| copy.clone())
            .collect();
        if let Some(m) = map(&self.roots, file, false)
            && !out.contains(&m)
        {
            out.push(m);
        }
        out
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

/// A copy that is a new file with the default mode: the original's mode (0444) would
/// keep the scratch copy from being rewritten.
fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::write(to, std::fs::read(from)?)
}

/// Copies the files the engine may read (`.rs`, `.toml`), skipping `target` and
/// hidden directories. A file that cannot be read is left out: the engine reported
/// it the first time and reports its absence no worse.
fn copy_tree(from: &Path, to: &Path, files: &mut Vec<(PathBuf, PathBuf)>) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let s = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !s.starts_with('.') && s != "target" {
                copy_tree(&entry.path(), &to.join(&name), files)?;
            }
        } else if s.ends_with(".rs") || s.ends_with(".toml") {
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            std::fs::write(to.join(&name), bytes)?;
            if let Ok(real) = entry.path().canonicalize() {
                files.push((real, to.join(&name)));
            }
        }
    }
    Ok(())
}
