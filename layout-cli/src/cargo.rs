//! The user's build as cargo resolves it: packages, their crate targets and root files,
//! the dependency edges active on each target, the features cargo's resolver enables
//! for each package on each target, the profile, and each target's cfg set as rustc
//! prints it with the build's rustflags.
//!
//! What is asked of cargo and rustc, once per run:
//! - `cargo metadata --format-version 1` (one call, every target): packages, targets,
//!   the resolve graph with each edge's platform cfg, workspace members and metadata;
//! - `rustc --print cfg --target T` with the build's rustflags and the profile's
//!   `-C debug-assertions`/`-C panic`: the target's exact cfg set (target features
//!   included), instead of a built-in table.
//!
//! The features of each package *as built for T* are computed from the metadata's
//! manifests and resolve graph by [`crate::features`] with that cfg set. The features
//! the metadata's resolve graph lists are not the build's: under resolver 2 they union
//! in features that only dev- and build-dependencies enable. `cargo tree -e normal
//! --target T` gives the build's set too, but costs a resolve per target;
//! `--check-features` runs it and compares.
//!
//! The calls run in parallel; a missing `cargo`, a manifest that does not parse or a
//! failing command is an [`Error`] naming the cause.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use layout::target::TargetInfo;

mod cfg_cache;

/// The cargo flags that select what is built, with cargo's meaning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// `-p/--package` (repeatable).
    pub packages: Vec<String>,
    /// `--workspace`.
    pub workspace: bool,
    /// `--exclude` (with `--workspace`).
    pub exclude: Vec<String>,
    /// `--features` (each may hold several, comma- or space-separated).
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--release`.
    pub release: bool,
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--tests`: tests, benches and examples too, and dev-dependency edges.
    pub tests: bool,
    /// `--locked`.
    pub locked: bool,
    /// `--offline`.
    pub offline: bool,
    /// `--frozen`.
    pub frozen: bool,
}

impl Selection {
    /// The package-selection and feature flags, as `cargo tree`/`cargo check` take them.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(m) = &self.manifest_path {
            a.push("--manifest-path".into());
            a.push(m.display().to_string());
        }
        for p in &self.packages {
            a.push("-p".into());
            a.push(p.clone());
        }
        if self.workspace {
            a.push("--workspace".into());
        }
        for e in &self.exclude {
            a.push("--exclude".into());
            a.push(e.clone());
        }
        if !self.features.is_empty() {
            a.push("--features".into());
            a.push(self.features.join(","));
        }
        if self.all_features {
            a.push("--all-features".into());
        }
        if self.no_default_features {
            a.push("--no-default-features".into());
        }
        a.extend(self.lock_args());
        a
    }

    fn lock_args(&self) -> Vec<String> {
        let mut a = Vec::new();
        for (on, flag) in [
            (self.locked, "--locked"),
            (self.offline, "--offline"),
            (self.frozen, "--frozen"),
        ] {
            if on {
                a.push(flag.to_string());
            }
        }
        a
    }

    /// The profile's name: `release`, `--profile`, or `dev`.
    pub fn profile_name(&self) -> &str {
        match (&self.profile, self.release) {
            (Some(p), _) => p,
            (None, true) => "release",
            (None, false) => "dev",
        }
    }
}

/// A problem getting cargo's model: exit 2, with the cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The manifest concerned, if known.
    pub manifest: Option<PathBuf>,
    /// What went wrong.
    pub message: String,
}

fn error(manifest: Option<&Path>, message: impl Into<String>) -> Error {
    Error {
        manifest: manifest.map(Path::to_path_buf),
        message: message.into(),
    }
}

/// Index of a package in [`Build::packages`].
pub type PkgId = usize;

/// What a crate target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrateKind {
    /// `lib` (any of lib, rlib, dylib, staticlib, cdylib).
    Lib,
    /// A proc-macro library: built for the host only.
    ProcMacro,
    /// A binary.
    Bin,
    /// A test, bench or example (only with `--tests`).
    Other,
}

/// One crate target of a package.
#[derive(Clone, Debug)]
pub struct CrateTarget {
    /// The target's name as cargo lists it (`lib` targets: the library name).
    pub name: String,
    /// What it is.
    pub kind: CrateKind,
    /// Its root file.
    pub src_path: PathBuf,
    /// The Rust edition.
    pub edition: String,
}

/// A dependency edge.
#[derive(Clone, Debug)]
pub struct Dep {
    /// The name code uses for it (`extern crate` name: renamed, `-` as `_`).
    pub extern_name: String,
    /// The package it is.
    pub package: PkgId,
    /// Platform conditions of its normal (and, with `--tests`, dev) kinds: the edge is
    /// active on a target if any holds. `None` in the list means "every platform".
    pub platforms: Vec<Option<String>>,
}

/// One package of the build (a workspace member or a dependency).
#[derive(Clone, Debug)]
pub struct Package {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its manifest.
    pub manifest_path: PathBuf,
    /// A workspace member (only members are rewritten by `fix`).
    pub member: bool,
    /// Has a build script: cfgs it may set are unknown.
    pub build_script: Option<PathBuf>,
    /// Its crate targets (lib first).
    pub targets: Vec<CrateTarget>,
    /// Its dependencies (normal, plus dev with `--tests`).
    pub deps: Vec<Dep>,
    /// `[package.metadata]`.
    pub metadata: serde_json::Value,
}

impl Package {
    /// The directory of its manifest.
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }

    /// Its library target, if any.
    pub fn lib(&self) -> Option<&CrateTarget> {
        self.targets
            .iter()
            .find(|t| matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro))
    }
}

/// The profile's settings that decide cfgs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// `debug-assertions` (sets `cfg(debug_assertions)`).
    pub debug_assertions: bool,
    /// `overflow-checks`.
    pub overflow_checks: bool,
    /// `panic = "abort"` (sets `cfg(panic = "abort")`).
    pub panic_abort: bool,
}

/// A target's cfg set as rustc prints it for the build: `name` and `name="value"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RustcCfg {
    /// Bare names (`unix`, `debug_assertions`, a `--cfg foo` from rustflags).
    pub names: BTreeSet<String>,
    /// `key="value"` pairs; a key may have several values (`target_feature`).
    pub pairs: BTreeSet<(String, String)>,
    /// Keys rustc printed at least once, so any other value of them is false.
    pub keys: BTreeSet<String>,
}

impl RustcCfg {
    /// Parses `rustc --print cfg` output.
    pub fn parse(text: &str) -> RustcCfg {
        let mut c = RustcCfg::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.split_once('=') {
                Some((k, v)) => {
                    let v = v.trim_matches('"').to_string();
                    c.keys.insert(k.to_string());
                    c.pairs.insert((k.to_string(), v));
                }
                None => {
                    c.names.insert(line.to_string());
                }
            }
        }
        c
    }

    /// Whether `key = "value"` holds.
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.pairs.contains(&(key.to_string(), value.to_string()))
    }
}

/// Everything that differs per target.
#[derive(Clone, Debug)]
pub struct TargetBuild {
    /// The table row.
    pub row: &'static TargetInfo,
    /// rustc's cfg set for it.
    pub cfg: Arc<RustcCfg>,
    /// Features enabled on each package built for this target; a package missing here
    /// is not built for it.
    pub features: HashMap<PkgId, Arc<BTreeSet<String>>>,
}

/// The user's build.
#[derive(Clone, Debug)]
pub struct Build {
    /// The workspace root (SARIF `%SRCROOT%`, relative paths).
    pub workspace_root: PathBuf,
    /// Every package of the resolve graph.
    pub packages: Vec<Package>,
    /// The packages to report, as `-p`/`--workspace`/default-members select them.
    pub selected: Vec<PkgId>,
    /// The profile.
    pub profile: Profile,
    /// Per target.
    pub targets: Vec<TargetBuild>,
    /// `[workspace.metadata]`.
    pub workspace_metadata: serde_json::Value,
    /// Things the user should know (a `Cargo.lock` cargo would create, ...).
    pub notes: Vec<String>,
    /// Parse every file of every dependency whole instead of as needed (a check of
    /// this tool: the report must not change).
    pub read_whole: bool,
    /// cargo's target directory.
    pub target_dir: Option<PathBuf>,
    /// The files read ahead on the second core ([`crate::source::ahead`]).
    pub read_ahead: Option<Arc<crate::source::ahead::ReadAhead>>,
}

/// `[workspace.metadata.layout]` (in the workspace root manifest) and
/// `[package.metadata.layout]` (in the manifest given), the package's keys winning:
/// `targets = ["x86_64-linux", ...]` (used when no `--target` is given) and
/// `exclude = ["tests/ui", ...]` (paths relative to the workspace root whose structs are
/// not reported), and `instantiations = ["Pair<u64>", "crate::q::Ring<u8, 64>"]`
/// (generic structs to report with those arguments, resolved in each crate root's scope:
/// the workspace's list and the package's together). Lint levels (`lints`) are read from
/// cargo metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayoutConfig {
    /// Default targets.
    pub targets: Vec<String>,
    /// Excluded path prefixes.
    pub exclude: Vec<PathBuf>,
    /// Listed instantiations, the workspace's first.
    pub instantiations: Vec<ListedType>,
}

/// One entry of an `instantiations` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedType {
    /// The type as written: `Pair<u64>`.
    pub text: String,
    /// The manifest that lists it.
    pub manifest: PathBuf,
    /// From `[workspace.metadata.layout]` (else `[package.metadata.layout]`).
    pub workspace: bool,
    /// 1-based line of the entry in the manifest (1 when it cannot be found in the text).
    pub line: usize,
    /// 1-based column of the entry (of its opening quote).
    pub column: usize,
}

/// The 1-based line and column of the first `"text"` (or `'text'`) in `toml`.
fn entry_position(toml: &str, text: &str) -> (usize, usize) {
    for q in ['"', '\x27'] {
        let needle = format!("{q}{text}{q}");
        if let Some(at) = toml.find(&needle) {
            let line = toml[..at].matches('\n').count() + 1;
            let start = toml[..at].rfind('\n').map_or(0, |i| i + 1);
            return (line, toml[start..at].chars().count() + 1);
        }
    }
    (1, 1)
}

impl LayoutConfig {
    /// Reads the config for `manifest` (missing or unreadable manifests give none: cargo
    /// reports those).
    pub fn read(manifest: &Path) -> LayoutConfig {
        let mut c = LayoutConfig::default();
        let table = |m: &Path| -> Option<(toml::Table, String)> {
            let text = std::fs::read_to_string(m).ok()?;
            Some((text.parse::<toml::Table>().ok()?, text))
        };
        let section = |t: &toml::Table, top: &str| -> Option<toml::Table> {
            t.get(top)?
                .get("metadata")?
                .get("layout")?
                .as_table()
                .cloned()
        };
        let mut apply = |l: toml::Table, m: &Path, text: &str, workspace: bool| {
            let strings = |key: &str| -> Option<Vec<String>> {
                l.get(key)?.as_array().map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
            };
            if let Some(t) = strings("targets") {
                c.targets = t;
            }
            if let Some(x) = strings("exclude") {
                c.exclude = x.into_iter().map(PathBuf::from).collect();
            }
            for i in strings("instantiations").unwrap_or_default() {
                let (line, column) = entry_position(text, &i);
                c.instantiations.push(ListedType {
                    text: i,
                    manifest: m.to_path_buf(),
                    workspace,
                    line,
                    column,
                });
            }
        };
        if let Some(root) = workspace_root_manifest(manifest)
            && let Some((t, text)) = table(&root)
            && let Some(l) = section(&t, "workspace")
        {
            apply(l, &root, &text, true);
        }
        if let Some((t, text)) = table(manifest)
            && let Some(l) = section(&t, "package")
        {
            apply(l, manifest, &text, false);
        }
        c
    }
}

/// The manifest a set of input paths names: an explicit `--manifest-path`, a single
/// directory holding a `Cargo.toml`, or (no paths) the nearest `Cargo.toml` at or above
/// the current directory, as cargo finds it. `None`: plain files and directories.
pub fn find_manifest(sel: &Selection, paths: &[PathBuf]) -> Option<PathBuf> {
    if let Some(m) = &sel.manifest_path {
        return Some(m.clone());
    }
    match paths {
        [] => {
            let cwd = std::env::current_dir().ok()?;
            cwd.ancestors()
                .map(|d| d.join("Cargo.toml"))
                .find(|m| m.is_file())
        }
        [one] if one.is_dir() && one.join("Cargo.toml").is_file() => Some(one.join("Cargo.toml")),
        [one] if one.file_name().is_some_and(|n| n == "Cargo.toml") && one.is_file() => {
            Some(one.clone())
        }
        _ => None,
    }
}

/// Reads the build for `rows` from cargo and rustc.
pub fn load(
    manifest: &Path,
    sel: &Selection,
    rows: &[&'static TargetInfo],
) -> Result<Build, Error> {
    load_reading_ahead(manifest, sel, rows, read_ahead(manifest, sel, rows))
}

/// The files the last report of this manifest, selection and targets read, read ahead
/// from now on ([`crate::source::ahead`]).
pub fn read_ahead(
    manifest: &Path,
    sel: &Selection,
    rows: &[&'static TargetInfo],
) -> Arc<crate::source::ahead::ReadAhead> {
    let cwd = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut key = crate::exact::cache::Key::default();
    key.add("version", env!("CARGO_PKG_VERSION"));
    key.add("manifest", manifest);
    key.add("selection", format!("{sel:?}"));
    key.add("targets", rows.iter().map(|r| r.triple).collect::<Vec<_>>());
    let dirs = cfg_cache::target_dirs(cwd)
        .iter()
        .map(|d| crate::source::ahead::subdir(d))
        .collect();
    let name = crate::source::ahead::ReadAhead::list_name(&key.hex());
    Arc::new(crate::source::ahead::ReadAhead::start(name, dirs))
}

/// [`load`], with the files read ahead by `ahead`.
pub fn load_reading_ahead(
    manifest: &Path,
    sel: &Selection,
    rows: &[&'static TargetInfo],
    ahead: Arc<crate::source::ahead::ReadAhead>,
) -> Result<Build, Error> {
    let manifest = manifest.to_path_buf();
    let sel_m = Selection {
        manifest_path: Some(manifest.clone()),
        ..sel.clone()
    };
    let cwd = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let lock_note = (!cwd_ancestors_have_lock(&cwd) && !sel.locked && !sel.frozen)
        .then(|| "no Cargo.lock: cargo metadata creates one, as `cargo build` would".to_string());

    // cargo metadata and, per target, rustc --print cfg, in parallel; then the
    // features per target from the metadata (see `features`).
    // Made on this thread while cargo runs (one `rustc --print sysroot`), shared by the
    // target threads: it outlives the scope.
    let cache_cell = std::sync::OnceLock::new();
    std::thread::scope(|s| {
        let meta = s.spawn(|| metadata(&sel_m));
        let cache = cache_cell.get_or_init(|| cfg_cache::CfgCache::new(rustc, &cwd));
        let flags_cfg: Vec<_> = rows
            .iter()
            .map(|row| {
                let (sel_m, cwd) = (&sel_m, &cwd);
                s.spawn(move || {
                    let flags = rustflags(cwd, row.triple);
                    let profile = profile_for(&sel_m.manifest_path, sel_m)?;
                    let cfg = rustc_cfg(cwd, row.triple, &flags, &profile, cache)?;
                    Ok::<_, Error>((cfg, profile))
                })
            })
            .collect();
        let meta = meta
            .join()
            .unwrap_or_else(|_| Err(error(Some(&manifest), "cargo metadata thread failed")))?;
        let mut build = from_metadata(&meta, sel)?;
        build.read_ahead = Some(ahead);
        if let Some(n) = lock_note {
            build.notes.push(n);
        }
        let roots = feature_roots(&meta, &build);
        for (row, h) in rows.iter().zip(flags_cfg) {
            let (cfg, profile) = h.join().unwrap_or_else(|_| {
                Err(error(Some(&manifest), "rustc --print cfg thread failed"))
            })?;
            build.profile = profile;
            let features = crate::features::resolve(
                &meta,
                &crate::features::Request {
                    roots: &roots,
                    features: &sel.features,
                    all_features: sel.all_features,
                    no_default_features: sel.no_default_features,
                    tests: sel.tests,
                    triple: row.triple,
                    cfg: &cfg,
                },
            );
            build.targets.push(TargetBuild {
                row,
                cfg: Arc::new(cfg),
                features: features
                    .into_iter()
                    .map(|(k, v)| (k, Arc::new(v)))
                    .collect(),
            });
        }
        cache.store(meta.target_directory.as_std_path());
        Ok(build)
    })
}

/// The packages whose build decides the features: the selected workspace members, or,
/// when `-p` names a dependency (reported as the workspace builds it), the default
/// members.
fn feature_roots(meta: &cargo_metadata::Metadata, build: &Build) -> Vec<PkgId> {
    let members: Vec<PkgId> = build
        .selected
        .iter()
        .copied()
        .filter(|&p| build.packages[p].member)
        .collect();
    if members.len() == build.selected.len() {
        return members;
    }
    let ids = package_ids(meta);
    let mut roots = default_members(meta, &ids);
    roots.extend(members);
    roots.sort_unstable();
    roots.dedup();
    roots
}

/// The feature sets `cargo tree` shows for every package built for `triple` (the check
/// of [`crate::features`], and of `--check-features`).
pub fn cargo_tree_features(
    build: &Build,
    sel: &Selection,
    triple: &str,
) -> Result<HashMap<PkgId, Vec<BTreeSet<String>>>, Error> {
    let by_name_ver: HashMap<(String, String), PkgId> = build
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.name.clone(), p.version.clone()), i))
        .collect();
    let mut out = HashMap::new();
    for ((name, ver), f) in tree_features(sel, triple)? {
        if let Some(&id) = by_name_ver.get(&(name, ver)) {
            out.insert(id, f);
        }
    }
    Ok(out)
}

fn cwd_ancestors_have_lock(dir: &Path) -> bool {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors().any(|d| d.join("Cargo.lock").is_file())
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(mut cmd: Command, what: &str, manifest: Option<&Path>) -> Result<String, Error> {
    let out = cmd.output().map_err(|e| {
        let prog = cmd.get_program().to_string_lossy().into_owned();
        error(manifest, format!("cannot run `{prog}` for {what}: {e}"))
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("Downloaded"))
            .take(6)
            .collect();
        return Err(error(
            manifest,
            format!("{what} failed ({}): {}", out.status, first.join("\n  ")),
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| error(manifest, format!("{what}: output is not UTF-8")))
}

fn metadata(sel: &Selection) -> Result<cargo_metadata::Metadata, Error> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--format-version", "1"]);
    if let Some(m) = &sel.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    if !sel.features.is_empty() {
        cmd.args(["--features", &sel.features.join(",")]);
    }
    if sel.all_features {
        cmd.arg("--all-features");
    }
    if sel.no_default_features {
        cmd.arg("--no-default-features");
    }
    cmd.args(sel.lock_args());
    let text = run(cmd, "`cargo metadata`", sel.manifest_path.as_deref())?;
    cargo_metadata::MetadataCommand::parse(&text).map_err(|e| {
        error(
            sel.manifest_path.as_deref(),
            format!("cannot read `cargo metadata` output: {e}"),
        )
    })
}

fn crate_kind(t: &cargo_metadata::Target) -> CrateKind {
    use cargo_metadata::TargetKind as K;
    if t.kind.iter().any(|k| matches!(k, K::ProcMacro)) {
        CrateKind::ProcMacro
    } else if t
        .kind
        .iter()
        .any(|k| matches!(k, K::Lib | K::RLib | K::DyLib | K::StaticLib | K::CDyLib))
    {
        CrateKind::Lib
    } else if t.kind.iter().any(|k| matches!(k, K::Bin)) {
        CrateKind::Bin
    } else {
        CrateKind::Other
    }
}

/// Each package id of the metadata with its index ([`PkgId`]).
pub fn package_ids(meta: &cargo_metadata::Metadata) -> HashMap<&cargo_metadata::PackageId, PkgId> {
    meta.packages
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.id, i))
        .collect()
}

fn from_metadata(meta: &cargo_metadata::Metadata, sel: &Selection) -> Result<Build, Error> {
    use cargo_metadata::DependencyKind;
    let ids = package_ids(meta);
    let members: BTreeSet<&cargo_metadata::PackageId> = meta.workspace_members.iter().collect();
    let mut packages: Vec<Package> = meta
        .packages
        .iter()
        .map(|p| {
            let mut targets: Vec<CrateTarget> = p
                .targets
                .iter()
                .filter(|t| {
                    !t.kind
                        .iter()
                        .any(|k| matches!(k, cargo_metadata::TargetKind::CustomBuild))
                })
                .map(|t| CrateTarget {
                    name: t.name.clone(),
                    kind: crate_kind(t),
                    src_path: t.src_path.clone().into_std_path_buf(),
                    edition: t.edition.as_str().to_string(),
                })
                .filter(|t| sel.tests || t.kind != CrateKind::Other)
                .collect();
            targets.sort_by_key(|t| !matches!(t.kind, CrateKind::Lib | CrateKind::ProcMacro));
            Package {
                name: p.name.to_string(),
                version: p.version.to_string(),
                manifest_path: p.manifest_path.clone().into_std_path_buf(),
                member: members.contains(&p.id),
                build_script: p
                    .targets
                    .iter()
                    .find(|t| {
                        t.kind
                            .iter()
                            .any(|k| matches!(k, cargo_metadata::TargetKind::CustomBuild))
                    })
                    .map(|t| t.src_path.clone().into_std_path_buf()),
                targets,
                deps: Vec::new(),
                metadata: p.metadata.clone(),
            }
        })
        .collect();
    if let Some(resolve) = &meta.resolve {
        for node in &resolve.nodes {
            let Some(&from) = ids.get(&node.id) else {
                continue;
            };
            for d in &node.deps {
                let Some(&to) = ids.get(&d.pkg) else { continue };
                let platforms: Vec<Option<String>> = d
                    .dep_kinds
                    .iter()
                    .filter(|k| {
                        k.kind == DependencyKind::Normal
                            || (sel.tests && k.kind == DependencyKind::Development)
                    })
                    .map(|k| k.target.as_ref().map(|p| p.to_string()))
                    .collect();
                if platforms.is_empty() {
                    continue;
                }
                packages[from].deps.push(Dep {
                    extern_name: d.name.replace('-', "_"),
                    package: to,
                    platforms,
                });
            }
        }
    }
    let selected = select(meta, &ids, sel)?;
    Ok(Build {
        workspace_root: meta.workspace_root.clone().into_std_path_buf(),
        packages,
        selected,
        profile: Profile {
            name: sel.profile_name().to_string(),
            debug_assertions: !sel.release,
            overflow_checks: !sel.release,
            panic_abort: false,
        },
        targets: Vec::new(),
        workspace_metadata: meta.workspace_metadata.clone(),
        notes: Vec::new(),
        read_whole: false,
        target_dir: Some(meta.target_directory.clone().into_std_path_buf()),
        read_ahead: None,
    })
}

/// The packages `-p`, `--workspace`/`--exclude` or the default members select, as
/// `cargo build` would.
fn select(
    meta: &cargo_metadata::Metadata,
    ids: &HashMap<&cargo_metadata::PackageId, PkgId>,
    sel: &Selection,
) -> Result<Vec<PkgId>, Error> {
    let members: Vec<&cargo_metadata::Package> = meta.workspace_packages();
    let mut out: Vec<PkgId> = Vec::new();
    if !sel.packages.is_empty() {
        for name in &sel.packages {
            let found: Vec<&cargo_metadata::Package> = meta
                .packages
                .iter()
                .filter(|p| p.name.as_str() == name || format!("{}@{}", p.name, p.version) == *name)
                .collect();
            match found.as_slice() {
                [] => {
                    return Err(error(
                        sel.manifest_path.as_deref(),
                        format!("package `{name}` is not in this build (see `cargo metadata`)"),
                    ));
                }
                [p] => out.push(ids[&p.id]),
                many => {
                    let vs: Vec<String> = many.iter().map(|p| p.version.to_string()).collect();
                    return Err(error(
                        sel.manifest_path.as_deref(),
                        format!(
                            "package `{name}` is ambiguous: versions {}; say `-p {name}@VERSION`",
                            vs.join(", ")
                        ),
                    ));
                }
            }
        }
    } else if sel.workspace || !sel.exclude.is_empty() {
        for p in &members {
            if !sel.exclude.iter().any(|e| e == p.name.as_str()) {
                out.push(ids[&p.id]);
            }
        }
    } else {
        out = default_members(meta, ids);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// cargo's `workspace.default-members`, else every member at a virtual root, else the
/// root package.
fn default_members(
    meta: &cargo_metadata::Metadata,
    ids: &HashMap<&cargo_metadata::PackageId, PkgId>,
) -> Vec<PkgId> {
    let defaults: Vec<&cargo_metadata::PackageId> = if meta.workspace_default_members.is_available()
    {
        meta.workspace_default_members.iter().collect()
    } else {
        meta.workspace_members.iter().collect()
    };
    defaults
        .into_iter()
        .filter_map(|id| ids.get(id).copied())
        .collect()
}

/// Feature sets per package (name, version), as `cargo tree` shows them.
pub type TreeFeatures = BTreeMap<(String, String), Vec<BTreeSet<String>>>;

/// `cargo tree` feature sets per (name, version) for one target.
fn tree_features(sel: &Selection, triple: &str) -> Result<TreeFeatures, Error> {
    let mut cmd = cargo();
    cmd.arg("tree");
    cmd.args(sel.cargo_args());
    cmd.args([
        "-e",
        if sel.tests { "normal,dev" } else { "normal" },
        "--target",
        triple,
        "-f",
        "{p}|{f}",
        "--prefix",
        "depth",
        "--charset",
        "ascii",
    ]);
    let text = run(
        cmd,
        &format!("`cargo tree --target {triple}`"),
        sel.manifest_path.as_deref(),
    )?;
    Ok(parse_tree(&text))
}

/// Parses `cargo tree --prefix depth -f '{p}|{f}'`: the distinct feature sets each
/// package is shown with (a package both built for the target and a host dependency of
/// a root is printed once for each); subtrees under proc-macro packages (built for the
/// host) are left out.
pub fn parse_tree(text: &str) -> TreeFeatures {
    let mut out = TreeFeatures::new();
    let mut skip_below: Option<usize> = None;
    for line in text.lines() {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(depth) = line[..digits].parse::<usize>() else {
            continue;
        };
        if let Some(d) = skip_below {
            if depth > d {
                continue;
            }
            skip_below = None;
        }
        let rest = &line[digits..];
        let (p, f) = rest.split_once('|').unwrap_or((rest, ""));
        let mut words = p.split_whitespace();
        let (Some(name), Some(ver)) = (words.next(), words.next()) else {
            continue;
        };
        if p.contains("(proc-macro)") {
            skip_below = Some(depth);
            continue;
        }
        let ver = ver.trim_start_matches('v').to_string();
        let sets = out.entry((name.to_string(), ver)).or_default();
        let f = f.trim().trim_end_matches("(*)").trim();
        let set: BTreeSet<String> = f
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !sets.contains(&set) {
            sets.push(set);
        }
    }
    out
}

/// The profile's settings from the workspace root manifest (`[profile.NAME]`, with
/// `inherits`) and `CARGO_PROFILE_<NAME>_*` variables; cargo's defaults otherwise.
fn profile_for(manifest: &Option<PathBuf>, sel: &Selection) -> Result<Profile, Error> {
    let name = sel.profile_name().to_string();
    let root = manifest
        .as_deref()
        .and_then(workspace_root_manifest)
        .unwrap_or_default();
    let table: toml::Table = match std::fs::read_to_string(&root) {
        Ok(t) => t
            .parse()
            .map_err(|e| error(Some(&root), format!("cannot parse the manifest: {e}")))?,
        Err(_) => toml::Table::new(),
    };
    let profiles = table.get("profile").and_then(|p| p.as_table());
    let mut chain = vec![name.clone()];
    while let Some(parent) = profiles
        .and_then(|p| p.get(chain.last().map(String::as_str).unwrap_or("")))
        .and_then(|p| p.get("inherits"))
        .and_then(|v| v.as_str())
    {
        if chain.iter().any(|c| c == parent) || chain.len() > 16 {
            break;
        }
        chain.push(parent.to_string());
    }
    let base_release = chain.iter().any(|c| c == "release" || c == "bench");
    let mut p = Profile {
        name: name.clone(),
        debug_assertions: !base_release,
        overflow_checks: !base_release,
        panic_abort: false,
    };
    // The nearest profile in the chain wins: apply from the base up.
    for c in chain.iter().rev() {
        let Some(t) = profiles.and_then(|p| p.get(c)).and_then(|v| v.as_table()) else {
            continue;
        };
        if let Some(v) = t.get("debug-assertions").and_then(|v| v.as_bool()) {
            p.debug_assertions = v;
        }
        if let Some(v) = t.get("overflow-checks").and_then(|v| v.as_bool()) {
            p.overflow_checks = v;
        }
        if let Some(v) = t.get("panic").and_then(|v| v.as_str()) {
            p.panic_abort = v == "abort";
        }
    }
    let env = |key: &str| {
        std::env::var(format!(
            "CARGO_PROFILE_{}_{key}",
            name.to_uppercase().replace('-', "_")
        ))
        .ok()
    };
    if let Some(v) = env("DEBUG_ASSERTIONS") {
        p.debug_assertions = v == "true";
    }
    if let Some(v) = env("OVERFLOW_CHECKS") {
        p.overflow_checks = v == "true";
    }
    if let Some(v) = env("PANIC") {
        p.panic_abort = v == "abort";
    }
    Ok(p)
}

/// The manifest of the workspace root above (or at) `manifest`: the nearest one with a
/// `[workspace]` table, else `manifest` itself.
fn workspace_root_manifest(manifest: &Path) -> Option<PathBuf> {
    let manifest = std::fs::canonicalize(manifest).ok()?;
    for dir in manifest.parent()?.ancestors() {
        let m = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&m)
            && text
                .parse::<toml::Table>()
                .is_ok_and(|t| t.contains_key("workspace"))
        {
            return Some(m);
        }
    }
    Some(manifest)
}

/// The rustflags cargo would pass for `triple`: `CARGO_ENCODED_RUSTFLAGS`, else
/// `RUSTFLAGS`, else `target.<triple>.rustflags` and matching `target.'cfg(..)'.rustflags`
/// from the config files, else `CARGO_BUILD_RUSTFLAGS`/`build.rustflags`.
pub fn rustflags(cwd: &Path, triple: &str) -> Vec<String> {
    if let Ok(v) = std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        return v
            .split('\u{1f}')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    if let Ok(v) = std::env::var("RUSTFLAGS") {
        return v.split_whitespace().map(str::to_string).collect();
    }
    let configs = config_tables(cwd);
    let mut target_flags = Vec::new();
    let base_cfg = std::sync::OnceLock::new();
    for t in &configs {
        let Some(targets) = t.get("target").and_then(|v| v.as_table()) else {
            continue;
        };
        for (key, v) in targets {
            let applies = if key == triple {
                true
            } else if let Some(pred) = key.strip_prefix("cfg(").and_then(|k| k.strip_suffix(')')) {
                let cfg =
                    base_cfg.get_or_init(|| rustc_print_cfg(cwd, triple, &[]).unwrap_or_default());
                cfg_holds(pred, cfg)
            } else {
                false
            };
            if applies {
                target_flags.extend(flag_list(v.get("rustflags")));
            }
        }
    }
    if !target_flags.is_empty() {
        return target_flags;
    }
    if let Ok(v) = std::env::var("CARGO_BUILD_RUSTFLAGS") {
        return v.split_whitespace().map(str::to_string).collect();
    }
    configs
        .iter()
        .flat_map(|t| flag_list(t.get("build").and_then(|b| b.get("rustflags"))))
        .collect()
}

fn flag_list(v: Option<&toml::Value>) -> Vec<String> {
    match v {
        Some(toml::Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Cargo's config files, nearest first: `.cargo/config.toml` (or `.cargo/config`) in
/// `cwd` and its ancestors, then `$CARGO_HOME/config.toml`.
fn config_tables(cwd: &Path) -> Vec<toml::Table> {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let mut files: Vec<PathBuf> = cwd
        .ancestors()
        .flat_map(|d| [d.join(".cargo/config.toml"), d.join(".cargo/config")])
        .collect();
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(h) = home {
        files.push(h.join("config.toml"));
        files.push(h.join("config"));
    }
    let mut seen = BTreeSet::new();
    files
        .into_iter()
        .filter(|f| f.is_file() && seen.insert(f.clone()))
        .filter_map(|f| std::fs::read_to_string(f).ok()?.parse::<toml::Table>().ok())
        .collect()
}

fn rustc() -> Command {
    Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
}

fn rustc_print_cfg(cwd: &Path, triple: &str, flags: &[String]) -> Result<RustcCfg, Error> {
    rustc_print_cfg_text(cwd, triple, flags).map(|t| RustcCfg::parse(&t))
}

fn rustc_print_cfg_text(cwd: &Path, triple: &str, flags: &[String]) -> Result<String, Error> {
    let mut cmd = rustc();
    cmd.current_dir(cwd)
        .args(["--print", "cfg", "--target", triple])
        .args(flags);
    run(cmd, &format!("`rustc --print cfg --target {triple}`"), None)
}

/// The target's cfg set for this build: rustflags, then the profile's switches (cargo
/// passes `-C debug-assertions`/`-C panic` after the user's flags, so they win).
fn rustc_cfg(
    cwd: &Path,
    triple: &str,
    flags: &[String],
    p: &Profile,
    cache: &cfg_cache::CfgCache,
) -> Result<RustcCfg, Error> {
    let mut all = flags.to_vec();
    all.push(format!(
        "-Cdebug-assertions={}",
        if p.debug_assertions { "on" } else { "off" }
    ));
    all.push(format!(
        "-Coverflow-checks={}",
        if p.overflow_checks { "on" } else { "off" }
    ));
    if p.panic_abort {
        all.push("-Cpanic=abort".into());
    }
    let key = cache.key(triple, &all);
    if let Some(text) = key.as_deref().and_then(|k| cache.get(k)) {
        return Ok(RustcCfg::parse(&text));
    }
    let text = rustc_print_cfg_text(cwd, triple, &all)?;
    if let Some(k) = key {
        cache.put(k, text.clone());
    }
    Ok(RustcCfg::parse(&text))
}

/// A cfg predicate against a rustc cfg set alone (for `[target.'cfg(..)']` keys and
/// platform-specific dependencies): anything rustc did not print is false.
pub fn cfg_holds(pred: &str, cfg: &RustcCfg) -> bool {
    let Ok(expr) = cfg_expr::Expression::parse(pred) else {
        return false;
    };
    expr.eval(|p| eval_rustc(p, cfg).unwrap_or(false))
}

/// One predicate against rustc's set: `Some` for what the set decides (every `target_*`
/// key, `unix`/`windows`, `debug_assertions`, `panic`, `--cfg` names), `None` for what it
/// cannot (`feature`, a custom name it did not print).
pub fn eval_rustc(p: &cfg_expr::Predicate<'_>, cfg: &RustcCfg) -> Option<bool> {
    use cfg_expr::Predicate as P;
    use cfg_expr::TargetPredicate as T;
    Some(match p {
        P::Target(tp) => {
            let (key, value): (&str, String) = match tp {
                T::Abi(a) => ("target_abi", a.as_str().to_string()),
                T::Arch(a) => ("target_arch", a.as_str().to_string()),
                T::Endian(e) => (
                    "target_endian",
                    match e {
                        cfg_expr::targets::Endian::little => "little".to_string(),
                        cfg_expr::targets::Endian::big => "big".to_string(),
                    },
                ),
                T::Env(e) => ("target_env", e.as_str().to_string()),
                T::Family(f) => {
                    let f = f.as_str();
                    if !cfg.keys.contains("target_family") && (f == "unix" || f == "windows") {
                        return Some(cfg.names.contains(f));
                    }
                    ("target_family", f.to_string())
                }
                T::HasAtomic(h) => ("target_has_atomic", format!("{h}")),
                T::Os(o) => ("target_os", o.as_str().to_string()),
                T::Panic(pn) => ("panic", pn.as_str().to_string()),
                T::PointerWidth(w) => ("target_pointer_width", format!("{w}")),
                T::Vendor(v) => ("target_vendor", v.as_str().to_string()),
            };
            cfg.has(key, &value)
        }
        P::TargetFeature(f) => cfg.has("target_feature", f),
        P::DebugAssertions => cfg.names.contains("debug_assertions"),
        P::ProcMacro => return None,
        P::Feature(_) => return None,
        P::Test => false,
        P::Flag(f) => {
            if cfg.names.contains(*f) || *f == "true" {
                true
            } else if matches!(
                *f,
                "false" | "unix" | "windows" | "doc" | "doctest" | "miri"
            ) {
                false
            } else {
                return None;
            }
        }
        P::KeyValue { key, val } => {
            if cfg.keys.contains(*key) || key.starts_with("target_") {
                cfg.has(key, val)
            } else {
                return None;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_features_skip_proc_macro_subtrees_and_keep_distinct_sets() {
        let text = "0app v0.1.0 (/w/app)|default,fast\n\
                    1tokio v1.48.0|default,full,rt\n\
                    2tokio-macros v2.5.0 (proc-macro)|\n\
                    3syn v2.0.1|full\n\
                    3quote v1.0.0|\n\
                    2bytes v1.9.0|std\n\
                    1bytes v1.9.0|std (*)\n";
        let t = parse_tree(text);
        assert_eq!(
            t[&("tokio".into(), "1.48.0".into())],
            [["default", "full", "rt"].map(String::from).into()]
        );
        assert!(!t.contains_key(&("syn".into(), "2.0.1".into())), "{t:?}");
        assert!(!t.contains_key(&("tokio-macros".into(), "2.5.0".into())));
        // A repeated node (`(*)`) is one set; the same package with other features (a
        // root printed for the host and for the target) is another.
        assert_eq!(t[&("bytes".into(), "1.9.0".into())].len(), 1);
        assert_eq!(t[&("app".into(), "0.1.0".into())][0].len(), 2);
        let twice = parse_tree("0s v1.0.0|a,b\n0s v1.0.0|a\n1t v1.0.0|\n");
        assert_eq!(twice[&("s".into(), "1.0.0".into())].len(), 2);
    }

    #[test]
    fn rustc_cfg_decides_target_predicates_and_leaves_features_open() {
        let cfg = RustcCfg::parse(
            "debug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\ntarget_feature=\"sse2\"\n\
             target_family=\"unix\"\ntarget_os=\"linux\"\nunix\ntokio_unstable\n",
        );
        assert!(cfg_holds(r#"all(unix, target_arch = "x86_64")"#, &cfg));
        assert!(cfg_holds(r#"target_feature = "sse2""#, &cfg));
        assert!(!cfg_holds(r#"target_feature = "avx2""#, &cfg));
        assert!(cfg_holds("debug_assertions", &cfg));
        assert!(cfg_holds("tokio_unstable", &cfg));
        assert!(!cfg_holds("windows", &cfg));
        let feature = cfg_expr::Expression::parse(r#"feature = "std""#).unwrap();
        let mut seen = None;
        feature.eval(|p| {
            seen = Some(eval_rustc(p, &cfg));
            false
        });
        assert_eq!(seen, Some(None), "features are not rustc's to decide");
    }

    #[test]
    fn selection_passes_cargo_flags_through() {
        let sel = Selection {
            packages: vec!["a".into(), "b".into()],
            features: vec!["x".into(), "y z".into()],
            no_default_features: true,
            locked: true,
            ..Selection::default()
        };
        assert_eq!(
            sel.cargo_args(),
            [
                "-p",
                "a",
                "-p",
                "b",
                "--features",
                "x,y z",
                "--no-default-features",
                "--locked"
            ]
        );
        assert_eq!(sel.profile_name(), "dev");
        let rel = Selection {
            release: true,
            ..Selection::default()
        };
        assert_eq!(rel.profile_name(), "release");
    }
}
