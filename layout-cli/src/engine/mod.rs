//! The static layout engine: Rust source in, exact layouts (or `None` and a reason) out.
//!
//! - [`crate::source`] finds and parses the files (once),
//! - [`crate::index`] indexes the crate's items and resolves paths,
//! - [`crate::cfg`] decides per target which items, fields and attributes exist,
//! - [`types`] lays types out for one target ([`layout`] is the arithmetic, [`std_types`]
//!   the std facts).
//!
//! Exact or unknown, never wrong: every number is checked against rustc 1.95 by the
//! oracle test (`tests/oracle.rs`) on every row of `layout::target::TARGETS`.
//! `repr(Rust)` layout is unspecified: a compiler that lays structs out differently
//! makes that test fail, which is the point.
//!
//! Modelled: primitives, `char`/`bool` niches, arrays, tuples, references and raw
//! pointers (thin or fat, from the pointee's definition: `?Sized` parameters, slices,
//! `str`, `dyn`, structs whose last field is unsized), fn pointers, the crate's own
//! structs, unions, enums (with data: tagged or niche-filling as rustc chooses, `repr(C)`,
//! `repr(u8)`, `repr(C, u8)`, explicit discriminants) and type aliases, generic ones with
//! their arguments (defaults and const generics included), and std's types in the table
//! of [`std_types`] (`Option`, `Result`, `Cow`, `Poll`, `ControlFlow`, `Box`/`Rc`/`Arc`,
//! `Vec`/`String`/maps, locks per OS, `Waker`, `JoinHandle`, `Layout`, `io::Error`,
//! `mpsc` halves, `OnceLock`/`LazyLock`, atomics, `NonZero`, `Duration`, ...);
//! [`instances`] finds the instantiations of generic structs the crate names. Array
//! lengths from literals, constants, `usize::MAX`-style constants and `size_of`.
//! Unknown (a `None` and the reason): other crates' types, generic parameters used by
//! value in a generic struct's own entry, macros in type position, associated types,
//! items only a macro expansion would create. The layout arithmetic is our own model of
//! rustc's, not `ra-ap-rustc_abi`: [`layout`] says why. Errors (a `FileError` and exit 2):
//! unreadable or unparsable files, infinitely sized types, sizes past the target's
//! object-size bound, `packed` structs holding `repr(align)` types (E0588), malformed
//! `cfg`/`repr`/`layout` attributes. See [`crate::cfg`] for how `feature`, `test` and
//! other build-dependent predicates are evaluated, and [`crate::source`] for what is
//! parsed.

mod aggregate;
mod consts;
mod display;
pub mod instances;
pub mod layout;
mod pointee;
pub mod std_types;
pub mod types;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use ::layout::target::TargetInfo;
use ::layout::{ReprInfo, StructExpect};

use crate::analysis::{
    Analysis, FieldReport, FileError, InstanceOf, Intent, NumberSource, Presence, StructId,
    StructKind, StructReport,
};
use crate::cfg::Tri;
use crate::index::Index;
use crate::source;
use types::{Ctx, Why};

/// Stack for the analysis thread: syn and the engine recurse (both bounded), and tests
/// run on 2 MiB threads.
const STACK: usize = 256 << 20;

/// Reads every `.rs` file under `paths` (crate dirs, source dirs or files), and lays out
/// every struct for every target in `targets`, each generic struct followed by the
/// entries of the instantiations the crate names ([`instances`]). Never panics on input: unreadable or
/// unparsable files become `Analysis::errors` entries and the rest is still reported.
/// Diagnostics are not filled in here (see `diag::diagnose`); `optimal_size`/
/// `optimal_order` are, through `reorder::best_order`.
pub fn analyze(paths: &[PathBuf], targets: &[&'static TargetInfo]) -> Analysis {
    let (p, t) = (paths.to_vec(), targets.to_vec());
    on_engine_thread(paths.first().cloned().unwrap_or_default(), move |deliver| {
        analyze_here(&p, &t, deliver)
    })
}

/// Lays out every struct of the packages `build` selects, for its targets, with the
/// crate structure, features, cfgs and dependencies cargo and rustc give. Runs on a
/// thread with a large stack, like [`analyze`].
pub fn analyze_build(build: &crate::cargo::Build) -> Analysis {
    let b = build.clone();
    on_engine_thread(build.workspace_root.clone(), move |deliver| {
        analyze_build_here(&b, deliver)
    })
}

/// The engine thread of a report on a cargo build, started before `cargo metadata` has
/// answered: until the build arrives it parses, on the thread that will walk them, the
/// files the last such run read ([`source::parse_ahead`]); then it analyses the build
/// as [`analyze_build`] does. Dropped without [`Session::analyze`] (cargo failed), the
/// thread ends.
#[derive(Debug)]
pub struct Session {
    build: std::sync::mpsc::Sender<crate::cargo::Build>,
    analysis: std::sync::mpsc::Receiver<Analysis>,
    started: bool,
}

impl Session {
    /// Starts the thread; with `ahead`, it parses what that list reads.
    pub fn start(ahead: Option<std::sync::Arc<source::ahead::ReadAhead>>) -> Session {
        use std::sync::mpsc::{TryRecvError, channel};
        let (build_tx, build_rx) = channel::<crate::cargo::Build>();
        let (tx, analysis) = channel();
        let spawned = spawn_engine(move || {
            let build = loop {
                match build_rx.try_recv() {
                    Ok(b) => break b,
                    Err(TryRecvError::Disconnected) => return,
                    Err(TryRecvError::Empty) => {}
                }
                if !ahead.as_deref().is_some_and(source::parse_ahead) {
                    match build_rx.recv() {
                        Ok(b) => break b,
                        Err(_) => return,
                    }
                }
            };
            analyze_build_here(&build, &mut |a| {
                let _ = tx.send(a);
            });
            source::forget_parsed_ahead();
        });
        Session {
            build: build_tx,
            analysis,
            started: spawned.is_ok(),
        }
    }

    /// The analysis of `build` (see [`analyze_build`]).
    pub fn analyze(self, build: &crate::cargo::Build) -> Analysis {
        if !self.started || self.build.send(build.clone()).is_err() {
            return analyze_build(build);
        }
        self.analysis
            .recv()
            .unwrap_or_else(|_| internal(build.workspace_root.clone(), PANICKED.into()))
    }
}

/// What a worker that panicked before delivering gives.
const PANICKED: &str = "internal error in the layout engine (please report it)";

/// An analysis that is only the error `message` at `file`.
fn internal(file: PathBuf, message: String) -> Analysis {
    Analysis {
        structs: Vec::new(),
        errors: vec![FileError {
            file,
            line: None,
            column: None,
            message,
        }],
    }
}

/// Starts `f` on a thread with the engine's name and large stack.
fn spawn_engine(f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("layout-engine".into())
        .stack_size(STACK)
        .spawn(f)
        .map(drop)
}

/// Runs `work` on a thread with a large stack and returns the analysis it delivers.
/// `work` delivers before its index and syntax trees are dropped: freeing millions of
/// small nodes is a tenth of a run, so that thread frees them while the caller goes on
/// (and a process that exits first leaves it to the OS). A worker that panics before
/// delivering, or a thread that cannot be started, is an error entry naming `file`.
fn on_engine_thread(
    file: PathBuf,
    work: impl FnOnce(&mut dyn FnMut(Analysis)) + Send + 'static,
) -> Analysis {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = spawn_engine(move || {
        work(&mut |a| {
            let _ = tx.send(a);
        })
    });
    match spawned {
        Ok(()) => rx
            .recv()
            .unwrap_or_else(|_| internal(file, PANICKED.into())),
        Err(e) => internal(
            file,
            format!("cannot start the layout engine's thread: {e}"),
        ),
    }
}

fn analyze_build_here(build: &crate::cargo::Build, deliver: &mut dyn FnMut(Analysis)) {
    let mut errors = Vec::new();
    let loaded = crate::workspace::load(build, &mut errors);
    crate::timings::mark("crates read and indexed");
    let ix = &loaded.index;
    let rows: Vec<&'static TargetInfo> = build.targets.iter().map(|t| t.row).collect();
    let ctxs: Vec<Ctx<'_>> = rows.iter().map(|t| Ctx::new(ix, t)).collect();
    let mut structs = Vec::new();
    let found = build_instances(build, &loaded, &ctxs, &mut errors);
    crate::timings::mark("instantiations found");
    let lines: Vec<source::Lines<'_>> = ix
        .files
        .iter()
        .map(|f| source::Lines::new(&f.text))
        .collect();
    for (id, mut sid) in struct_ids(ix).into_iter().enumerate() {
        let s = &ix.structs[id];
        let k = ix.modules[s.module].krate;
        let Some(lc) = loaded.crates.get(k) else {
            continue;
        };
        if !lc.reported {
            continue;
        }
        let pkg = &build.packages[lc.package];
        sid.package = pkg.name.clone();
        sid.krate = lc.target.clone();
        let ignored = ignore_comment(&lines[s.file], &s.item);
        for (ti, ctx) in ctxs.iter().enumerate() {
            // A crate not built for this target (a proc macro off the host).
            if !ix.crates[k].cfgs.is_empty()
                && !build.targets[ti].features.contains_key(&lc.package)
                && !pkg.member
            {
                continue;
            }
            if let Some(mut r) = report(ctx, id, ignored, &mut errors) {
                r.id = sid.clone();
                structs.push(r);
            }
        }
        let built = |ti: usize| {
            ix.crates[k].cfgs.is_empty()
                || build.targets[ti].features.contains_key(&lc.package)
                || pkg.member
        };
        let on: Vec<bool> = (0..ctxs.len()).map(built).collect();
        found.report_on(id, &sid, &ctxs, &on, ignored, &mut structs, &mut errors);
    }
    crate::timings::mark("layouts computed");
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert((e.file.clone(), e.line, e.column, e.message.clone())));
    deliver(Analysis { structs, errors });
}

/// The instantiations of the reported crates' generic structs on each target: those
/// their source names and those their manifests list. A listed entry that names no
/// generic struct of a crate it applies to, on any target, is an input error at the
/// manifest.
fn build_instances(
    build: &crate::cargo::Build,
    loaded: &crate::workspace::Loaded,
    ctxs: &[Ctx<'_>],
    errors: &mut Vec<FileError>,
) -> Found {
    let ix = &loaded.index;
    let mut listed: Vec<instances::Listed> = Vec::new();
    let mut entries: Vec<crate::cargo::ListedType> = Vec::new();
    // Which entry of `entries` each of `listed` is (a workspace entry applies to every
    // reported crate).
    let mut entry_of: Vec<usize> = Vec::new();
    let mut configs: HashMap<usize, crate::cargo::LayoutConfig> = HashMap::new();
    for (k, lc) in loaded.crates.iter().enumerate() {
        if !lc.reported {
            continue;
        }
        let cfg = configs.entry(lc.package).or_insert_with(|| {
            crate::cargo::LayoutConfig::read(&build.packages[lc.package].manifest_path)
        });
        for e in &cfg.instantiations {
            let n = match entries.iter().position(|x| {
                x.text == e.text
                    && x.line == e.line
                    && x.column == e.column
                    && x.manifest == e.manifest
            }) {
                Some(n) => n,
                None => {
                    entries.push(e.clone());
                    entries.len() - 1
                }
            };
            entry_of.push(n);
            listed.push(instances::Listed {
                text: e.text.clone(),
                root: ix.crates[k].root,
                manifest: e.manifest.clone(),
                line: e.line,
                column: e.column,
            });
        }
    }
    let reported = |m: usize| {
        loaded
            .crates
            .get(ix.modules[m].krate)
            .is_some_and(|c| c.reported)
    };
    let mut resolved = vec![false; entries.len()];
    let mut why: Vec<Option<String>> = vec![None; entries.len()];
    let mut per_target = Vec::with_capacity(ctxs.len());
    for ctx in ctxs {
        let (found, refused) = instances::instantiations_listed(ctx, &listed, &reported);
        let mut ok = vec![true; listed.len()];
        for (i, w) in refused {
            ok[i] = false;
            why[entry_of[i]].get_or_insert(w);
        }
        for (i, good) in ok.iter().enumerate() {
            resolved[entry_of[i]] |= *good;
        }
        per_target.push(found);
    }
    for (n, e) in entries.iter().enumerate() {
        if !resolved[n] {
            let table = if e.workspace { "workspace" } else { "package" };
            errors.push(err(
                &e.manifest,
                e.line,
                e.column,
                format!(
                    "[{table}.metadata.layout] instantiations: `{}`: {}",
                    e.text,
                    why[n].as_deref().unwrap_or("does not resolve")
                ),
            ));
        }
    }
    Found::new(per_target)
}

/// Key of one instantiation of a generic struct: the struct, the text, and which of the
/// instantiations with that text it is (two modules can write `Pair<Foo>` for two
/// different `Foo`s).
type InstKey = (usize, String, u32);

/// The instantiations found on each target, by generic struct.
struct Found {
    /// Per generic struct, its instantiations in the order first found.
    order: HashMap<usize, Vec<InstKey>>,
    /// Per target.
    at: Vec<HashMap<InstKey, instances::Instance>>,
}

impl Found {
    fn new(per_target: Vec<Vec<instances::Instance>>) -> Found {
        let mut order: HashMap<usize, Vec<InstKey>> = HashMap::new();
        let mut at = Vec::with_capacity(per_target.len());
        for found in per_target {
            let mut here: HashMap<InstKey, instances::Instance> = HashMap::new();
            for inst in found {
                let mut n = 0;
                while here.contains_key(&(inst.id, inst.text.clone(), n)) {
                    n += 1;
                }
                let key = (inst.id, inst.text.clone(), n);
                let keys = order.entry(inst.id).or_default();
                if !keys.contains(&key) {
                    keys.push(key.clone());
                }
                here.insert(key, inst);
            }
            at.push(here);
        }
        Found { order, at }
    }

    /// Appends the entries of generic struct `id`'s instantiations on every target.
    fn report(
        &self,
        id: usize,
        sid: &StructId,
        ctxs: &[Ctx<'_>],
        ignored: bool,
        structs: &mut Vec<StructReport>,
        errors: &mut Vec<FileError>,
    ) {
        let on = vec![true; ctxs.len()];
        self.report_on(id, sid, ctxs, &on, ignored, structs, errors);
    }

    /// [`Found::report`] on the targets `on` selects, one instantiation after another.
    #[allow(clippy::too_many_arguments)]
    fn report_on(
        &self,
        id: usize,
        sid: &StructId,
        ctxs: &[Ctx<'_>],
        on: &[bool],
        ignored: bool,
        structs: &mut Vec<StructReport>,
        errors: &mut Vec<FileError>,
    ) {
        let Some(keys) = self.order.get(&id) else {
            return;
        };
        for key in keys {
            for (ti, ctx) in ctxs.iter().enumerate() {
                if !on[ti] {
                    continue;
                }
                let Some(inst) = self.at[ti].get(key) else {
                    continue;
                };
                if let Some(mut r) = instance_report(ctx, inst, ignored, errors) {
                    r.id = StructId {
                        name: key.1.clone(),
                        ordinal: sid.ordinal + key.2,
                        ..sid.clone()
                    };
                    structs.push(r);
                }
            }
        }
    }
}

fn analyze_here(
    paths: &[PathBuf],
    targets: &[&'static TargetInfo],
    deliver: &mut dyn FnMut(Analysis),
) {
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for (path, root) in source::collect(paths, &mut errors) {
        match source::load(&path, &root) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    let ix = Index::build(files);
    let ctxs: Vec<Ctx<'_>> = targets.iter().map(|t| Ctx::new(&ix, t)).collect();
    let mut structs = Vec::new();
    // Indexed once per file: looking up each struct's lines in the text again was
    // quadratic in the structs of a file.
    let lines: Vec<source::Lines<'_>> = ix
        .files
        .iter()
        .map(|f| source::Lines::new(&f.text))
        .collect();
    let found = Found::new(
        ctxs.iter()
            .map(|c| instances::instantiations_listed(c, &[], &|_| true).0)
            .collect(),
    );
    for (id, sid) in struct_ids(&ix).into_iter().enumerate() {
        let s = &ix.structs[id];
        let ignored = ignore_comment(&lines[s.file], &s.item);
        for ctx in &ctxs {
            if let Some(mut r) = report(ctx, id, ignored, &mut errors) {
                r.id = sid.clone();
                structs.push(r);
            }
        }
        found.report(id, &sid, &ctxs, ignored, &mut structs, &mut errors);
    }
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert((e.file.clone(), e.line, e.column, e.message.clone())));
    deliver(Analysis { structs, errors });
}

/// The identity of every struct of the index: its module and name, and its ordinal
/// among the structs of that name in that module (cfg variants), in source order.
fn struct_ids(ix: &Index) -> Vec<StructId> {
    let mut seen: HashMap<(usize, String), u32> = HashMap::new();
    ix.structs
        .iter()
        .map(|s| {
            let name = s.item.ident.to_string();
            let n = seen.entry((s.module, name.clone())).or_insert(0);
            let ordinal = *n;
            *n += 1;
            StructId {
                package: String::new(),
                krate: String::new(),
                module: ix.module_name(s.module),
                name,
                ordinal,
            }
        })
        .collect()
}

fn err(file: &std::path::Path, line: usize, column: usize, message: String) -> FileError {
    FileError {
        file: file.to_path_buf(),
        line: Some(line),
        column: Some(column),
        message,
    }
}

/// One struct on one target, or `None` if it does not exist there.
fn report(
    ctx: &Ctx<'_>,
    id: usize,
    ignored: bool,
    errors: &mut Vec<FileError>,
) -> Option<StructReport> {
    let present = struct_presence(ctx, id, errors)?;
    let out = ctx.struct_report(id);
    Some(struct_entry(ctx, id, &out, present, ignored, errors))
}

/// The entry of one instantiation on one target (`Pair<u64>`, at `Pair`'s definition),
/// or `None` if it does not exist there: the generic struct is absent, or so is the
/// place that names it.
fn instance_report(
    ctx: &Ctx<'_>,
    inst: &instances::Instance,
    ignored: bool,
    errors: &mut Vec<FileError>,
) -> Option<StructReport> {
    let ix = ctx.ix;
    // Errors in the generic struct's own attributes are reported with its own entry.
    let mut present = struct_presence(ctx, inst.id, &mut Vec::new())?;
    if let (Presence::Yes, Some(why)) = (&present, &inst.present) {
        present = Presence::Unknown(why.clone());
    }
    let out = ctx.struct_instance(inst);
    let mut r = struct_entry(ctx, inst.id, &out, present, ignored, errors);
    let s = &ix.structs[inst.id];
    let generic = format!("{}::{}", ix.module_name(s.module), s.item.ident);
    r.name = inst.text.clone();
    r.path = format!("{}::{}", ix.module_name(s.module), inst.text);
    r.generic = false;
    r.instance = Some(InstanceOf {
        generic,
        file: match &inst.manifest {
            Some(m) => m.clone(),
            None => ix.files[inst.file].path.clone(),
        },
        line: inst.line,
        column: inst.column,
        via: inst.via.clone(),
        listed: inst.manifest.is_some(),
        written: inst.written.clone(),
    });
    Some(r)
}

/// Whether struct `id` exists on the target: `None` if it does not (a malformed `cfg`
/// is an error in `errors`).
fn struct_presence(ctx: &Ctx<'_>, id: usize, errors: &mut Vec<FileError>) -> Option<Presence> {
    let ix = ctx.ix;
    let s = &ix.structs[id];
    let file = &ix.files[s.file];
    let ct = ix.crate_cfg(s.module, &ctx.t);
    let mut present = match ix.module_presence(s.module, &ctx.t) {
        Tri::False => return None,
        Tri::True => Presence::Yes,
        Tri::Unknown(r) => Presence::Unknown(r),
    };
    match ix.cfg.active(&s.item.attrs, ct) {
        Ok(Some(_)) => {}
        Ok(None) => match ix.cfg.presence(&s.item.attrs, ct) {
            Tri::Unknown(r) => {
                if present == Presence::Yes {
                    present = Presence::Unknown(r);
                }
            }
            _ => return None,
        },
        Err(e) => {
            let p = e.span().start();
            errors.push(err(&file.path, p.line, p.column + 1, e.to_string()));
            return None;
        }
    }
    Some(present)
}

/// The report of struct `id` laid out as `out` (its own layout, or an instantiation's).
fn struct_entry(
    ctx: &Ctx<'_>,
    id: usize,
    out: &types::StructOut,
    present: Presence,
    ignored: bool,
    errors: &mut Vec<FileError>,
) -> StructReport {
    let ix = ctx.ix;
    let s = &ix.structs[id];
    let file = &ix.files[s.file];
    let name = s.item.ident.to_string();
    let pos = s.item.ident.span().start();
    let (line, column) = (pos.line, pos.column + 1);
    for (l, c, m) in &out.attr_errors {
        errors.push(err(&file.path, *l, *c, m.clone()));
    }

    let cx = layout_syntax::Ctxt::new();
    let sattrs = layout_syntax::parse_struct_attrs(&cx, &out.attrs);
    let expect = StructExpect {
        size: sattrs.size.map(|v| v.value as usize),
        align: sattrs.align.map(|v| v.value as usize),
        line: sattrs.line.map(|v| v.value as usize),
        max_padding: sattrs.max_padding.map(|v| v.value as usize),
    };
    let mut annotated =
        has_derive(&out.attrs) || out.attrs.iter().any(|a| a.path().is_ident("layout"));
    let mut unknown: Option<String> = None;
    let mut fields = Vec::with_capacity(out.fields.len());
    for (i, f) in out.fields.iter().enumerate() {
        let fa = layout_syntax::parse_field_attrs(&cx, &f.attrs);
        annotated |= f.attrs.iter().any(|a| a.path().is_ident("layout"));
        let (size, align) = match &f.layout {
            Ok(l) => (Some(l.size as usize), Some(l.align as usize)),
            Err(w) => {
                if let Why::Error(m) = w {
                    errors.push(err(
                        &file.path,
                        f.line,
                        f.column,
                        format!("field `{}`: {m}", f.name),
                    ));
                }
                if unknown.is_none() {
                    unknown = Some(format!("field `{}`: {}", f.name, w.message()));
                }
                (None, None)
            }
        };
        fields.push(FieldReport {
            name: f.name.clone(),
            ty: f.ty.clone(),
            line: f.line,
            column: f.column,
            offset: out.offsets.get(i).copied().flatten().map(|o| o as usize),
            size,
            align,
            intent: Intent {
                offset: fa.offset.map(|v| v.value as usize),
                line: fa.line.map(|v| v.value as usize),
                group: fa.group.map(|g| g.value),
                isolated: fa.isolated.is_some(),
                pad: fa.pad.is_some(),
                allow: fa
                    .allow
                    .iter()
                    .filter_map(|a| ::layout::Code::parse(a.value.as_str()))
                    .collect(),
            },
            kind: f.kind,
        });
    }
    for e in cx.into_errors() {
        let p = e.span().start();
        errors.push(err(&file.path, p.line.max(1), p.column + 1, e.to_string()));
    }
    let (size, align) = match &out.layout {
        Ok(l) => (Some(l.size as usize), Some(l.align as usize)),
        Err(w) => {
            if let Why::Error(m) = w
                && !out
                    .fields
                    .iter()
                    .any(|f| matches!(&f.layout, Err(Why::Error(fm)) if fm == m))
                && out.attr_errors.is_empty()
            {
                errors.push(err(
                    &file.path,
                    line,
                    column,
                    format!("struct `{name}`: {m}"),
                ));
            }
            if unknown.is_none() {
                unknown = Some(w.message().to_string());
            }
            (None, None)
        }
    };
    let repr = ReprInfo {
        c: out.repr.kind == layout_syntax::ReprKind::C,
        transparent: out.repr.kind == layout_syntax::ReprKind::Transparent,
        packed: out.repr.packed.map(|p| p.value as usize),
        align: out.repr.align.map(|a| a.value as usize),
    };
    let generic = s
        .item
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)));
    let mut r = StructReport {
        id: StructId::default(),
        source: NumberSource::Static,
        present,
        name: name.clone(),
        path: format!("{}::{name}", ix.module_name(s.module)),
        file: file.path.clone(),
        line,
        column,
        target: ctx.row,
        kind: match s.item.fields {
            syn::Fields::Named(_) => StructKind::Named,
            syn::Fields::Unnamed(_) => StructKind::Tuple,
            syn::Fields::Unit => StructKind::Unit,
        },
        repr,
        repr_text: repr_text(&out.attrs),
        expect,
        fixed: sattrs.fixed.is_some() || ignored,
        annotated,
        generic,
        instance: None,
        allowed: crate::levels::inline_allows(&out.attrs),
        line_size: expect.line.unwrap_or(ctx.row.cache_line),
        size,
        align,
        optimal_size: None,
        optimal_order: None,
        unknown,
        fields,
        diagnostics: Vec::new(),
    };
    if r.size.is_some()
        && let Some((order, best)) = crate::reorder::best_order(&r)
    {
        r.optimal_size = Some(best);
        r.optimal_order = Some(order);
    }
    r
}

fn has_derive(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|m| {
                if m.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "CacheLayout")
                {
                    found = true;
                }
                Ok(())
            });
            found
        })
}

/// `#[repr(...)]` contents as written, joined: `C, align(64)`; `Rust` when there is none.
fn repr_text(attrs: &[syn::Attribute]) -> String {
    let parts: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("repr"))
        .filter_map(|a| a.meta.require_list().ok())
        .map(|l| types::tokens_string(l.tokens.clone()))
        .collect();
    if parts.is_empty() {
        "Rust".into()
    } else {
        parts.join(", ")
    }
}

/// A `// layout:ignore` comment directly above the struct (above or among its
/// attributes, not separated by a blank line).
fn ignore_comment(lines: &source::Lines<'_>, item: &syn::ItemStruct) -> bool {
    let kw_line = item.struct_token.span.start().line;
    let first_attr = item
        .attrs
        .iter()
        .map(|a| a.pound_token.span.start().line)
        .min()
        .unwrap_or(kw_line)
        .min(kw_line);
    source::marker_above(lines, first_attr, kw_line, "layout:ignore").0
}

#[cfg(test)]
mod tests;
