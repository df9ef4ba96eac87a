//! `fix` with the input flags of `report`: in cargo mode the analysis and the
//! re-analysis of the rewritten text are the build cargo describes (features, profile,
//! `-p`/`--workspace`, cfgs), and only files of the selected workspace members are
//! rewritten: a dependency's source (registry, git, or a path outside the workspace) is
//! left alone with a note. The re-analysis runs on a scratch copy of the workspace with
//! the very same build, its paths moved there. `--exact` then asks rustc (the exact
//! engine, same build) for the rewritten structs' layouts and restores a file whose
//! struct rustc lays out differently from what `fix` computed.

use std::path::{Path, PathBuf};

use layout::target::TargetInfo;

use super::{Analyzer, ExactAnalyzer, Extra, FixArgs, FixOutcome, Writer, verify};
use crate::analysis::{Analysis, NumberSource};
use crate::cargo::Build;
use crate::cli::InputArgs;

/// `fix`'s own flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    /// Print a unified diff instead of writing.
    pub dry_run: bool,
    /// Also rewrite repr(C) structs without the derive or a `#[layout]` attribute.
    pub all: bool,
    /// Re-verify what was written with rustc.
    pub exact: bool,
}

/// `layout-cli fix` with `report`'s input flags: cargo mode when a Cargo.toml is in
/// reach, else the plain paths as [`super::run`]. `Err` is a usage or cargo error.
pub fn run_input(input: &InputArgs, opts: FixOptions) -> Result<FixOutcome, String> {
    let exact = || -> Result<Analysis, String> {
        let (i, outcome, _) = crate::exact::analyze_exact(input)?;
        match outcome.errors.first() {
            Some(e) => Err(e.clone()),
            None => Ok(i.analysis),
        }
    };
    run_input_with(
        input,
        opts,
        None,
        opts.exact.then_some(&exact as ExactAnalyzer<'_>),
        &super::write::atomic_write,
    )
}

/// [`run_input`] with the seams given: `analyze` replaces the re-analysis of the
/// scratch copy (`None`: the engine on the same build), `exact` is rustc's side (only
/// with `opts.exact`). Not for general use: the seam for tests of the failure paths.
#[doc(hidden)]
pub fn run_input_with(
    input: &InputArgs,
    opts: FixOptions,
    analyze: Option<Analyzer<'_>>,
    exact: Option<ExactAnalyzer<'_>>,
    write: Writer<'_>,
) -> Result<FixOutcome, String> {
    let first = input.analyze()?;
    let Some(build) = first.build else {
        if opts.exact {
            return Err("fix --exact needs a Cargo.toml (rustc is run through cargo)".into());
        }
        let targets = input.target_rows()?;
        let args = FixArgs {
            paths: input.paths(),
            targets: targets.iter().map(|t| t.triple.to_string()).collect(),
            dry_run: opts.dry_run,
            all: opts.all,
        };
        let engine = &crate::engine::analyze;
        return Ok(on_big_stack(|| {
            super::run_core(
                &args,
                &targets,
                &first.analysis,
                analyze.unwrap_or(engine),
                write,
                &Extra::default(),
            )
        }));
    };
    let targets: Vec<&'static TargetInfo> = build.targets.iter().map(|t| t.row).collect();
    let args = FixArgs {
        paths: vec![build.workspace_root.clone()],
        targets: targets.iter().map(|t| t.triple.to_string()).collect(),
        dry_run: opts.dry_run,
        all: opts.all,
    };
    let above = outer_root(&build, &first.analysis);
    let same_build = |paths: &[PathBuf], _: &[&'static TargetInfo]| -> Analysis {
        match paths.first() {
            Some(copy) => analyze_copy(&build, copy, above.as_deref()),
            None => crate::engine::analyze_build(&build),
        }
    };
    let extra = Extra {
        owners: Some(owners(&build)),
        exact,
    };
    Ok(on_big_stack(|| {
        super::run_core(
            &args,
            &targets,
            &first.analysis,
            analyze.unwrap_or(&same_build),
            write,
            &extra,
        )
    }))
}

/// The directory above the workspace root that holds every file of the selected
/// members' structs, when some lie outside the root (a module `#[path]`ed out of it).
fn outer_root(build: &Build, first: &Analysis) -> Option<PathBuf> {
    let root = build.workspace_root.canonicalize().ok()?;
    let members: Vec<&str> = build
        .selected
        .iter()
        .map(|&i| &build.packages[i])
        .filter(|p| p.member)
        .map(|p| p.name.as_str())
        .collect();
    let mut top = root.clone();
    for s in &struct_files(first, &members) {
        let Ok(f) = s.canonicalize() else { continue };
        while !f.starts_with(&top) {
            top = top.parent()?.to_path_buf();
        }
    }
    (top != root).then_some(top)
}

/// The engine on `build` moved to `copy` (the scratch copy of the workspace root). When
/// the members reach files outside the root by relative paths, the copy is moved for
/// the run to the same place under a skeleton of `above` whose other entries are links
/// to the real ones, so `../` from the copy finds them; the paths of the analysis are
/// then put back: the copy's under `copy`, the others to the real files.
fn analyze_copy(build: &Build, copy: &Path, above: Option<&Path>) -> Analysis {
    let root = build
        .workspace_root
        .canonicalize()
        .unwrap_or_else(|_| build.workspace_root.clone());
    let Some(above) = above.filter(|a| root.starts_with(a)) else {
        return crate::engine::analyze_build(&relocate(build, copy));
    };
    let Some(parent) = copy.parent() else {
        return crate::engine::analyze_build(&relocate(build, copy));
    };
    let skeleton = parent.join("above");
    let Ok(rel) = root.strip_prefix(above) else {
        return crate::engine::analyze_build(&relocate(build, copy));
    };
    let dest = skeleton.join(rel);
    let built = (|| -> std::io::Result<()> {
        let mut level = above.to_path_buf();
        let mut at = skeleton.clone();
        for c in rel.components() {
            std::fs::create_dir_all(&at)?;
            for e in std::fs::read_dir(&level)?.flatten() {
                if e.file_name() != c.as_os_str() {
                    link(&e.path(), &at.join(e.file_name()))?;
                }
            }
            level.push(c);
            at.push(c);
        }
        std::fs::rename(copy, &dest)
    })();
    if built.is_err() {
        return crate::engine::analyze_build(&relocate(build, copy));
    }
    let mut a = crate::engine::analyze_build(&relocate(build, &dest));
    let _ = std::fs::rename(&dest, copy);
    let back = |p: &mut PathBuf| {
        if let Ok(rest) = p.strip_prefix(&dest) {
            *p = copy.join(rest);
        } else if let Ok(rest) = p.strip_prefix(&skeleton) {
            *p = above.join(rest);
        }
    };
    for s in &mut a.structs {
        back(&mut s.file);
    }
    for e in &mut a.errors {
        back(&mut e.file);
    }
    a
}

#[cfg(unix)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(windows)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::os::windows::fs::symlink_dir(from, to)
    } else {
        std::os::windows::fs::symlink_file(from, to)
    }
}

/// Files of the structs of `packages` in an analysis.
fn struct_files(a: &Analysis, packages: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = a
        .structs
        .iter()
        .filter(|s| packages.contains(&s.id.package.as_str()))
        .map(|s| s.file.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Runs `f` on a thread with `fix`'s stack (syn and the engine recurse).
fn on_big_stack(f: impl FnOnce() -> FixOutcome + Send) -> FixOutcome {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("layout-fix".into())
            .stack_size(super::STACK)
            .spawn_scoped(scope, f)
        {
            Ok(h) => h.join().unwrap_or_else(|_| FixOutcome {
                errors: vec![super::error(
                    Path::new(""),
                    None,
                    "internal error in fix (please report it); nothing more written".into(),
                )],
                ..FixOutcome::default()
            }),
            Err(e) => FixOutcome {
                errors: vec![super::error(
                    Path::new(""),
                    None,
                    format!("cannot start fix's thread: {e}"),
                )],
                ..FixOutcome::default()
            },
        }
    })
}

/// Every package's directory, canonical, with whether `fix` may rewrite its files: only
/// the selected workspace members'.
fn owners(build: &Build) -> Vec<(PathBuf, bool)> {
    build
        .packages
        .iter()
        .enumerate()
        .map(|(id, p)| {
            let dir = p.dir();
            let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            (dir, p.member && build.selected.contains(&id))
        })
        .collect()
}

/// `build` with every path under its workspace root moved under `copy` (the scratch
/// copy of the root): the same packages, features, cfgs and targets, reading the copy.
fn relocate(build: &Build, copy: &Path) -> Build {
    let root = build.workspace_root.clone();
    let real = root.canonicalize().unwrap_or_else(|_| root.clone());
    let moved = |p: &mut PathBuf| {
        let rest = p
            .strip_prefix(&root)
            .or_else(|_| p.strip_prefix(&real))
            .map(Path::to_path_buf);
        if let Ok(rest) = rest {
            *p = copy.join(rest);
        }
    };
    let mut b = build.clone();
    b.workspace_root = copy.to_path_buf();
    // The list read ahead names the real files, not the copy's.
    b.read_ahead = None;
    for p in &mut b.packages {
        moved(&mut p.manifest_path);
        if let Some(s) = &mut p.build_script {
            moved(s);
        }
        for t in &mut p.targets {
            moved(&mut t.src_path);
        }
    }
    b
}

/// Asks rustc (`exact`) for the layouts of the written files and compares each
/// reordered struct with what `fix` computed: the size, and that its intent holds.
/// Returns the files to restore, each with why, naming the struct and both numbers.
pub(super) fn reverify(
    exact: ExactAnalyzer<'_>,
    written: &[PathBuf],
    expect: impl Fn(&Path) -> Vec<verify::Expectation>,
    notes: &mut Vec<String>,
) -> Vec<(PathBuf, String)> {
    let same = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let rustc = match exact() {
        Ok(a) => a,
        Err(e) => {
            return written
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        format!("--exact: rustc could not check it ({e})"),
                    )
                })
                .collect();
        }
    };
    let mut restore = Vec::new();
    let mut checked = 0;
    for path in written {
        let file = same(path);
        let mut why: Vec<String> = Vec::new();
        for x in expect(path) {
            let found = rustc.structs.iter().find(|s| {
                s.line == x.line
                    && s.name == x.name
                    && s.target.triple == x.target
                    && same(&s.file) == file
            });
            match found {
                Some(s) if s.source == NumberSource::Rustc => {
                    checked += 1;
                    if s.size != Some(x.size) {
                        why.push(format!(
                            "{} on {}: rustc says size {}, fix computed {}",
                            x.name,
                            x.target,
                            s.size.map_or("unknown".into(), |z| z.to_string()),
                            x.size
                        ));
                    } else if let Some(Some(v)) = crate::reorder::check_report(s) {
                        why.push(format!(
                            "{} on {}: with rustc's numbers (size {}) {v}",
                            x.name, x.target, x.size
                        ));
                    }
                }
                _ => {
                    let because = rustc
                        .errors
                        .first()
                        .map(|e| format!(": {}", e.message))
                        .unwrap_or_default();
                    why.push(format!(
                        "{} on {}: rustc gave no layout for it, fix computed size {}{because}",
                        x.name, x.target, x.size
                    ));
                }
            }
        }
        if !why.is_empty() {
            restore.push((path.clone(), format!("--exact: {}", why.join("; "))));
        }
    }
    notes.push(format!(
        "--exact: rustc checked {checked} reordered layout(s), {} file(s) restored",
        restore.len()
    ));
    restore
}
