//! Layout lockfiles: `layout-cli snapshot -o layouts.json` and `report --baseline`.
//!
//! The lockfile is pretty JSON, sorted, so that it diffs well under version control:
//! `{"schema":1,"structs":[{"name","path","file","target","cache_line","size","align",
//! "fields":[{"name","offset","size","align"}]}]}`, one entry per struct per target,
//! sorted by module path, name, target and file; fields in declaration order; unknown
//! numbers are `null`. Entries are matched by module path, name and target (the file
//! only tells two crates' `crate::S` apart), so moving a struct between files of one
//! crate is not a change. Only targets present in the current analysis are compared:
//! `report` for the host alone does not call the other targets' structs removed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, FileError, StructReport};

/// The lockfile format version.
pub const SCHEMA: u32 = 1;

/// Arguments of `layout-cli snapshot` (main.rs embeds this in its clap definition).
#[derive(Debug, Clone, clap::Args)]
pub struct SnapshotArgs {
    /// Crate dirs, source dirs or .rs files.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Targets to record (repeatable).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Record every target in the table.
    #[arg(long)]
    pub all_targets: bool,
    /// Output file.
    #[arg(short = 'o', long = "output", default_value = "layouts.json")]
    pub output: PathBuf,
}

/// One difference between a baseline and the current analysis, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `Struct` on `target`.
    pub subject: String,
    /// e.g. "field `tail` moved 64 -> 72 (crossed into cache line 1)".
    pub message: String,
}

/// The lockfile document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Lockfile {
    schema: u32,
    structs: Vec<Entry>,
}

/// One struct on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    name: String,
    path: String,
    file: String,
    target: String,
    cache_line: usize,
    size: Option<usize>,
    align: Option<usize>,
    fields: Vec<FieldEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FieldEntry {
    name: String,
    offset: Option<usize>,
    size: Option<usize>,
    align: Option<usize>,
}

fn entry(s: &StructReport) -> Entry {
    Entry {
        name: s.name.clone(),
        path: if s.path.is_empty() {
            s.name.clone()
        } else {
            s.path.clone()
        },
        file: s.file.to_string_lossy().replace('\\', "/"),
        target: s.target.triple.to_owned(),
        cache_line: s.line_size,
        size: s.size,
        align: s.align,
        fields: s
            .fields
            .iter()
            .map(|f| FieldEntry {
                name: f.name.clone(),
                offset: f.offset,
                size: f.size,
                align: f.align,
            })
            .collect(),
    }
}

fn lockfile(a: &Analysis) -> Lockfile {
    let mut structs: Vec<Entry> = a.structs.iter().map(entry).collect();
    structs.sort_by(|x, y| {
        (&x.path, &x.name, &x.target, &x.file).cmp(&(&y.path, &y.name, &y.target, &y.file))
    });
    Lockfile {
        schema: SCHEMA,
        structs,
    }
}

/// The lockfile for `a`, as JSON.
pub fn to_json(a: &Analysis) -> serde_json::Value {
    serde_json::to_value(lockfile(a)).unwrap_or(serde_json::Value::Null)
}

/// The lockfile for `a`, pretty-printed, with a final newline.
pub fn to_string(a: &Analysis) -> String {
    let mut s = serde_json::to_string_pretty(&lockfile(a)).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes the lockfile for `a` to `output` (atomically); the number of entries.
pub fn write(output: &Path, a: &Analysis) -> Result<usize, FileError> {
    crate::fix::write::atomic_write(output, &to_string(a)).map_err(|e| FileError {
        file: output.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot write the lockfile: {e}"),
    })?;
    Ok(a.structs.len())
}

/// `layout-cli snapshot`: analyses `args.paths` and writes the lockfile; the number of
/// entries (structs times targets) written. Nothing is written when a target name is
/// unknown or an input file has an error (a partial lockfile would later read as
/// removed structs).
pub fn run(args: &SnapshotArgs) -> Result<usize, FileError> {
    let targets = if args.all_targets {
        layout::target::TARGETS.iter().collect()
    } else {
        crate::fix::resolve_targets(&args.targets).map_err(|message| FileError {
            file: PathBuf::new(),
            line: None,
            column: None,
            message,
        })?
    };
    let a = crate::engine::analyze(&args.paths, &targets);
    write_analysis(&args.output, &a)
}

/// Writes the lockfile of an analysis made elsewhere (cargo's model, `--exact`), unless
/// it has input errors: a partial lockfile would later read as removed structs.
pub fn write_analysis(output: &Path, a: &Analysis) -> Result<usize, FileError> {
    if let Some(first) = a.errors.first() {
        return Err(FileError {
            message: format!(
                "{} ({} input error(s); no lockfile written)",
                first.message,
                a.errors.len()
            ),
            ..first.clone()
        });
    }
    write(output, a)
}

/// Compares `analysis` with the lockfile at `baseline`.
pub fn compare(baseline: &Path, analysis: &Analysis) -> Result<Vec<Change>, FileError> {
    let fail = |line: Option<usize>, column: Option<usize>, message: String| FileError {
        file: baseline.to_path_buf(),
        line,
        column,
        message,
    };
    let text = std::fs::read_to_string(baseline)
        .map_err(|e| fail(None, None, format!("cannot read the baseline: {e}")))?;
    // An editor may have saved it with a byte-order mark; JSON does not allow one.
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let old: Lockfile = serde_json::from_str(body).map_err(|e| {
        fail(
            Some(e.line()),
            Some(e.column()),
            format!("not a layout lockfile: {e}"),
        )
    })?;
    if old.schema != SCHEMA {
        return Err(fail(
            None,
            None,
            format!(
                "lockfile schema {} is not {SCHEMA}; regenerate it with `layout-cli snapshot`",
                old.schema
            ),
        ));
    }
    validate(&old).map_err(|message| fail(None, None, message))?;
    Ok(diff(&old, &lockfile(analysis)))
}

/// `snapshot` writes each struct once per target and each field once per struct; a
/// lockfile that repeats one (a bad merge, a hand edit) cannot be compared entry by
/// entry, so it is refused rather than read as added and removed structs.
fn validate(l: &Lockfile) -> Result<(), String> {
    let regenerate = "; regenerate it with `layout-cli snapshot`";
    let mut seen: BTreeMap<(&str, &str, &str, &str), usize> = BTreeMap::new();
    for (i, e) in l.structs.iter().enumerate() {
        let key = (
            e.path.as_str(),
            e.name.as_str(),
            e.target.as_str(),
            e.file.as_str(),
        );
        if let Some(j) = seen.insert(key, i) {
            return Err(format!(
                "`{}` on {} ({}) is listed twice, as structs[{j}] and structs[{i}]{regenerate}",
                e.path, e.target, e.file
            ));
        }
        let mut names = BTreeSet::new();
        for f in &e.fields {
            if !names.insert(f.name.as_str()) {
                return Err(format!(
                    "`{}` on {} (structs[{i}]) lists field `{}` twice{regenerate}",
                    e.path, e.target, f.name
                ));
            }
        }
    }
    Ok(())
}

type Key<'a> = (&'a str, &'a str, &'a str, &'a str);

/// (path, name, target) keys that name more than one entry in `l`.
fn ambiguous(l: &Lockfile) -> BTreeSet<(&str, &str, &str)> {
    let mut count: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for e in &l.structs {
        *count
            .entry((e.path.as_str(), e.name.as_str(), e.target.as_str()))
            .or_default() += 1;
    }
    count
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(k, _)| k)
        .collect()
}

/// Entries by (path, name, target, file-if-ambiguous): a key ambiguous in either
/// lockfile is told apart by file in both, so one crate's `crate::S` removed is one
/// removal, not a removal of both and an addition.
fn index<'a>(
    l: &'a Lockfile,
    ambiguous: &BTreeSet<(&str, &str, &str)>,
) -> BTreeMap<Key<'a>, &'a Entry> {
    l.structs
        .iter()
        .map(|e| {
            let k = (e.path.as_str(), e.name.as_str(), e.target.as_str());
            let file = if ambiguous.contains(&k) {
                e.file.as_str()
            } else {
                ""
            };
            ((k.0, k.1, k.2, file), e)
        })
        .collect()
}

fn diff(old: &Lockfile, new: &Lockfile) -> Vec<Change> {
    let mut both = ambiguous(old);
    both.extend(ambiguous(new));
    let (a, b) = (index(old, &both), index(new, &both));
    let targets: BTreeSet<&str> = new.structs.iter().map(|e| e.target.as_str()).collect();
    let keys: BTreeSet<Key<'_>> = a.keys().chain(b.keys()).copied().collect();
    let mut out = Vec::new();
    for k in keys {
        if !targets.is_empty() && !targets.contains(k.2) {
            continue;
        }
        let subject = if k.3.is_empty() {
            format!("{} on {}", k.0, k.2)
        } else {
            format!("{} ({}) on {}", k.0, k.3, k.2)
        };
        let mut say = |message: String| {
            out.push(Change {
                subject: subject.clone(),
                message,
            })
        };
        match (a.get(&k), b.get(&k)) {
            (Some(_), None) => say("struct removed".into()),
            (None, Some(e)) => say(format!("struct added ({} bytes)", num(e.size))),
            (Some(x), Some(y)) => entry_changes(x, y, &mut say),
            (None, None) => {}
        }
    }
    out
}

fn num(n: Option<usize>) -> String {
    n.map_or_else(|| "unknown".into(), |n| n.to_string())
}

fn entry_changes(x: &Entry, y: &Entry, say: &mut impl FnMut(String)) {
    if x.size != y.size {
        say(format!("size {} -> {} bytes", num(x.size), num(y.size)));
    }
    if x.align != y.align {
        say(format!("alignment {} -> {}", num(x.align), num(y.align)));
    }
    if x.cache_line != y.cache_line {
        say(format!(
            "checked against {}-byte lines, was {}",
            y.cache_line, x.cache_line
        ));
    }
    let old: BTreeMap<&str, &FieldEntry> = x.fields.iter().map(|f| (f.name.as_str(), f)).collect();
    let new_names: BTreeSet<&str> = y.fields.iter().map(|f| f.name.as_str()).collect();
    for f in &y.fields {
        let Some(o) = old.get(f.name.as_str()) else {
            say(format!(
                "field `{}` added at offset {} ({} bytes)",
                f.name,
                num(f.offset),
                num(f.size)
            ));
            continue;
        };
        field_changes(o, f, x.cache_line, y.cache_line, say);
    }
    for f in &x.fields {
        if !new_names.contains(f.name.as_str()) {
            say(format!(
                "field `{}` removed (was at offset {}, {} bytes)",
                f.name,
                num(f.offset),
                num(f.size)
            ));
        }
    }
    hole_changes(x, y, say);
}

/// (first line, last line) of a field, if known.
fn lines(f: &FieldEntry, line: usize) -> Option<(usize, usize)> {
    let (off, size) = (f.offset?, f.size?);
    if line == 0 {
        return None;
    }
    let last = off.checked_add(size.max(1))? - 1;
    Some((off / line, last / line))
}

fn field_changes(
    o: &FieldEntry,
    f: &FieldEntry,
    old_line: usize,
    new_line: usize,
    say: &mut impl FnMut(String),
) {
    let name = &f.name;
    if o.offset != f.offset {
        let mut m = format!(
            "field `{name}` moved {} -> {}",
            num(o.offset),
            num(f.offset)
        );
        if let (Some((a, _)), Some((b, _))) = (lines(o, old_line), lines(f, new_line))
            && a != b
        {
            m.push_str(&format!(" (crossed from cache line {a} into line {b})"));
        }
        say(m);
    }
    match (o.size, f.size) {
        (Some(a), Some(b)) if b > a => say(format!("field `{name}` grew {a} -> {b} bytes")),
        (Some(a), Some(b)) if b < a => say(format!("field `{name}` shrank {a} -> {b} bytes")),
        (a, b) if a != b => say(format!("field `{name}` size {} -> {}", num(a), num(b))),
        _ => {}
    }
    if o.align != f.align {
        say(format!(
            "field `{name}` alignment {} -> {}",
            num(o.align),
            num(f.align)
        ));
    }
    if let (Some((a0, a1)), Some((b0, b1))) = (lines(o, old_line), lines(f, new_line))
        && a0 == a1
        && b0 != b1
    {
        say(format!(
            "field `{name}` now straddles cache lines {b0} to {b1}"
        ));
    }
}

/// Compiler-inserted gaps: before each field (keyed by the field after it) and at the
/// end (`None`). Unknown when any number is.
fn holes(e: &Entry) -> Option<BTreeMap<Option<&str>, (usize, usize)>> {
    let mut fields: Vec<(usize, usize, &str)> = e
        .fields
        .iter()
        .map(|f| Some((f.offset?, f.size?, f.name.as_str())))
        .collect::<Option<_>>()?;
    fields.sort_unstable();
    let mut end = 0usize;
    let mut out = BTreeMap::new();
    for (off, size, name) in fields {
        if off > end {
            out.insert(Some(name), (end, off - end));
        }
        end = end.max(off.checked_add(size)?);
    }
    let size = e.size?;
    if size > end {
        out.insert(None, (end, size - end));
    }
    Some(out)
}

fn hole_changes(x: &Entry, y: &Entry, say: &mut impl FnMut(String)) {
    let (Some(a), Some(b)) = (holes(x), holes(y)) else {
        return;
    };
    let place = |k: Option<&str>| match k {
        Some(f) => format!("before `{f}`"),
        None => "at the end".to_owned(),
    };
    for (k, &(at, len)) in &b {
        match a.get(k) {
            None => say(format!(
                "new padding: {len}-byte hole {} (offset {at})",
                place(*k)
            )),
            Some(&(_, was)) if was != len => say(format!(
                "padding {} {} {was} -> {len} bytes",
                place(*k),
                if len > was { "grew" } else { "shrank" }
            )),
            Some(_) => {}
        }
    }
    for (k, &(_, len)) in &a {
        if !b.contains_key(k) {
            say(format!("{len}-byte hole {} closed", place(*k)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{FieldKind, FieldReport, Intent, StructKind};
    use layout::target::{AARCH64_LINUX, TargetInfo, X86_64_LINUX};
    use layout::{ReprInfo, StructExpect};

    fn report(
        name: &str,
        target: &'static TargetInfo,
        size: usize,
        fields: &[(&str, usize, usize)],
    ) -> StructReport {
        StructReport {
            id: crate::analysis::StructId {
                name: name.into(),
                module: "crate".into(),
                ..Default::default()
            },
            source: Default::default(),
            present: Default::default(),
            name: name.into(),
            path: format!("crate::{name}"),
            file: "src/lib.rs".into(),
            line: 3,
            column: 12,
            target,
            kind: StructKind::Named,
            repr: ReprInfo {
                c: true,
                ..ReprInfo::default()
            },
            repr_text: "C".into(),
            expect: StructExpect::default(),
            fixed: false,
            annotated: false,
            generic: false,
            instance: None,
            allowed: Vec::new(),
            line_size: 64,
            size: Some(size),
            align: Some(8),
            optimal_size: None,
            optimal_order: None,
            unknown: None,
            fields: fields
                .iter()
                .map(|&(n, offset, size)| FieldReport {
                    name: n.into(),
                    ty: "u64".into(),
                    line: 4,
                    column: 5,
                    offset: Some(offset),
                    size: Some(size),
                    align: Some(size.clamp(1, 8)),
                    intent: Intent::default(),
                    kind: FieldKind::Plain,
                })
                .collect(),
            diagnostics: Vec::new(),
        }
    }

    fn analysis(structs: Vec<StructReport>) -> Analysis {
        Analysis {
            structs,
            errors: Vec::new(),
        }
    }

    fn messages(old: &Analysis, new: &Analysis) -> Vec<String> {
        diff(&lockfile(old), &lockfile(new))
            .into_iter()
            .map(|c| format!("{}: {}", c.subject, c.message))
            .collect()
    }

    #[test]
    fn lockfile_is_sorted_and_stable() {
        let a = analysis(vec![
            report(
                "Ring",
                &X86_64_LINUX,
                128,
                &[("head", 0, 8), ("tail", 64, 8)],
            ),
            report(
                "Ring",
                &AARCH64_LINUX,
                128,
                &[("head", 0, 8), ("tail", 64, 8)],
            ),
            report("A", &X86_64_LINUX, 8, &[("x", 0, 8)]),
        ]);
        let text = to_string(&a);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v, to_json(&a));
        let order: Vec<(&str, &str)> = v["structs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["path"].as_str().unwrap(), e["target"].as_str().unwrap()))
            .collect();
        assert_eq!(
            order,
            [
                ("crate::A", "x86_64-unknown-linux-gnu"),
                ("crate::Ring", "aarch64-unknown-linux-gnu"),
                ("crate::Ring", "x86_64-unknown-linux-gnu"),
            ]
        );
        assert_eq!(v["schema"], 1);
        assert_eq!(v["structs"][2]["fields"][1]["offset"], 64);
        assert!(text.ends_with("}\n") && text.contains("\n  \"structs\": ["));
        // Unchanged: no changes.
        assert!(messages(&a, &a).is_empty());
    }

    #[test]
    fn changes_in_words() {
        let old = analysis(vec![
            report(
                "Ring",
                &X86_64_LINUX,
                72,
                &[("head", 0, 8), ("flag", 8, 1), ("tail", 64, 8)],
            ),
            report("Pair", &X86_64_LINUX, 64, &[("c", 0, 8), ("b", 56, 8)]),
            report("Gone", &X86_64_LINUX, 8, &[("x", 0, 8)]),
            // Not compared: the current analysis has no aarch64 entries.
            report("Gone", &AARCH64_LINUX, 8, &[("x", 0, 8)]),
        ]);
        let new = analysis(vec![
            report(
                "Ring",
                &X86_64_LINUX,
                80,
                &[
                    ("head", 0, 8),
                    ("flag", 8, 4),
                    ("tail", 72, 8),
                    ("extra", 12, 2),
                ],
            ),
            report("Pair", &X86_64_LINUX, 80, &[("c", 60, 8), ("b", 72, 8)]),
            report("New", &X86_64_LINUX, 16, &[("x", 0, 16)]),
        ]);
        let got = messages(&old, &new);
        let r = "crate::Ring on x86_64-unknown-linux-gnu: ";
        let p = "crate::Pair on x86_64-unknown-linux-gnu: ";
        let want = [
            "crate::Gone on x86_64-unknown-linux-gnu: struct removed".to_owned(),
            "crate::New on x86_64-unknown-linux-gnu: struct added (16 bytes)".to_owned(),
            format!("{p}size 64 -> 80 bytes"),
            format!("{p}field `c` moved 0 -> 60"),
            format!("{p}field `c` now straddles cache lines 0 to 1"),
            format!("{p}field `b` moved 56 -> 72 (crossed from cache line 0 into line 1)"),
            format!("{p}padding before `b` shrank 48 -> 4 bytes"),
            format!("{p}new padding: 60-byte hole before `c` (offset 0)"),
            format!("{r}size 72 -> 80 bytes"),
            format!("{r}field `flag` grew 1 -> 4 bytes"),
            format!("{r}field `flag` alignment 1 -> 4"),
            format!("{r}field `tail` moved 64 -> 72"),
            format!("{r}field `extra` added at offset 12 (2 bytes)"),
            format!("{r}padding before `tail` grew 55 -> 58 bytes"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn unreadable_or_foreign_baselines_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let a = analysis(vec![report("A", &X86_64_LINUX, 8, &[("x", 0, 8)])]);
        let missing = compare(&dir.path().join("nope.json"), &a).unwrap_err();
        assert!(missing.message.contains("cannot read"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\n  \"schema\": 1,\n  \"structs\": 3\n}").unwrap();
        let e = compare(&bad, &a).unwrap_err();
        assert_eq!(e.line, Some(3));
        let future = dir.path().join("v2.json");
        std::fs::write(&future, "{\"schema\": 2, \"structs\": []}").unwrap();
        assert!(
            compare(&future, &a)
                .unwrap_err()
                .message
                .contains("schema 2")
        );
        // Round trip through a file: no changes.
        let lock = dir.path().join("layouts.json");
        assert_eq!(write(&lock, &a), Ok(1));
        assert_eq!(compare(&lock, &a), Ok(Vec::new()));
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let a = analysis(vec![report("A", &X86_64_LINUX, 8, &[("x", 0, 8)])]);
        let lock = dir.path().join("layouts.json");
        std::fs::write(&lock, format!("\u{feff}{}", to_string(&a))).unwrap();
        assert_eq!(compare(&lock, &a), Ok(Vec::new()));
        let b = analysis(vec![report("A", &X86_64_LINUX, 16, &[("x", 0, 16)])]);
        let said: Vec<String> = compare(&lock, &b)
            .unwrap()
            .into_iter()
            .map(|c| c.message)
            .collect();
        assert_eq!(said, ["size 8 -> 16 bytes", "field `x` grew 8 -> 16 bytes"]);
    }

    #[test]
    fn repeated_entries_and_fields_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = analysis(vec![
            report("A", &X86_64_LINUX, 8, &[("x", 0, 8)]),
            report("B", &X86_64_LINUX, 8, &[("y", 0, 8)]),
        ]);
        let mut v = to_json(&a);
        let first = v["structs"][0].clone();
        v["structs"].as_array_mut().unwrap().push(first);
        let lock = dir.path().join("dup.json");
        std::fs::write(&lock, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let e = compare(&lock, &a).unwrap_err();
        assert_eq!(
            e.message,
            "`crate::A` on x86_64-unknown-linux-gnu (src/lib.rs) is listed twice, as \
             structs[0] and structs[2]; regenerate it with `layout-cli snapshot`"
        );
        assert_eq!(e.file, lock);

        let mut v = to_json(&a);
        let f = v["structs"][1]["fields"][0].clone();
        v["structs"][1]["fields"].as_array_mut().unwrap().push(f);
        std::fs::write(&lock, serde_json::to_string(&v).unwrap()).unwrap();
        let e = compare(&lock, &a).unwrap_err();
        assert!(
            e.message.starts_with(
                "`crate::B` on x86_64-unknown-linux-gnu (structs[1]) lists field `y` twice"
            ),
            "{}",
            e.message
        );

        // The key `fields` twice in one entry: serde refuses it, with its line.
        let text = "{\"schema\": 1, \"structs\": [{\"name\": \"A\", \"path\": \"crate::A\",\n\"file\": \"a.rs\", \"target\": \"t\", \"cache_line\": 64, \"size\": 8, \"align\": 8,\n\"fields\": [], \"fields\": []}]}";
        std::fs::write(&lock, text).unwrap();
        let e = compare(&lock, &a).unwrap_err();
        assert!(
            e.message.contains("duplicate field `fields`"),
            "{}",
            e.message
        );
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn one_of_two_same_named_structs_removed_is_one_removal() {
        let mut in_b = report("S", &X86_64_LINUX, 8, &[("x", 0, 8)]);
        in_b.file = "b/src/lib.rs".into();
        let in_a = report("S", &X86_64_LINUX, 8, &[("x", 0, 8)]);
        let old = analysis(vec![in_a.clone(), in_b]);
        let new = analysis(vec![in_a]);
        assert_eq!(
            messages(&old, &new),
            ["crate::S (b/src/lib.rs) on x86_64-unknown-linux-gnu: struct removed"]
        );
        assert!(messages(&old, &old).is_empty());
    }
}
