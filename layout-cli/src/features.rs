//! The features cargo's resolver (version 2) enables for each package built for one
//! target, computed from `cargo metadata` instead of asking `cargo tree` once per
//! target (each call re-resolves the whole graph: ~0.1 s of CPU per target on tokio).
//!
//! The rules are cargo's:
//! - the roots are the selected workspace members with the command line's features
//!   (`--features`, `--all-features`, `default` unless `--no-default-features`); a
//!   `-p` naming a dependency selects it for reporting only: the build is the
//!   workspace's, whose roots are then the default members. A proc-macro root is built
//!   for the host, but the features it enables on its dependencies are unified with
//!   the target's (as cargo does for roots); what only it reaches is not built for the
//!   target;
//! - a package's non-optional normal dependencies are built with it, each with the
//!   features its declaration asks for (and `default` unless `default-features =
//!   false`); dev-dependencies of the roots count only with `--tests`;
//! - a declaration under `[target.'cfg(..)'.dependencies]` counts only where its
//!   platform holds on this target, with rustc's cfg set;
//! - a feature enables what it lists: `f` (another feature of the package), `dep:d`
//!   (the optional dependency `d`), `d/f` (the dependency `d`, and the implicit feature
//!   `d` when `d` is optional without `dep:` syntax, then its feature `f`), `d?/f` (its
//!   feature `f` only if `d` is enabled by something else); an optional dependency
//!   never named as `dep:d` has an implicit feature `d` enabling it;
//! - build-dependencies and proc-macro dependencies are built for the host: neither
//!   they nor what they pull in are part of this target's build (the features they
//!   enable on shared packages stay apart under resolver 2).
//!
//! The result equals `cargo tree -e normal --target T -f '{f}'` with proc-macro
//! subtrees left out (tests compare them); `--check-features` on the command line
//! compares them on the user's build.

use std::collections::{BTreeSet, HashMap, HashSet};

use cargo_metadata::{DependencyKind, Metadata};

use crate::cargo::{PkgId, RustcCfg, cfg_holds};

/// What decides a package's features, besides the graph.
#[derive(Debug)]
pub struct Request<'a> {
    /// Root packages (workspace members), given the command line's features.
    pub roots: &'a [PkgId],
    /// `--features` (each may hold several, comma- or space-separated).
    pub features: &'a [String],
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--tests`: the roots' dev-dependencies too.
    pub tests: bool,
    /// The target's triple.
    pub triple: &'a str,
    /// rustc's cfg set for it.
    pub cfg: &'a RustcCfg,
}

/// Features per package built for the target (a package absent is not built for it).
pub fn resolve(meta: &Metadata, req: &Request<'_>) -> HashMap<PkgId, BTreeSet<String>> {
    let mut r = Resolver::new(meta, req);
    let roots: HashSet<PkgId> = req.roots.iter().copied().collect();
    for &root in req.roots {
        let p = &meta.packages[root];
        let mut fvs: Vec<String> = Vec::new();
        if req.all_features {
            fvs.extend(p.features.keys().cloned());
            // Optional dependencies are features too (`dep:` ones included).
            fvs.extend(
                p.dependencies
                    .iter()
                    .filter(|d| d.optional)
                    .map(|d| format!("dep:{}", dep_name(d))),
            );
        }
        if !req.no_default_features {
            fvs.push("default".into());
        }
        for f in req
            .features
            .iter()
            .flat_map(|s| s.split([',', ' ']))
            .filter(|s| !s.is_empty())
        {
            // `member/feat` applies to that member only; a bare name to every root.
            match f.split_once('/') {
                Some((pkg, feat)) if pkg == p.name.as_str() => fvs.push(feat.to_string()),
                Some((pkg, _)) if roots.iter().any(|&o| meta.packages[o].name.as_str() == pkg) => {}
                _ => fvs.push(f.to_string()),
            }
        }
        r.activate_pkg(root);
        for fv in fvs {
            r.feature_value(root, &fv);
        }
    }
    // Built for the target: what the roots that are not proc macros reach.
    let mut built: HashSet<PkgId> = HashSet::new();
    let mut stack: Vec<PkgId> = req
        .roots
        .iter()
        .copied()
        .filter(|&p| !r.proc_macro[p])
        .collect();
    while let Some(p) = stack.pop() {
        if built.insert(p) {
            stack.extend(r.built_edges.get(&p).into_iter().flatten().copied());
        }
    }
    let mut out = r.features;
    out.retain(|p, _| built.contains(p));
    out
}

/// A declared dependency's name as features write it (the rename, if any).
fn dep_name(d: &cargo_metadata::Dependency) -> &str {
    d.rename.as_deref().unwrap_or(d.name.as_str())
}

struct Resolver<'a> {
    meta: &'a Metadata,
    req: &'a Request<'a>,
    /// Resolve-graph edges per package: (package name, extern name, kinds) -> package.
    edges: Vec<Vec<Edge>>,
    /// Packages built, with their features.
    features: HashMap<PkgId, BTreeSet<String>>,
    /// Roots: their dev-dependencies count with `--tests`.
    roots: HashSet<PkgId>,
    /// Optional dependencies enabled, per package (by feature name).
    enabled_deps: HashSet<(PkgId, String)>,
    /// Dependencies built, per package (by feature name): where `d?/f` applies at once.
    active: HashSet<(PkgId, String)>,
    /// `d?/f` waiting for `d`: (package, dependency name) -> features.
    weak: HashMap<(PkgId, String), Vec<String>>,
    /// Per package: a proc macro (built for the host only).
    proc_macro: Vec<bool>,
    /// Dependency edges activated: package -> the packages it builds.
    built_edges: HashMap<PkgId, Vec<PkgId>>,
}

struct Edge {
    /// The resolved package.
    to: PkgId,
    /// Its package name.
    name: String,
    /// The extern crate name the resolve graph gives it.
    extern_name: String,
}

impl<'a> Resolver<'a> {
    fn new(meta: &'a Metadata, req: &'a Request<'a>) -> Resolver<'a> {
        let ids = crate::cargo::package_ids(meta);
        let mut edges: Vec<Vec<Edge>> = (0..meta.packages.len()).map(|_| Vec::new()).collect();
        if let Some(resolve) = &meta.resolve {
            for node in &resolve.nodes {
                let Some(&from) = ids.get(&node.id) else {
                    continue;
                };
                for d in &node.deps {
                    if let Some(&to) = ids.get(&d.pkg) {
                        edges[from].push(Edge {
                            to,
                            name: meta.packages[to].name.to_string(),
                            extern_name: d.name.clone(),
                        });
                    }
                }
            }
        }
        let proc_macro = meta
            .packages
            .iter()
            .map(|p| {
                p.targets.iter().any(|t| {
                    t.kind
                        .iter()
                        .any(|k| matches!(k, cargo_metadata::TargetKind::ProcMacro))
                })
            })
            .collect();
        Resolver {
            meta,
            req,
            edges,
            features: HashMap::new(),
            roots: req.roots.iter().copied().collect(),
            enabled_deps: HashSet::new(),
            active: HashSet::new(),
            weak: HashMap::new(),
            proc_macro,
            built_edges: HashMap::new(),
        }
    }

    /// Marks `p` built; on first sight, builds its non-optional dependencies.
    fn activate_pkg(&mut self, p: PkgId) {
        if self.features.contains_key(&p) {
            return;
        }
        self.features.insert(p, BTreeSet::new());
        let decls: Vec<usize> = (0..self.meta.packages[p].dependencies.len())
            .filter(|&i| !self.meta.packages[p].dependencies[i].optional)
            .collect();
        for i in decls {
            self.activate_decl(p, i);
        }
    }

    /// Whether declaration `i` of `p` is part of this target's build.
    fn decl_counts(&self, p: PkgId, i: usize) -> bool {
        let d = &self.meta.packages[p].dependencies[i];
        let kind = match d.kind {
            DependencyKind::Normal => true,
            DependencyKind::Development => self.req.tests && self.roots.contains(&p),
            _ => false,
        };
        kind && match &d.target {
            None => true,
            Some(platform) => {
                let s = platform.to_string();
                if s.starts_with("cfg(") {
                    cfg_holds(&s, self.req.cfg)
                } else {
                    s == self.req.triple
                }
            }
        }
    }

    /// The package declaration `i` of `p` resolved to.
    fn decl_target(&self, p: PkgId, i: usize) -> Option<PkgId> {
        let d = &self.meta.packages[p].dependencies[i];
        let extern_name = d.rename.as_ref().map(|r| r.replace('-', "_"));
        let mut found = self.edges[p].iter().filter(|e| {
            e.name == d.name.as_str() && extern_name.as_ref().is_none_or(|x| *x == e.extern_name)
        });
        let first = found.next()?;
        // Several packages of one name (a rename per version): the extern name decides.
        match found.next() {
            None => Some(first.to),
            Some(_) => self.edges[p]
                .iter()
                .find(|e| {
                    e.name == d.name.as_str()
                        && e.extern_name == extern_name.clone().unwrap_or(d.name.replace('-', "_"))
                })
                .map(|e| e.to),
        }
    }

    /// Builds the dependency of declaration `i` of `p` with the features it asks for.
    fn activate_decl(&mut self, p: PkgId, i: usize) {
        if !self.decl_counts(p, i) {
            return;
        }
        let Some(q) = self.decl_target(p, i) else {
            return;
        };
        if self.proc_macro[q] {
            return;
        }
        let d = &self.meta.packages[p].dependencies[i];
        let mut fvs: Vec<String> = d.features.clone();
        if d.uses_default_features {
            fvs.push("default".into());
        }
        let name = dep_name(d).to_string();
        self.active.insert((p, name.clone()));
        self.built_edges.entry(p).or_default().push(q);
        self.activate_pkg(q);
        for f in fvs {
            self.feature(q, &f);
        }
        // `d?/f` features of `p` waiting for `d`.
        if let Some(waiting) = self.weak.remove(&(p, name)) {
            for f in waiting {
                self.feature(q, &f);
            }
        }
    }

    /// Enables the optional (or not) dependency `name` of `p`: every declaration of that
    /// name that counts on this target.
    fn enable_dep(&mut self, p: PkgId, name: &str) {
        let first = self.enabled_deps.insert((p, name.to_string()));
        let decls: Vec<usize> = (0..self.meta.packages[p].dependencies.len())
            .filter(|&i| dep_name(&self.meta.packages[p].dependencies[i]) == name)
            .collect();
        if first {
            for i in decls {
                self.activate_decl(p, i);
            }
        }
    }

    /// The packages declaration `name` of `p` resolves to on this target.
    fn dep_packages(&self, p: PkgId, name: &str) -> Vec<PkgId> {
        (0..self.meta.packages[p].dependencies.len())
            .filter(|&i| dep_name(&self.meta.packages[p].dependencies[i]) == name)
            .filter(|&i| self.decl_counts(p, i))
            .filter_map(|i| self.decl_target(p, i))
            .filter(|&q| !self.proc_macro[q])
            .collect()
    }

    fn is_optional_dep(&self, p: PkgId, name: &str) -> bool {
        self.meta.packages[p]
            .dependencies
            .iter()
            .any(|d| d.optional && dep_name(d) == name)
    }

    /// Whether the optional dependency `name` of `p` has an implicit feature: cargo
    /// metadata lists one as `name = ["dep:name"]`, and there is none when the
    /// manifest itself writes `dep:name`.
    fn implicit_feature(&self, p: PkgId, name: &str) -> bool {
        let want = format!("dep:{name}");
        let features = &self.meta.packages[p].features;
        self.is_optional_dep(p, name)
            && features.get(name).is_some_and(|v| *v == [want.clone()])
            && !features.iter().any(|(k, v)| k != name && v.contains(&want))
    }

    /// Enables feature `f` of `p` (implicit features of optional dependencies are in
    /// the metadata's table too).
    fn feature(&mut self, p: PkgId, f: &str) {
        // Unknown features are cargo's error to report; nothing to enable.
        let Some(values) = self.meta.packages[p].features.get(f) else {
            return;
        };
        let Some(set) = self.features.get_mut(&p) else {
            return;
        };
        if !set.insert(f.to_string()) {
            return;
        }
        for fv in values {
            self.feature_value(p, fv);
        }
    }

    /// One entry of a feature's list (or of the command line's features).
    fn feature_value(&mut self, p: PkgId, fv: &str) {
        if let Some(d) = fv.strip_prefix("dep:") {
            self.enable_dep(p, d);
        } else if let Some((d, f)) = fv.split_once('/') {
            if let Some(d) = d.strip_suffix('?') {
                if self.active.contains(&(p, d.to_string())) {
                    for q in self.dep_packages(p, d) {
                        self.feature(q, f);
                    }
                } else {
                    self.weak
                        .entry((p, d.to_string()))
                        .or_default()
                        .push(f.to_string());
                }
            } else {
                // The implicit feature only where the dependency exists on this target.
                if self.implicit_feature(p, d) && !self.dep_packages(p, d).is_empty() {
                    self.feature(p, d);
                }
                self.enable_dep(p, d);
                for q in self.dep_packages(p, d) {
                    self.feature(q, f);
                }
            }
        } else {
            self.feature(p, fv);
        }
    }
}
