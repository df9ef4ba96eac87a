//! `layout-cli fix`: rewrite repr(C) structs into their best order, in place.
//!
//! Opt-in per struct: only `repr(C)` structs with `#[derive(CacheLayout)]` or a
//! `#[layout]` attribute are rewritten, every `repr(C)` struct with `--all` (most
//! `repr(C)` structs exist for FFI or a wire format, whose order must not change). The
//! order is [`crate::reorder::plan`]'s for all selected targets at once. The rewrite
//! moves whole field chunks (comments, attributes, `cfg`s, trailing comment) and leaves
//! every other byte alone (`splice`); fields that shared a line get a line each.
//! Before anything is written the new text is parsed and analysed again, in a scratch
//! copy of the input (`verify`); a file that fails is left untouched, with the
//! cause, and the other files are still fixed. Each file is then replaced atomically
//! ([`write`](mod@write)). Parsing goes through [`crate::source::parse`] and everything runs on a
//! thread with a 256 MiB stack.
//!
//! # What a new order changes besides the layout
//!
//! The note of each reordered struct says so when it matters: derives whose code
//! follows the field order (`PartialOrd`/`Ord` compare fields in order, `Debug`
//! prints them in order, `Hash` hashes them in order, serde, bincode, borsh and
//! similar derives encode positional formats in order), and the drop order, when two
//! fields that may have drop glue change places (fields drop in declaration order;
//! whether a type has drop glue is not knowable from the source, so every type that
//! is not plainly free of it counts: integers, floats, `bool`, `char`, atomics,
//! pointers, references, `fn` pointers, `PhantomData` and arrays, tuples and
//! `Option`s of these are).
//!
//! # File identity
//!
//! Replacing a file by rename makes a new inode, so (on Unix):
//! - a **symlink** is written through: its final target is replaced, the link stays;
//!   a file reached through several names is fixed once;
//! - a file with **several hard links** is left alone with a note (replacing one name
//!   would leave the others with the old text, and an in-place write is not atomic);
//! - a **read-only** file, judged by its mode bits (no write bit, e.g. 0444, even for
//!   root, who could write it), or one this user cannot open for writing, is left
//!   alone with a note; `--dry-run` still shows its diff;
//! - the **owner, group and mode** (set-id bits included) are kept; when they cannot
//!   be (a non-root user replacing someone else's group-writable file) the file is
//!   not written and that is an error;
//! - **extended attributes and ACLs** (POSIX ACLs, the SELinux label, `user.*`): on
//!   Linux the new file gets exactly the old file's (an ACL the directory's default
//!   would add is removed), and when one cannot be copied nothing is written and that
//!   is an error; on other Unix systems they are not copied and the new file has what
//!   the directory gives new files (fix such files from the `--dry-run` diff).
//!
//! On Windows, symlinks are followed the same way and the read-only attribute refuses
//! a file, but hard links are not detected (so a hard-linked file is split) and the
//! new file's ACL is the directory's default.

mod cargo;
mod splice;
mod verify;
pub mod write;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use layout::target::{self, TargetInfo};

use crate::analysis::{Analysis, FileError, StructKind, StructReport};
use crate::reorder::{self, NoOrder, View};

pub use cargo::{FixOptions, run_input, run_input_with};
pub use splice::{Found, SourceFile, StructSource};

/// Arguments of `layout-cli fix` (main.rs embeds this in its clap definition).
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = FIX_HELP)]
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

/// The end of `layout-cli fix --help`.
pub const FIX_HELP: &str = "\
Each file is replaced atomically (a temp file renamed over it) after the new text \
has been parsed and analysed again; a file that fails is left untouched and the \
others are still fixed. The note of each reordered struct names derives that follow \
the field order (PartialOrd, Ord, Debug, Hash, serde, bincode, borsh, ...) and a \
possible change of drop order.

Files (Unix): a symlink is written through to its target and stays a link; a file \
with several hard links, or read-only by its mode bits (e.g. 0444, even for root), \
is left alone with a note (--dry-run still shows its diff); owner, group and mode \
are kept, and a file whose owner cannot be kept is not written. Extended attributes \
and ACLs are copied on Linux (a file whose attributes cannot be copied is not \
written); on other Unix systems they are not copied and the new file gets the \
directory's defaults. On Windows hard links are not detected and the new file gets \
the directory's default ACL.";

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
pub type Analyzer<'a> = &'a (dyn Fn(&[PathBuf], &[&'static TargetInfo]) -> Analysis + Sync);

/// The atomic file replacement `fix` calls (a parameter so tests can fail a write).
pub type Writer<'a> = &'a (dyn Fn(&Path, &str) -> io::Result<()> + Sync);

/// `fix --exact`: rustc's layouts of the input after the files were written (the exact
/// engine on the same build); a parameter so tests can make rustc disagree. `Err` is a
/// failure of the whole run (no Cargo.lock, cargo failed).
pub type ExactAnalyzer<'a> = &'a (dyn Fn() -> Result<Analysis, String> + Sync);

/// What a run in cargo mode adds to the flags (see [`run_input`]).
#[derive(Default)]
struct Extra<'a> {
    /// The package directories of the build (canonical), each with whether its files
    /// may be rewritten (a selected workspace member); a file belongs to the deepest
    /// directory holding it. `None`: plain paths, every file may be.
    owners: Option<Vec<(PathBuf, bool)>>,
    /// Re-verify what was written with rustc, restoring a file rustc disagrees on.
    exact: Option<ExactAnalyzer<'a>>,
}

impl Extra<'_> {
    /// Whether `file` may be rewritten.
    fn writable(&self, file: &Path) -> bool {
        let Some(owners) = &self.owners else {
            return true;
        };
        let real = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        owners
            .iter()
            .filter(|(dir, _)| real.starts_with(dir))
            .max_by_key(|(dir, _)| dir.components().count())
            .is_some_and(|(_, ok)| *ok)
    }
}

/// Stack of the thread `fix` runs on: syn and the engine recurse (both bounded), and
/// the main thread has 8 MiB, test threads 2 MiB. As `engine::analyze`'s.
const STACK: usize = 256 << 20;

/// Runs `fix`.
pub fn run(args: &FixArgs) -> FixOutcome {
    run_with(args, &crate::engine::analyze, &write::atomic_write)
}

/// [`run`] with the engine and the writer given. Not for general use: the seam for
/// tests of the failure paths. Runs on a thread with a large stack.
#[doc(hidden)]
pub fn run_with(args: &FixArgs, analyze: Analyzer<'_>, write: Writer<'_>) -> FixOutcome {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("layout-fix".into())
            .stack_size(STACK)
            .spawn_scoped(scope, || run_here(args, analyze, write));
        match worker {
            Ok(h) => h.join().unwrap_or_else(|_| FixOutcome {
                errors: vec![error(
                    args.paths.first().map_or(Path::new(""), PathBuf::as_path),
                    None,
                    "internal error in fix (please report it); nothing more written".into(),
                )],
                ..FixOutcome::default()
            }),
            Err(_) => run_here(args, analyze, write),
        }
    })
}

fn run_here(args: &FixArgs, analyze: Analyzer<'_>, write: Writer<'_>) -> FixOutcome {
    let targets = match resolve_targets(&args.targets) {
        Ok(t) => t,
        Err(message) => {
            let mut out = FixOutcome::default();
            out.errors.push(error(Path::new(""), None, message));
            return out;
        }
    };
    let analysis = analyze(&args.paths, &targets);
    run_core(args, &targets, &analysis, analyze, write, &Extra::default())
}

/// `fix` on a first analysis already made: `analyze` re-analyses the mirrored paths.
fn run_core(
    args: &FixArgs,
    targets: &[&'static TargetInfo],
    analysis: &Analysis,
    analyze: Analyzer<'_>,
    write: Writer<'_>,
    extra: &Extra<'_>,
) -> FixOutcome {
    let mut out = FixOutcome::default();
    out.errors.extend(analysis.errors.iter().cloned());
    let mut refused: std::collections::BTreeSet<PathBuf> = Default::default();

    // One file reached through two names (overlapping paths, a symlink in the tree) is
    // worked on once, through the first name.
    let mut names: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut files: BTreeMap<PathBuf, Option<FileWork>> = BTreeMap::new();
    for reports in group_structs(analysis) {
        let first = reports[0];
        if !extra.writable(&first.file) {
            if refused.insert(first.file.clone()) {
                out.notes.push(format!(
                    "{}: not in a selected workspace member (a dependency's source); left untouched",
                    first.file.display()
                ));
            }
            continue;
        }
        let real = std::fs::canonicalize(&first.file).unwrap_or_else(|_| first.file.clone());
        let name = names.entry(real).or_insert_with(|| first.file.clone());
        if *name != first.file {
            continue;
        }
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
        new_texts.insert(path.clone(), text);
    }

    // Files that may not be replaced are left out before re-analysis (with --dry-run
    // their diff is still shown), so the other files are checked without them.
    new_texts.retain(|path, _| match write::check(path) {
        Ok(write::Check::Write(_)) => true,
        Ok(write::Check::Refuse(r)) if args.dry_run => {
            out.notes.push(format!(
                "{}: {r}; without --dry-run it is left untouched",
                path.display()
            ));
            true
        }
        Ok(write::Check::Refuse(r)) => {
            out.notes
                .push(format!("{}: {r}; left untouched", path.display()));
            false
        }
        Err(e) => {
            out.errors.push(error(
                path,
                None,
                format!("cannot write ({e}); file left untouched"),
            ));
            false
        }
    });

    let expectations = |texts: &BTreeMap<PathBuf, String>| -> Vec<verify::Expectation> {
        texts
            .keys()
            .filter_map(|p| files.get(p).and_then(Option::as_ref))
            .flat_map(|w| w.edits.iter().flat_map(|e| e.expect.iter().cloned()))
            .collect()
    };
    let check = |texts: &BTreeMap<PathBuf, String>| {
        verify::verify(
            &args.paths,
            targets,
            texts,
            analysis,
            &expectations(texts),
            analyze,
        )
    };
    for (file, message) in isolate(&mut new_texts, check) {
        out.errors.push(error(
            &file,
            None,
            format!("re-analysis of the fixed text failed ({message}); file left untouched"),
        ));
    }

    // Per file written (or shown): its diff and its structs' notes.
    let mut shown: Vec<(PathBuf, String, Vec<String>)> = Vec::new();
    for (path, new) in &new_texts {
        let Some(Some(work)) = files.get(path) else {
            continue;
        };
        let old = &work.source.text;
        if !args.dry_run {
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
            if let Err(e) = write(path, new) {
                out.errors.push(error(
                    path,
                    None,
                    format!("cannot write ({e}); file left untouched"),
                ));
                continue;
            }
            out.changed.push(path.clone());
        }
        let display = path.display().to_string().replace('\\', "/");
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str())
            .unified_diff()
            .context_radius(3)
            .header(&display, &display)
            .to_string();
        let notes = work.edits.iter().rev().map(|e| e.summary.clone()).collect();
        shown.push((path.clone(), diff, notes));
    }
    if let Some(exact) = extra.exact {
        if args.dry_run {
            out.notes.push(
                "--exact: nothing was written, so rustc did not re-verify the new orders".into(),
            );
        } else if !out.changed.is_empty() {
            let expect = |p: &Path| -> Vec<verify::Expectation> {
                files
                    .get(p)
                    .and_then(Option::as_ref)
                    .map(|w| {
                        w.edits
                            .iter()
                            .flat_map(|e| e.expect.iter().cloned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let restore = cargo::reverify(exact, &out.changed, expect, &mut out.notes);
            for (path, why) in restore {
                let old = files
                    .get(&path)
                    .and_then(Option::as_ref)
                    .map(|w| w.source.text.clone());
                let restored = match old {
                    Some(old) => write(&path, &old)
                        .map(|()| "file restored".to_string())
                        .unwrap_or_else(|e| format!("restoring it failed: {e}")),
                    None => "its original text is lost".into(),
                };
                out.errors
                    .push(error(&path, None, format!("{why}; {restored}")));
                out.changed.retain(|c| *c != path);
                shown.retain(|(p, _, _)| *p != path);
            }
        }
    }
    for (_, diff, notes) in shown {
        out.diff.push_str(&diff);
        out.notes.extend(notes);
    }
    out
}

/// Runs `check` on `texts` and drops the files it blames until what is left passes:
/// one file that does not re-analyse keeps none of the others from being fixed.
/// Returns each dropped file with the problems found in it.
fn isolate(
    texts: &mut BTreeMap<PathBuf, String>,
    check: impl Fn(&BTreeMap<PathBuf, String>) -> Result<(), Vec<verify::Problem>>,
) -> Vec<(PathBuf, String)> {
    let mut dropped = Vec::new();
    let mut blame = |texts: &mut BTreeMap<PathBuf, String>, file: &Path, problems: &[String]| {
        texts.remove(file);
        dropped.push((file.to_path_buf(), problems.join("; ")));
    };
    while !texts.is_empty() {
        let Err(problems) = check(texts) else { break };
        let mut by_file: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        let mut general = Vec::new();
        for p in problems {
            match p.file {
                Some(f) if texts.contains_key(&f) => by_file.entry(f).or_default().push(p.message),
                _ => general.push(p.message),
            }
        }
        if !by_file.is_empty() {
            for (f, msgs) in by_file {
                blame(texts, &f, &msgs);
            }
            continue;
        }
        // Nothing names an edited file: try each file alone.
        let mut alone_bad: Vec<(PathBuf, Vec<String>)> = Vec::new();
        if texts.len() > 1 {
            for (f, t) in texts.iter() {
                let one = BTreeMap::from([(f.clone(), t.clone())]);
                if let Err(ps) = check(&one) {
                    alone_bad.push((f.clone(), ps.into_iter().map(|p| p.message).collect()));
                }
            }
        }
        if alone_bad.is_empty() {
            // Each passes alone but not together (or there is one file): all go.
            let all: Vec<PathBuf> = texts.keys().cloned().collect();
            for f in all {
                blame(texts, &f, &general);
            }
        } else {
            for (f, msgs) in alone_bad {
                blame(texts, &f, &msgs);
            }
        }
    }
    dropped
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
    // An instantiation's entry is not a struct of the source to rewrite.
    for s in a.structs.iter().filter(|s| s.instance.is_none()) {
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
    let mut summary = format!(
        "{at}: reordered ({}): {}",
        sizes.join(", "),
        order_names.join(", ")
    );
    for consequence in consequences(&src, &plan.order) {
        summary.push_str("; ");
        summary.push_str(&consequence);
    }
    Some(Edit {
        order: plan.order,
        source: src,
        expect,
        summary,
    })
}

/// Derives whose behaviour follows the field order, and what a new order changes.
const ORDER_DERIVES: [(&str, &str); 15] = [
    ("PartialOrd", "comparisons"),
    ("Ord", "comparisons"),
    ("Debug", "`{:?}` output"),
    ("Hash", "hash values"),
    ("Serialize", "positional formats (bincode, postcard, ...)"),
    ("Deserialize", "positional formats (bincode, postcard, ...)"),
    ("Encode", "the encoding"),
    ("Decode", "the encoding"),
    ("BorshSerialize", "the borsh encoding"),
    ("BorshDeserialize", "the borsh encoding"),
    ("Archive", "the archived form"),
    ("AsBytes", "the byte representation"),
    ("IntoBytes", "the byte representation"),
    ("FromBytes", "the byte representation"),
    ("Pod", "the byte representation"),
];

/// What else a new order changes, for the struct's note: derived code that follows
/// the field order, and the drop order. Fields are dropped in declaration order, so
/// the drop order changes when two fields that may have drop glue change places;
/// whether a type has drop glue is not knowable from the source alone (a `Drop` impl
/// can be anywhere), so any type not plainly free of it counts.
fn consequences(src: &StructSource, order: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let mut by_effect: Vec<(&str, Vec<&str>)> = Vec::new();
    for d in &src.derives {
        let Some(&(name, effect)) = ORDER_DERIVES.iter().find(|(n, _)| n == d) else {
            continue;
        };
        match by_effect.iter_mut().find(|(e, _)| *e == effect) {
            Some((_, names)) if !names.contains(&name) => names.push(name),
            Some(_) => {}
            None => by_effect.push((effect, vec![name])),
        }
    }
    if !by_effect.is_empty() {
        let parts: Vec<String> = by_effect
            .iter()
            .map(|(effect, names)| format!("{} ({effect})", names.join(", ")))
            .collect();
        out.push(format!("also reorders derived {}", parts.join(", ")));
    }
    let droppy: Vec<usize> = order.iter().copied().filter(|&g| !src.plain[g]).collect();
    if droppy.windows(2).any(|w| w[0] > w[1]) {
        let names: Vec<&str> = droppy.iter().map(|&g| src.names[g].as_str()).collect();
        out.push(format!(
            "fields with drop glue may change drop order (now {})",
            names.join(", ")
        ));
    }
    out
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
