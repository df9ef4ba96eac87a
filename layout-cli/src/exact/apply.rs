//! Merging rustc's numbers into a static [`Analysis`].
//!
//! Call it after `diag::diagnose`: every report it touches gets its findings recomputed
//! from rustc's numbers, plus one `model-mismatch` (an error) per number where the
//! static engine had a different one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use layout::target::TargetInfo;
use layout::{Code, ReprInfo, StructExpect};

use super::{ExactStruct, Outcome};
use crate::analysis::{
    Analysis, FieldKind, FieldReport, FileError, Finding, Intent, NumberSource, Presence, StructId,
    StructReport,
};

/// What [`apply`] did, for summaries and `verify`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Reports whose numbers now come from rustc.
    pub replaced: usize,
    /// Reports added for structs only rustc saw.
    pub added: usize,
    /// Reports removed: rustc compiled the crate and the struct is not in it (a cfg
    /// the static engine could not know, or evaluated differently).
    pub removed: usize,
    /// `model-mismatch` findings added.
    pub mismatches: usize,
    /// Instance entries (`Pair<u64>`) among `replaced`.
    pub instances: usize,
    /// Instance entries rustc answered only in part (a probe failed where the type is
    /// named): they keep the static engine's numbers, marked static.
    pub instances_static: usize,
}

/// See the module docs. Per-target failures become `analysis.errors` entries (exit 2);
/// the other targets are still merged.
pub fn apply(analysis: &mut Analysis, outcome: &Outcome) -> Applied {
    let mut done = Applied::default();
    let root = outcome.workspace_root.clone();
    let manifest = root.join("Cargo.toml");
    for e in &outcome.errors {
        analysis.errors.push(FileError {
            file: manifest.clone(),
            line: None,
            column: None,
            message: format!("--exact: {e}"),
        });
    }
    let mut canon = Canon::default();
    // (target, line, name, canonical file) -> report indices; kept up to date as
    // reports are added, so merging is linear in the reports.
    type Key = (&'static str, usize, String, PathBuf);
    let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, s) in analysis.structs.iter().enumerate() {
        let k = (s.target.triple, s.line, s.name.clone(), canon.get(&s.file));
        index.entry(k).or_default().push(i);
    }
    // Instance entries by (target, where named, the entry's name).
    type InstKey = (&'static str, PathBuf, usize, usize, String);
    let mut instances: HashMap<InstKey, Vec<usize>> = HashMap::new();
    for (i, s) in analysis.structs.iter().enumerate() {
        if let Some(n) = &s.instance {
            let k = (
                s.target.triple,
                canon.get(&n.file),
                n.line,
                n.column,
                s.name.clone(),
            );
            instances.entry(k).or_default().push(i);
        }
    }
    // How the static reports spell each file, to spell added reports the same way.
    let mut shown: HashMap<PathBuf, PathBuf> = HashMap::new();
    for s in &analysis.structs {
        let c = canon.get(&s.file);
        shown.entry(c).or_insert_with(|| s.file.clone());
    }
    let mut remove = vec![false; analysis.structs.len()];
    for t in &outcome.targets {
        let row = target_row(&t.target);
        if let Some(e) = &t.error {
            analysis.errors.push(FileError {
                file: e.file.clone().unwrap_or_else(|| manifest.clone()),
                line: e.line,
                column: e.column,
                message: format!("--exact ({}): {}", t.target, e.message),
            });
        }
        for x in &t.structs {
            if let Some(n) = &x.instance {
                // Never a report of its own: an instance entry rustc laid out merges into
                // the static one, or nothing happens.
                let k = (
                    row.triple,
                    canon.get(&n.file),
                    n.line,
                    n.column,
                    n.text.clone(),
                );
                for &i in instances.get(&k).into_iter().flatten() {
                    let s = &mut analysis.structs[i];
                    if s.source != NumberSource::Static {
                        continue;
                    }
                    if !answers_all(s, x) {
                        done.instances_static += 1;
                        continue;
                    }
                    let found = merge(s, x, outcome.toolchain_note.as_deref());
                    done.mismatches += found.len();
                    s.diagnostics = crate::diag::diagnose_struct(s);
                    s.diagnostics.extend(found);
                    done.replaced += 1;
                    done.instances += 1;
                }
                continue;
            }
            let k = (row.triple, x.line, x.name.clone(), canon.get(&x.file));
            let same = index.get(&k).cloned().unwrap_or_default();
            let at = same.iter().copied().find(|&i| {
                let s = &analysis.structs[i];
                (s.generic || x.args.is_empty() || x.args.starts_with("<'"))
                    && s.source == NumberSource::Static
            });
            match at {
                Some(i) => {
                    let s = &mut analysis.structs[i];
                    let found = merge(s, x, outcome.toolchain_note.as_deref());
                    done.mismatches += found.len();
                    s.diagnostics = crate::diag::diagnose_struct(s);
                    s.diagnostics.extend(found);
                    done.replaced += 1;
                }
                // Another instantiation of a report already merged.
                None if !same.is_empty() => {}
                None => {
                    let mut s = new_report(x, row, &root);
                    s.file = shown
                        .get(&k.3)
                        .cloned()
                        .unwrap_or_else(|| cwd_relative(&x.file));
                    s.diagnostics = crate::diag::diagnose_struct(&s);
                    index.entry(k).or_default().push(analysis.structs.len());
                    analysis.structs.push(s);
                    remove.push(false);
                    done.added += 1;
                }
            }
        }
        for (f, l, n) in &t.absent {
            let k = (row.triple, *l, n.clone(), canon.get(f));
            for &i in index.get(&k).into_iter().flatten() {
                if analysis.structs[i].source == NumberSource::Static && !remove[i] {
                    remove[i] = true;
                    done.removed += 1;
                }
            }
        }
    }
    let mut i = 0;
    analysis.structs.retain(|_| {
        i += 1;
        !remove[i - 1]
    });
    // Reports rustc added go where the static engine would have put them: by file,
    // then line, then the order the targets were asked in.
    let order: Vec<&str> = outcome.targets.iter().map(|t| t.target.as_str()).collect();
    let rank = |s: &StructReport| order.iter().position(|t| *t == s.target.triple);
    analysis
        .structs
        .sort_by(|a, b| (&a.file, a.line, rank(a)).cmp(&(&b.file, b.line, rank(b))));
    done
}

/// Whether rustc gave every number of an instance entry's layout: size, alignment and
/// the offset of each field the entry has on the target. Anything less keeps the
/// entry static: a mix would be marked rustc with a number that is not.
fn answers_all(s: &StructReport, x: &ExactStruct) -> bool {
    x.size.is_some()
        && x.align.is_some()
        && s.fields.iter().all(|f| {
            x.fields
                .iter()
                .any(|xf| xf.name == f.name && xf.offset.is_some())
        })
}

/// `file` relative to the current directory when under it (static reports are
/// spelled that way when their paths were given relative).
fn cwd_relative(file: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|d| file.strip_prefix(d).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| file.to_path_buf())
}

/// Canonical paths, each file resolved once.
#[derive(Default)]
struct Canon(HashMap<PathBuf, PathBuf>);

impl Canon {
    fn get(&mut self, p: &Path) -> PathBuf {
        if let Some(c) = self.0.get(p) {
            return c.clone();
        }
        let c = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        self.0.insert(p.to_path_buf(), c.clone());
        c
    }
}

/// The table's row for `triple`, or a row made for it (rustc knows more targets than
/// the table): layout numbers all come from rustc; the line size the rules use is the
/// common 64 bytes, marked as not known.
pub fn target_row(triple: &str) -> &'static TargetInfo {
    if let Some(t) = layout::target::find(triple) {
        return t;
    }
    let triple: &'static str = Box::leak(triple.to_string().into_boxed_str());
    let mut parts = triple.split('-');
    let arch = parts.next().unwrap_or("");
    Box::leak(Box::new(TargetInfo {
        triple,
        short: triple,
        arch,
        os: "",
        env: "",
        pointer_size: 0,
        align_u64: 0,
        align_u128: 0,
        c_long: 0,
        cache_line: 64,
        prefetch_span: 128,
        known: false,
        source: "not in the target table: layout numbers from rustc (--exact), line size assumed 64",
    }))
}

/// Replaces `s`'s numbers with `x`'s; returns a `model-mismatch` per differing number.
fn merge(s: &mut StructReport, x: &ExactStruct, note: Option<&str>) -> Vec<Finding> {
    let mut found = Vec::new();
    let suffix = note.map(|n| format!(" ({n})")).unwrap_or_default();
    let mut check = |what: String,
                     old: Option<usize>,
                     new: Option<usize>,
                     field: Option<(&str, usize, usize)>| {
        if let (Some(o), Some(n)) = (old, new)
            && o != n
        {
            found.push(Finding {
                code: Code::ModelMismatch,
                severity: Code::ModelMismatch.severity(),
                message: format!("static engine says {what} {o}, rustc says {n}{suffix}"),
                field: field.map(|f| f.0.to_string()),
                partner: None,
                line: field.map_or(s.line, |f| f.1),
                column: field.map_or(s.column, |f| f.2),
            });
        }
    };
    check(format!("size_of::<{}>()", s.name), s.size, x.size, None);
    check(format!("align_of::<{}>()", s.name), s.align, x.align, None);
    for f in &mut s.fields {
        let Some(xf) = x.fields.iter().find(|xf| xf.name == f.name) else {
            continue;
        };
        let at = Some((f.name.as_str(), f.line, f.column));
        check(format!("offset of `{}`", f.name), f.offset, xf.offset, at);
        check(format!("size of `{}`", f.name), f.size, xf.size, at);
        check(format!("alignment of `{}`", f.name), f.align, xf.align, at);
    }
    for f in &mut s.fields {
        if let Some(xf) = x.fields.iter().find(|xf| xf.name == f.name) {
            f.offset = xf.offset.or(f.offset);
            f.size = xf.size.or(f.size);
            f.align = xf.align.or(f.align);
        }
    }
    s.size = x.size.or(s.size);
    s.align = x.align.or(s.align);
    s.source = NumberSource::Rustc;
    s.present = Presence::Yes;
    s.unknown = x.unknown.clone().or_else(|| {
        let complete = s.size.is_some()
            && s.align.is_some()
            && s.fields
                .iter()
                .all(|f| f.offset.is_some() && f.size.is_some());
        if complete { None } else { s.unknown.clone() }
    });
    refresh_order(s);
    found
}

fn refresh_order(s: &mut StructReport) {
    s.optimal_size = None;
    s.optimal_order = None;
    if s.size.is_some()
        && let Some((order, best)) = crate::reorder::best_order(s)
    {
        s.optimal_size = Some(best);
        s.optimal_order = Some(order);
    }
}

/// A report for a struct only rustc saw (generated by a macro, behind a cfg the static
/// engine could not evaluate, ...), with the fields as the source writes them.
fn new_report(x: &ExactStruct, row: &'static TargetInfo, root: &Path) -> StructReport {
    let pkg_src = package_src(&x.file, root);
    let mut module = vec!["crate".to_string()];
    module.extend(crate::source::module_path(&x.file, &pkg_src));
    module.extend(x.inline.iter().cloned());
    let module = module.join("::");
    let fields: Vec<FieldReport> = x
        .fields
        .iter()
        .map(|f| FieldReport {
            name: f.name.clone(),
            ty: f.ty.clone(),
            line: f.line,
            column: f.column,
            offset: f.offset,
            size: f.size,
            align: f.align,
            intent: Intent::default(),
            kind: syn::parse_str::<syn::Type>(&f.ty)
                .map_or(FieldKind::Plain, |t| crate::engine::types::field_kind(&t)),
        })
        .collect();
    let complete = x.fields_known
        && x.size.is_some()
        && x.align.is_some()
        && fields
            .iter()
            .all(|f| f.offset.is_some() && f.size.is_some());
    let unknown = x.unknown.clone().or_else(|| {
        (!complete).then(|| {
            if x.fields_known {
                "rustc gave no number for a field's type".to_string()
            } else {
                "declared inside a macro whose fields are not written literally".to_string()
            }
        })
    });
    let mut s = StructReport {
        id: StructId {
            package: x.package.clone(),
            krate: "lib".into(),
            module: module.clone(),
            name: x.name.clone(),
            ordinal: 0,
        },
        source: NumberSource::Rustc,
        present: Presence::Yes,
        allowed: Vec::new(),
        name: x.name.clone(),
        path: format!("{module}::{}", x.name),
        file: x.file.clone(),
        line: x.line,
        column: x.column,
        target: row,
        kind: x.kind,
        repr: ReprInfo {
            c: x.repr.c,
            transparent: x.repr.transparent,
            packed: x.repr.packed,
            align: x.repr.align,
        },
        repr_text: x.repr_text.clone(),
        expect: StructExpect::default(),
        fixed: false,
        annotated: false,
        generic: !x.args.is_empty() && !x.args.starts_with("<'"),
        instance: None,
        line_size: row.cache_line,
        size: x.size,
        align: x.align,
        optimal_size: None,
        optimal_order: None,
        unknown,
        // Without the whole field list, padding and the rules would be computed from
        // part of the struct: keep the size, drop the fields.
        fields: if x.fields_known { fields } else { Vec::new() },
        diagnostics: Vec::new(),
    };
    if complete {
        refresh_order(&mut s);
    }
    s
}

/// The `src` dir of the package holding `file` (nearest ancestor with a Cargo.toml).
fn package_src(file: &Path, root: &Path) -> PathBuf {
    let mut d = file.parent();
    while let Some(dir) = d {
        if dir.join("Cargo.toml").is_file() {
            return dir.join("src");
        }
        if dir == root {
            break;
        }
        d = dir.parent();
    }
    root.join("src")
}
