//! From cargo's model of the user's build ([`crate::cargo::Build`]) to the crates of one
//! [`Index`]: the selected packages' crate targets, and the dependency crates their
//! types reach, each with its module tree, its extern prelude and its cfgs per target.
//!
//! Dependencies are read as needed. At crate granularity: a dependency's library is
//! loaded only when a loaded crate names it in a `use`, an `extern crate` or a type
//! path, so tokio's report reads mio and parking_lot but not the crates it only uses in
//! function bodies. Inside a dependency: only the module-level definitions whose names
//! the crates read before it write are parsed ([`crate::source::deferred`]); crates are
//! read dependents first, so by the time a dependency is read every crate that can name
//! its items has been. Proc-macro crates are reported for the host only; their types
//! are never a field's.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use syn::visit::Visit;

use crate::analysis::FileError;
use crate::cargo::{Build, CrateKind, PkgId};
use crate::cfg::{CfgTarget, CrateCfg};
use crate::index::{CrateInput, Index};
use crate::modtree;

/// One crate of the index, as the report needs to know it.
#[derive(Clone, Debug)]
pub struct LoadedCrate {
    /// The package.
    pub package: PkgId,
    /// The crate target's name (`lib` for the library).
    pub target: String,
    /// Whether its structs are reported (a selected package's crate).
    pub reported: bool,
    /// Item macros that could not be expanded: (name, file, line).
    pub unexpanded: Vec<(String, PathBuf, usize)>,
}

/// The index of a build and what each of its crates is.
#[derive(Debug)]
pub struct Loaded {
    /// The crates' items.
    pub index: Index,
    /// Per crate of the index, in its order.
    pub crates: Vec<LoadedCrate>,
}

/// The rows of `build.targets` a package is built for.
fn built_rows(build: &Build, pkg: PkgId, host_only: bool) -> Vec<usize> {
    let host = crate::cli::host().triple;
    build
        .targets
        .iter()
        .enumerate()
        .filter(|(_, t)| t.features.contains_key(&pkg) || build.packages[pkg].member)
        .filter(|(_, t)| !host_only || t.row.triple == host)
        .map(|(i, _)| i)
        .collect()
}

/// The build script text of a package and the files it declares (cfg names found there
/// may be set by it).
fn build_script_text(build: &Build, pkg: PkgId) -> Option<Arc<String>> {
    let path = build.packages[pkg].build_script.as_ref()?;
    let mut errors = Vec::new();
    let tree = modtree::walk(path, &[], &mut errors);
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    for f in &tree.files {
        text.push('\n');
        text.push_str(&f.text);
    }
    // `include!`d files, e.g. a list of cfg names kept beside the build script.
    if let Some(dir) = path.parent()
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for e in entries.flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if text.contains(&name) && p.is_file() && p.extension().is_some_and(|x| x == "rs") {
                text.push('\n');
                text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    Some(Arc::new(text))
}

/// How a dependency's definitions were read: (parsed, set aside) summed over the
/// dependency crates read as needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Definitions parsed because a name reached them.
    pub parsed: usize,
    /// Definitions set aside in all (parsed or not).
    pub set_aside: usize,
}

/// Loads the selected packages' crates and the dependency crates they reach (whole
/// with [`Build::read_whole`]).
pub fn load(build: &Build, errors: &mut Vec<FileError>) -> Loaded {
    load_reading(build, errors, build.read_whole).0
}

/// [`load`], reading dependencies whole or as needed, with what was read.
pub fn load_reading(
    build: &Build,
    errors: &mut Vec<FileError>,
    whole: bool,
) -> (Loaded, ReadStats) {
    // Per package, per target row: how its cfgs evaluate (made once).
    let mut cfg_of: HashMap<PkgId, Vec<CfgTarget>> = HashMap::new();
    let mut cfgs_for = |pkg: PkgId, proc_macro: bool| -> Vec<CfgTarget> {
        cfg_of
            .entry(pkg)
            .or_insert_with(|| {
                let script = build_script_text(build, pkg);
                build
                    .targets
                    .iter()
                    .map(|t| {
                        let k = CrateCfg {
                            rustc: t.cfg.clone(),
                            features: t.features.get(&pkg).cloned().unwrap_or_default(),
                            proc_macro,
                            build_script: script.clone(),
                            package: build.packages[pkg].name.clone(),
                        };
                        CfgTarget::for_crate(t.row, Arc::new(k))
                    })
                    .collect()
            })
            .clone()
    };

    let (rank, unranked) = dependents_first(build);
    // (rank, package, crate target, reported), taken lowest rank first.
    let mut queue: BTreeSet<(usize, PkgId, usize, bool)> = BTreeSet::new();
    let mut wanted: BTreeSet<(PkgId, usize)> = BTreeSet::new();
    for &p in &build.selected {
        for ti in 0..build.packages[p].targets.len() {
            if wanted.insert((p, ti)) {
                queue.insert((rank[p], p, ti, true));
            }
        }
    }
    // Identifiers written in what was read so far (and in the listed instantiations).
    let mut names = crate::source::deferred::Names::default();
    for &p in &build.selected {
        let config = crate::cargo::LayoutConfig::read(&build.packages[p].manifest_path);
        for l in &config.instantiations {
            names.extend(
                l.text
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    let mut stats = ReadStats::default();

    let mut inputs: Vec<CrateInput> = Vec::new();
    let mut crates: Vec<LoadedCrate> = Vec::new();
    // (package, crate target) -> index of the crate.
    let mut at: HashMap<(PkgId, usize), usize> = HashMap::new();
    // Extern names each crate uses, resolved to (package, lib target) later.
    let mut extern_names: Vec<Vec<(String, PkgId, usize)>> = Vec::new();

    while let Some((_, package, target, reported)) = queue.pop_first() {
        let pkg = &build.packages[package];
        let t = &pkg.targets[target];
        let proc_macro = t.kind == CrateKind::ProcMacro;
        let all_cfgs = cfgs_for(package, proc_macro);
        let rows = built_rows(build, package, proc_macro);
        let cfgs: Vec<CfgTarget> = rows.iter().map(|&i| all_cfgs[i].clone()).collect();
        if cfgs.is_empty() && !build.targets.is_empty() {
            continue;
        }
        let mut tree = if whole {
            modtree::walk(&t.src_path, &cfgs, errors)
        } else {
            let defer = !reported && !unranked[package];
            let mut tree = modtree::walk_as_needed(
                &t.src_path,
                &cfgs,
                errors,
                Some((&mut names, defer)),
                build.read_ahead.as_deref(),
            );
            let (parsed, set_aside) = modtree::read_needed(&mut tree, &mut names, errors);
            stats.parsed += parsed;
            stats.set_aside += set_aside;
            tree
        };
        if !reported {
            // Nothing reports on a dependency's files (one read as needed has none kept).
            for f in &mut tree.files {
                f.text = String::new();
            }
        }
        crate::timings::mark(format_args!("read {} ({} files)", t.name, tree.files.len()));
        // The crate's extern prelude: its dependencies, and for a bin, test or example
        // its own package's library.
        let mut externs: Vec<(String, PkgId, usize)> = Vec::new();
        for d in &pkg.deps {
            if let Some(li) = lib_index(build, d.package) {
                externs.push((d.extern_name.clone(), d.package, li));
            }
        }
        if !matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro)
            && let Some(li) = lib_index(build, package)
        {
            let name = pkg.targets[li].name.replace('-', "_");
            externs.push((name, package, li));
        }
        // Load a dependency only if this crate names it.
        let named = named_roots(&tree);
        for (name, dp, li) in &externs {
            let dep_proc_macro = build.packages[*dp].targets[*li].kind == CrateKind::ProcMacro;
            if named.contains(name) && !dep_proc_macro && wanted.insert((*dp, *li)) {
                queue.insert((rank[*dp], *dp, *li, false));
            }
        }
        at.insert((package, target), inputs.len());
        crates.push(LoadedCrate {
            package,
            target: if matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro) {
                "lib".into()
            } else {
                t.name.clone()
            },
            reported,
            unexpanded: tree.unexpanded,
        });
        extern_names.push(externs);
        inputs.push(CrateInput {
            name: t.name.replace('-', "_"),
            files: tree.files,
            externs: Vec::new(),
            cfgs: all_cfgs,
        });
    }
    for (i, names) in extern_names.into_iter().enumerate() {
        inputs[i].externs = names
            .into_iter()
            .filter_map(|(n, p, li)| at.get(&(p, li)).map(|&k| (n, k)))
            .collect();
    }
    if let Some(ahead) = &build.read_ahead {
        ahead.finish(build.target_dir.as_deref());
        let (read, parsed) = ahead.hits();
        crate::timings::mark(format_args!(
            "{} files read ahead, {parsed} of them parsed ahead",
            read + parsed
        ));
    }
    let loaded = Loaded {
        index: Index::build_crates(inputs),
        crates,
    };
    (loaded, stats)
}

/// A rank per package such that each package ranks after every package depending on it
/// (Kahn's order of the dependency graph, dependents first), and whether it has none:
/// a package on a dependency cycle (dev-dependencies can close one) or below one, read
/// whole.
fn dependents_first(build: &Build) -> (Vec<usize>, Vec<bool>) {
    let n = build.packages.len();
    let mut dependents = vec![0usize; n];
    for p in &build.packages {
        for d in &p.deps {
            dependents[d.package] += 1;
        }
    }
    let mut ready: Vec<PkgId> = (0..n).filter(|&p| dependents[p] == 0).collect();
    let mut rank = vec![usize::MAX; n];
    let mut next = 0;
    while let Some(p) = ready.pop() {
        rank[p] = next;
        next += 1;
        for d in &build.packages[p].deps {
            dependents[d.package] -= 1;
            if dependents[d.package] == 0 {
                ready.push(d.package);
            }
        }
    }
    let unranked: Vec<bool> = rank.iter().map(|&r| r == usize::MAX).collect();
    (rank, unranked)
}

fn lib_index(build: &Build, pkg: PkgId) -> Option<usize> {
    build.packages[pkg]
        .targets
        .iter()
        .position(|t| matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro))
}

/// The first segments of the paths a crate's items name (`use` trees, `extern crate`,
/// types of fields, aliases and constants, macro paths): the extern crates it may use.
fn named_roots(tree: &modtree::Tree) -> BTreeSet<String> {
    struct V(BTreeSet<String>);
    impl<'ast> Visit<'ast> for V {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if let Some(first) = p.segments.first() {
                self.0.insert(first.ident.to_string());
            }
            syn::visit::visit_path(self, p);
        }
        fn visit_use_tree(&mut self, t: &'ast syn::UseTree) {
            match t {
                syn::UseTree::Path(p) => {
                    self.0.insert(p.ident.to_string());
                }
                syn::UseTree::Name(n) => {
                    self.0.insert(n.ident.to_string());
                }
                syn::UseTree::Rename(r) => {
                    self.0.insert(r.ident.to_string());
                }
                syn::UseTree::Group(g) => {
                    for t in &g.items {
                        self.visit_use_tree(t);
                    }
                }
                syn::UseTree::Glob(_) => {}
            }
        }
        fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
            self.0.insert(e.ident.to_string());
        }
    }
    let mut v = V(BTreeSet::new());
    for f in &tree.files {
        v.visit_file(&f.ast);
    }
    v.0
}
