//! `layout-cli fix`: rewrite repr(C) structs into their best order, in place.
//!
//! Opt-in per struct: only `repr(C)` structs with `#[derive(CacheLayout)]` or a
//! `#[layout]` attribute are rewritten, every `repr(C)` struct with `--all` (most
//! `repr(C)` structs exist for FFI or a wire format, whose order must not change). The
//! order is [`crate::reorder::plan`]'s for all selected targets at once. The rewrite
//! moves whole field chunks (comments, attributes, `cfg`s, trailing comment) and leaves
//! every other byte alone ([`splice`]). Before anything is written the new text is
//! parsed and analysed again, in a scratch copy of the input ([`verify`]); the file is
//! then replaced atomically ([`write`]). Any failure leaves the original untouched.

mod splice;
mod verify;
pub mod write;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use layout::target::{self, TargetInfo};

use crate::analysis::{Analysis, FileError, StructKind, StructReport};
use crate::reorder::{self, NoOrder, View};

pub use splice::{Found, SourceFile, StructSource};

/// Arguments of `layout-cli fix` (main.rs embeds this in its clap definition).
#[derive(Debug, Clone, clap::Args)]
pub struct FixArgs {
    /// Crate dirs, source dirs or .rs files.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Targets whose layouts must all satisfy the intent (default: the host's row).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Print a unified diff instead of writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also rewrite repr(C) structs without the derive or a #[layout] attribute.
    #[arg(long)]
    pub all: bool,
}

/// What `fix` did.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// Unified diff of every change (written or, with --dry-run, proposed).
    pub diff: String,
    /// Files rewritten (empty with --dry-run).
    pub changed: Vec<PathBuf>,
    /// Structs left alone and why (repr(Rust), tuple struct, fixed, ...), and one line
    /// per struct reordered with its sizes.
    pub notes: Vec<String>,
    /// Input problems.
    pub errors: Vec<FileError>,
}

/// The engine entry point `fix` calls (a parameter so tests can break re-analysis).
pub type Analyzer<'a> = &'a dyn Fn(&[PathBuf], &[&'static TargetInfo]) -> Analysis;

/// The atomic file replacement `fix` calls (a parameter so tests can fail a write).
pub type Writer<'a> = &'a dyn Fn(&Path, &str) -> io::Result<()>;

/// Runs `fix`.
pub fn run(args: &FixArgs) -> FixOutcome {
    run_with(args, &crate::engine::analyze, &write::atomic_write)
}

/// [`run`] with the engine and the writer given. Not for general use: the seam for
/// tests of the failure paths.
#[doc(hidden)]
pub fn run_with(args: &FixArgs, analyze: Analyzer<'_>, write: Writer<'_>) -> FixOutcome {
    let mut out = FixOutcome::default();
    let targets = match resolve_targets(&args.targets) {
        Ok(t) => t,
        Err(message) => {
            out.errors.push(error(Path::new(""), None, message));
            return out;
        }
    };
    let analysis = analyze(&args.paths, &targets);
    out.errors.extend(analysis.errors.iter().cloned());

    let mut files: BTreeMap<PathBuf, Option<FileWork>> = BTreeMap::new();
    for reports in group_structs(&analysis) {
        let first = reports[0];
        let slot = files
            .entry(first.file.clone())
            .or_insert_with(|| load(&first.file, &mut out.errors));
        let Some(work) = slot else { continue };
        if let Some(edit) = decide(args, &reports, work, &mut out.notes) {
            work.edits.push(edit);
        }
    }

    // Apply each file's edits from the last struct to the first, so earlier byte
    // ranges stay valid, and re-parse the result.
    let mut new_texts: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut expectations = Vec::new();
    for (path, work) in files.iter_mut() {
        let Some(work) = work else { continue };
        if work.edits.is_empty() {
            continue;
        }
        work.edits
            .sort_by_key(|e| std::cmp::Reverse(e.source.chunks[0].start));
        let mut text = work.source.text.clone();
        for e in &work.edits {
            text = splice::reorder(&text, &e.source, &e.order);
        }
        if let Err((msg, line, col)) = SourceFile::parse(text.clone()) {
            out.errors.push(FileError {
                file: path.clone(),
                line: Some(line),
                column: Some(col),
                message: format!("the reordered text does not parse ({msg}); file left untouched"),
            });
            continue;
        }
        expectations.extend(work.edits.iter().flat_map(|e| e.expect.iter().cloned()));
        new_texts.insert(path.clone(), text);
    }
    if new_texts.is_empty() {
        return out;
    }

    if let Err(problems) = verify::verify(
        &args.paths,
        &targets,
        &new_texts,
        &analysis,
        &expectations,
        analyze,
    ) {
        let file = new_texts.keys().next().cloned().unwrap_or_default();
        for p in problems {
            out.errors.push(error(
                &file,
                None,
                format!("re-analysis of the fixed source failed, nothing written: {p}"),
            ));
        }
        return out;
    }

    for (path, new) in &new_texts {
        let Some(Some(work)) = files.get(path) else {
            continue;
        };
        let old = &work.source.text;
        let display = path.display().to_string().replace('\\', "/");
        out.diff.push_str(
            &similar::TextDiff::from_lines(old.as_str(), new.as_str())
                .unified_diff()
                .context_radius(3)
                .header(&display, &display)
                .to_string(),
        );
        out.notes
            .extend(work.edits.iter().rev().map(|e| e.summary.clone()));
        if args.dry_run {
            continue;
        }
        match std::fs::read_to_string(path) {
            Ok(now) if now == *old => {}
            Ok(_) => {
                out.errors.push(error(
                    path,
                    None,
                    "the file changed while fix ran; left untouched".into(),
                ));
                continue;
            }
            Err(e) => {
                out.errors
                    .push(error(path, None, format!("cannot read: {e}")));
                continue;
            }
        }
        match write(path, new) {
            Ok(()) => out.changed.push(path.clone()),
            Err(e) => out.errors.push(error(
                path,
                None,
                format!("cannot write ({e}); file left untouched"),
            )),
        }
    }
    out
}

fn error(file: &Path, line: Option<usize>, message: String) -> FileError {
    FileError {
        file: file.to_path_buf(),
        line,
        column: None,
        message,
    }
}

/// `--target` names to table rows; none means the host's row.
pub(crate) fn resolve_targets(names: &[String]) -> Result<Vec<&'static TargetInfo>, String> {
    static HOST: TargetInfo = target::CURRENT;
    if names.is_empty() {
        return Ok(vec![target::find(HOST.triple).unwrap_or(&HOST)]);
    }
    let mut out: Vec<&'static TargetInfo> = Vec::new();
    for n in names {
        let t = target::find(n).ok_or_else(|| format!("unknown target `{n}`"))?;
        if !out.iter().any(|o| o.triple == t.triple) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A file with structs to consider.
struct FileWork {
    source: SourceFile,
    edits: Vec<Edit>,
}

/// One struct's new order.
struct Edit {
    source: StructSource,
    order: Vec<usize>,
    expect: Vec<verify::Expectation>,
    summary: String,
}

fn load(path: &Path, errors: &mut Vec<FileError>) -> Option<FileWork> {
    let known = |errors: &Vec<FileError>| errors.iter().any(|e| e.file == path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            if !known(errors) {
                errors.push(error(path, None, format!("cannot read: {e}")));
            }
            return None;
        }
    };
    match SourceFile::parse(text) {
        Ok(source) => Some(FileWork {
            source,
            edits: Vec::new(),
        }),
        Err((msg, line, column)) => {
            if !known(errors) {
                errors.push(FileError {
                    file: path.to_path_buf(),
                    line: Some(line),
                    column: Some(column),
                    message: msg,
                });
            }
            None
        }
    }
}

/// The reports of each struct (one per target), in analysis order.
fn group_structs(a: &Analysis) -> Vec<Vec<&StructReport>> {
    let mut index: BTreeMap<(&Path, usize, &str), usize> = BTreeMap::new();
    let mut groups: Vec<Vec<&StructReport>> = Vec::new();
    for s in &a.structs {
        let key = (s.file.as_path(), s.line, s.name.as_str());
        match index.get(&key) {
            Some(&i) => groups[i].push(s),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![s]);
            }
        }
    }
    groups
}

/// Whether and how to reorder one struct; notes say why not.
fn decide(
    args: &FixArgs,
    reports: &[&StructReport],
    work: &FileWork,
    notes: &mut Vec<String>,
) -> Option<Edit> {
    let first = reports[0];
    let at = format!("{}:{}: {}", first.file.display(), first.line, first.name);
    let found = work.source.find(&first.name, first.line);
    let src_annotated = matches!(&found, Some(Found::Named(s)) if s.annotated);
    let annotated = src_annotated || reports.iter().any(|r| r.annotated);
    if first.kind == StructKind::Unit || !(annotated || args.all) {
        return None;
    }
    let mut note = |msg: &str| notes.push(format!("{at}: {msg}"));
    if first.kind == StructKind::Tuple || matches!(found, Some(Found::Positional)) {
        note("tuple struct: its fields are reached by position; left alone");
        return None;
    }
    let Some(Found::Named(src)) = found else {
        note("not found in the source text; left alone");
        return None;
    };
    if src.ignored || reports.iter().any(|r| r.fixed) {
        note("#[layout(fixed)] or `layout:ignore`: left alone");
        return None;
    }
    if reports.iter().any(|r| !r.repr.c) {
        if annotated {
            note("rustc already reorders repr(Rust) fields; nothing to fix");
        }
        return None;
    }
    let views: Vec<View<'_>> = reports
        .iter()
        .map(|r| View {
            report: r,
            fields: map_fields(&src, r),
        })
        .collect();
    let plan = match reorder::plan(src.names.len(), &views) {
        Ok(p) => p,
        Err(NoOrder::NotReprC) => return None,
        Err(e @ NoOrder::Unsatisfiable(_)) => {
            let hint = match reorder::pad_suggestion(src.names.len(), &views) {
                Some(p) => {
                    let sizes: Vec<String> = views
                        .iter()
                        .zip(&p.sizes)
                        .map(|(v, s)| format!("{s} bytes on {}", v.report.target.short))
                        .collect();
                    format!(
                        "; with a `#[layout(pad)] _pad: [u8; {}]` field an order exists ({})",
                        p.bytes,
                        sizes.join(", ")
                    )
                }
                None => String::new(),
            };
            note(&format!("{e}{hint}; left alone"));
            return None;
        }
        Err(e) => {
            note(&format!("{e}; left alone"));
            return None;
        }
    };
    if !plan.changes_order() {
        return None;
    }
    let mut expect = Vec::new();
    let mut sizes = Vec::new();
    for ((view, &size), &was) in views.iter().zip(&plan.sizes).zip(&plan.current_sizes) {
        let fields = plan
            .order
            .iter()
            .filter_map(|&g| view.fields[g].map(|l| view.report.fields[l].name.clone()))
            .collect();
        expect.push(verify::Expectation {
            file: first.file.clone(),
            line: first.line,
            name: first.name.clone(),
            target: view.report.target.triple,
            size,
            fields,
        });
        sizes.push(format!(
            "{was} -> {size} bytes on {}",
            view.report.target.short
        ));
    }
    let order_names: Vec<&str> = plan.order.iter().map(|&g| src.names[g].as_str()).collect();
    let summary = format!(
        "{at}: reordered ({}): {}",
        sizes.join(", "),
        order_names.join(", ")
    );
    Some(Edit {
        order: plan.order,
        source: src,
        expect,
        summary,
    })
}

/// Source field `g` -> index into `r.fields`: same name and line, else the same name
/// when the name is unique in the source. Raw identifiers match with or without `r#`.
fn map_fields(src: &StructSource, r: &StructReport) -> Vec<Option<usize>> {
    let bare = |n: &str| n.trim_start_matches("r#").to_owned();
    (0..src.names.len())
        .map(|g| {
            let name = bare(&src.names[g]);
            let by_line = r
                .fields
                .iter()
                .position(|f| bare(&f.name) == name && f.line == src.lines[g]);
            let unique = src.names.iter().filter(|n| bare(n) == name).count() == 1;
            by_line.or_else(|| {
                unique
                    .then(|| r.fields.iter().position(|f| bare(&f.name) == name))
                    .flatten()
            })
        })
        .collect()
}
