//! From cargo's model of the user's build ([`crate::cargo::Build`]) to the crates of one
//! [`Index`]: the selected packages' crate targets, and the dependency crates their
//! types reach, each with its module tree, its extern prelude and its cfgs per target.
//!
//! Dependencies are read lazily at crate granularity: a dependency's library is loaded
//! only when a loaded crate names it in a `use`, an `extern crate` or a type path, so
//! tokio's report reads mio and parking_lot but not the crates it only uses in function
//! bodies. Proc-macro crates are reported for the host only; their types are never a
//! field's.

use std::collections::{BTreeSet, HashMap, VecDeque};
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

/// Loads the selected packages' crates and the dependency crates they reach.
pub fn load(build: &Build, errors: &mut Vec<FileError>) -> Loaded {
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

    struct Pending {
        package: PkgId,
        target: usize,
        reported: bool,
    }
    let mut queue: VecDeque<Pending> = VecDeque::new();
    let mut wanted: BTreeSet<(PkgId, usize)> = BTreeSet::new();
    for &p in &build.selected {
        for (ti, t) in build.packages[p].targets.iter().enumerate() {
            if wanted.insert((p, ti)) {
                let _ = t;
                queue.push_back(Pending {
                    package: p,
                    target: ti,
                    reported: true,
                });
            }
        }
    }

    let mut inputs: Vec<CrateInput> = Vec::new();
    let mut crates: Vec<LoadedCrate> = Vec::new();
    // (package, crate target) -> index of the crate.
    let mut at: HashMap<(PkgId, usize), usize> = HashMap::new();
    // Extern names each crate uses, resolved to (package, lib target) later.
    let mut extern_names: Vec<Vec<(String, PkgId, usize)>> = Vec::new();

    while let Some(job) = queue.pop_front() {
        let pkg = &build.packages[job.package];
        let t = &pkg.targets[job.target];
        let proc_macro = t.kind == CrateKind::ProcMacro;
        let all_cfgs = cfgs_for(job.package, proc_macro);
        let rows = built_rows(build, job.package, proc_macro);
        let cfgs: Vec<CfgTarget> = rows.iter().map(|&i| all_cfgs[i].clone()).collect();
        if cfgs.is_empty() && !build.targets.is_empty() {
            continue;
        }
        let tree = modtree::walk(&t.src_path, &cfgs, errors);
        // The crate's extern prelude: its dependencies, and for a bin, test or example
        // its own package's library.
        let mut externs: Vec<(String, PkgId, usize)> = Vec::new();
        for d in &pkg.deps {
            if let Some(li) = lib_index(build, d.package) {
                externs.push((d.extern_name.clone(), d.package, li));
            }
        }
        if !matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro)
            && let Some(li) = lib_index(build, job.package)
        {
            let name = pkg.targets[li].name.replace('-', "_");
            externs.push((name, job.package, li));
        }
        // Load a dependency only if this crate names it.
        let named = named_roots(&tree);
        for (name, dp, li) in &externs {
            let dep_proc_macro = build.packages[*dp].targets[*li].kind == CrateKind::ProcMacro;
            if named.contains(name) && !dep_proc_macro && wanted.insert((*dp, *li)) {
                queue.push_back(Pending {
                    package: *dp,
                    target: *li,
                    reported: false,
                });
            }
        }
        at.insert((job.package, job.target), inputs.len());
        crates.push(LoadedCrate {
            package: job.package,
            target: if matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro) {
                "lib".into()
            } else {
                t.name.clone()
            },
            reported: job.reported,
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
    Loaded {
        index: Index::build_crates(inputs),
        crates,
    }
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
