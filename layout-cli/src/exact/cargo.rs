//! Running cargo: metadata, the shadow copies, one `cargo check` per target, and
//! reading the outcome back.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::outcome::{cargo_error, classify, collect};
use super::probe::{self, Probe};
use super::scan::{self, Decl};
use super::wrapper::{PLAN_ENV, Plan};
use super::{Failure, MODEL_CHECKED_ON, Outcome, Request, TargetError, TargetOutcome, cache};

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn rustc_bin() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// The flags of `cargo_args` that `cargo metadata` and `cargo clean` take too.
fn shared_flags(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if matches!(a.as_str(), "--offline" | "--frozen" | "--locked") {
            out.push(a.clone());
        } else if a == "--config" || a == "-Z" {
            out.push(a.clone());
            if let Some(v) = args.get(i + 1) {
                out.push(v.clone());
            }
            i += 1;
        } else if a.starts_with("--config=") {
            out.push(a.clone());
        }
        i += 1;
    }
    out
}

/// One package of `cargo metadata`.
#[derive(Debug)]
pub(super) struct Package {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) manifest: PathBuf,
    /// lib and bin crate roots (what `cargo check` checks by default).
    pub(super) roots: Vec<PathBuf>,
}

#[derive(Debug)]
struct Metadata {
    root: PathBuf,
    target_dir: PathBuf,
    packages: Vec<Package>,
    default_members: Vec<String>,
    /// Some packages asked for with `-p` are not workspace members (a path or registry
    /// dependency): they are in `packages` too, and cargo must run the wrapper for
    /// every crate (`RUSTC_WRAPPER`), as `RUSTC_WORKSPACE_WRAPPER` reaches members only.
    non_members: bool,
}

/// The workspace's packages, plus any package `-p` names that is not a member (found
/// in the whole resolve graph).
fn metadata(req: &Request) -> Result<Metadata, String> {
    let mut md = metadata_of(req, true)?;
    let specs = package_specs(&req.cargo_args);
    let missing: Vec<String> = specs
        .into_iter()
        .filter(|n| !md.packages.iter().any(|p| p.name == *n))
        .collect();
    if !missing.is_empty() {
        let all = metadata_of(req, false)?;
        let extra: Vec<Package> = all
            .packages
            .into_iter()
            .filter(|p| missing.contains(&p.name))
            .collect();
        md.non_members = !extra.is_empty();
        md.packages.extend(extra);
    }
    Ok(md)
}

/// The package names of `-p`/`--package` (version suffixes dropped).
fn package_specs(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let v = if a == "-p" || a == "--package" {
            i += 1;
            args.get(i).cloned()
        } else {
            a.strip_prefix("--package=")
                .or_else(|| a.strip_prefix("-p").filter(|v| !v.is_empty()))
                .map(str::to_string)
        };
        if let Some(v) = v {
            out.push(v.split('@').next().unwrap_or(&v).to_string());
        }
        i += 1;
    }
    out
}

fn metadata_of(req: &Request, no_deps: bool) -> Result<Metadata, String> {
    let mut cmd = Command::new(cargo_bin());
    cmd.args(["metadata", "--format-version", "1"]);
    if no_deps {
        cmd.arg("--no-deps");
    }
    if let Some(m) = &req.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    cmd.args(shared_flags(&req.cargo_args));
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            first_error(&String::from_utf8_lossy(&out.stderr))
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cargo metadata printed something unexpected: {e}"))?;
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut packages = Vec::new();
    for p in v
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut roots = Vec::new();
        for t in p
            .get("targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kinds: Vec<&str> = t
                .get("kind")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let checked = kinds.iter().any(|k| {
                matches!(
                    *k,
                    "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" | "bin"
                )
            });
            if checked {
                roots.push(PathBuf::from(s(t, "src_path")));
            }
        }
        packages.push(Package {
            id: s(p, "id"),
            name: s(p, "name"),
            manifest: PathBuf::from(s(p, "manifest_path")),
            roots,
        });
    }
    let ids = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let mut default_members = ids("workspace_default_members");
    if default_members.is_empty() {
        default_members = ids("workspace_members");
    }
    Ok(Metadata {
        root: PathBuf::from(s(&v, "workspace_root")),
        target_dir: PathBuf::from(s(&v, "target_directory")),
        packages,
        default_members,
        non_members: false,
    })
}

/// The packages `cargo check` with `args` checks, as cargo picks them.
fn select<'m>(md: &'m Metadata, req: &Request) -> Vec<&'m Package> {
    let args = &req.cargo_args;
    let mut specs = Vec::new();
    let mut exclude = Vec::new();
    let mut workspace = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let value = |i: usize| args.get(i + 1).cloned().unwrap_or_default();
        match a {
            "-p" | "--package" => {
                specs.push(value(i));
                i += 1;
            }
            "--exclude" => {
                exclude.push(value(i));
                i += 1;
            }
            "--workspace" | "--all" => workspace = true,
            _ => {
                if let Some(v) = a.strip_prefix("--package=") {
                    specs.push(v.to_string());
                } else if let Some(v) = a.strip_prefix("--exclude=") {
                    exclude.push(v.to_string());
                } else if let Some(v) = a.strip_prefix("-p").filter(|v| !v.is_empty()) {
                    specs.push(v.to_string());
                }
            }
        }
        i += 1;
    }
    let name_of = |spec: &str| spec.split('@').next().unwrap_or(spec).to_string();
    if !specs.is_empty() {
        let names: Vec<String> = specs.iter().map(|s| name_of(s)).collect();
        return md
            .packages
            .iter()
            .filter(|p| names.contains(&p.name))
            .collect();
    }
    if workspace {
        return md
            .packages
            .iter()
            .filter(|p| !exclude.iter().any(|e| name_of(e) == p.name))
            .collect();
    }
    let manifest = req
        .manifest_path
        .clone()
        .or_else(|| locate_project().ok())
        .and_then(|m| m.canonicalize().ok());
    if let Some(m) = manifest
        && let Some(p) = md
            .packages
            .iter()
            .find(|p| p.manifest.canonicalize().ok().as_ref() == Some(&m))
    {
        return vec![p];
    }
    md.packages
        .iter()
        .filter(|p| md.default_members.contains(&p.id))
        .collect()
}

fn locate_project() -> Result<PathBuf, String> {
    let out = Command::new(cargo_bin())
        .args(["locate-project", "--message-format", "plain"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

pub(super) fn first_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("(no message)")
        .trim()
        .to_string()
}

/// See [`super::check_target`].
pub fn check_target(triple: &str) -> Option<TargetError> {
    let err = |kind, message| {
        Some(TargetError {
            kind,
            message,
            file: None,
            line: None,
            column: None,
        })
    };
    if triple.ends_with(".json") {
        return None;
    }
    let list = Command::new(rustc_bin())
        .args(["--print", "target-list"])
        .output()
        .ok()?;
    let list = String::from_utf8_lossy(&list.stdout);
    if !list.lines().any(|l| l.trim() == triple) {
        return err(
            Failure::UnknownTarget,
            format!(
                "rustc does not know the target `{triple}` (`rustc --print target-list` lists those it does)"
            ),
        );
    }
    let dir = Command::new(rustc_bin())
        .args(["--print", "target-libdir", "--target", triple])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&dir.stdout).trim());
    let has_core = std::fs::read_dir(&dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
    });
    if has_core {
        None
    } else {
        err(
            Failure::MissingStd,
            format!(
                "the standard library for `{triple}` is not installed, so rustc cannot check it: run `rustup target add {triple}`"
            ),
        )
    }
}

/// One package's probes: its decls, its shadow root and the probes by shadow file.
pub(super) struct Shadowed<'m> {
    pub(super) pkg: &'m Package,
    pub(super) dir: PathBuf,
    pub(super) shadow: PathBuf,
    pub(super) decls: BTreeMap<PathBuf, Vec<Decl>>,
    /// rel file -> probes placed in it.
    pub(super) probes: BTreeMap<PathBuf, Vec<Probe>>,
}

/// The generic struct of an instance entry of the request, as its file declares it.
#[derive(Debug)]
pub(super) struct Generic {
    /// The declaring file, as the request spells it.
    pub(super) file: PathBuf,
    /// That file, canonical.
    pub(super) canon: PathBuf,
    /// The declaration.
    pub(super) decl: Decl,
    /// Where and how the entry is named.
    pub(super) named: super::Named,
}

/// The file index (in this package) and byte offset where an impl for `g`'s generic
/// struct may go: the struct must be declared in the package, and not inside a macro
/// other than one [`impl_at`] accepts. A type or trait
/// an impl header names that does not exist stops rustc before any probe is answered,
/// and a macro may drop or cfg its struct in ways the tokens do not show; a plain item
/// exists exactly when its cfgs (which the impl carries) hold.
fn helpers_in(
    g: &Generic,
    by_canon: &HashMap<PathBuf, usize>,
    items: &HashSet<String>,
) -> Option<(usize, usize)> {
    let at = impl_at(&g.decl, items)?;
    Some((*by_canon.get(&g.canon)?, at))
}

/// Where an impl for `d` may go ([`helpers_in`]): after it, or, declared in a macro
/// that passes its items through (`cfg_if!`, or one of `items`, the package's
/// macros whose first rule takes items only), after it inside the invocation, where the
/// macro emits the impl exactly when it emits the struct.
fn impl_at(d: &Decl, items: &HashSet<String>) -> Option<usize> {
    if !d.in_macro {
        return Some(d.insert_at);
    }
    let (at, name) = d.inner_at.as_ref()?;
    (name == "cfg_if" || items.contains(name)).then_some(*at)
}

/// Where an instance entry's probes go: (file index, byte offset, cfgs, the type there).
type Place = (usize, usize, Vec<String>, String);

/// The projections of implied instance entries through the ones implying them.
#[derive(Default)]
struct Via {
    /// Per entry, its places through the one implying it (memoised; `None`: none).
    memo: HashMap<usize, Option<Vec<Place>>>,
    /// (entry, its field type path in the definition, the entry implying it): a trait
    /// to declare and implement.
    impls: Vec<(usize, String, usize)>,
}

impl Via {
    /// The places of entry `k` through the one implying it: that one's places (its own
    /// or, when implied too, its projections), the type projected. `None` when `k` is
    /// not implied, the one implying it is not one entry of this package, or the path
    /// is not found.
    #[allow(clippy::too_many_arguments)]
    fn places(
        &mut self,
        k: usize,
        generics: &[Option<Generic>],
        named_files: &[Option<PathBuf>],
        by_canon: &HashMap<PathBuf, usize>,
        items: &HashSet<String>,
        sources: &[(PathBuf, String)],
        direct: &BTreeMap<usize, Vec<Place>>,
        depth: usize,
    ) -> Option<Vec<Place>> {
        if let Some(m) = self.memo.get(&k) {
            return m.clone();
        }
        let got = (|| {
            let g = generics[k].as_ref()?;
            let via = g.named.via.as_ref()?;
            if depth > 16 {
                return None;
            }
            let file = named_files[k].as_ref()?;
            // The one implying it: its text, and its generic struct's definition names
            // this one. Two such (one text, two meanings) is no answer.
            let mut parents = generics.iter().enumerate().filter(|(_, p)| {
                p.as_ref()
                    .is_some_and(|p| p.named.text == *via && p.canon == *file)
            });
            let (j, _) = parents.next()?;
            if parents.next().is_some()
                || helpers_in(generics[j].as_ref()?, by_canon, items).is_none()
            {
                return None;
            }
            let fi = *by_canon.get(file)?;
            let path = scan::path_at(&sources[fi].1, g.named.line, g.named.column)?;
            let outer = match self.places(
                j,
                generics,
                named_files,
                by_canon,
                items,
                sources,
                direct,
                depth + 1,
            ) {
                Some(p) => p,
                None => direct.get(&j)?.clone(),
            };
            if outer.is_empty() {
                return None;
            }
            self.impls.push((k, path, j));
            Some(
                outer
                    .into_iter()
                    .map(|(f, at, cfgs, ty)| (f, at, cfgs, probe::via_type(&ty, k)))
                    .collect(),
            )
        })();
        self.memo.insert(k, got.clone());
        got
    }
}

/// Per instantiation of the request: for an instance entry whose generic struct is
/// found where the report puts it, that struct; `None` for the others.
fn generics(req: &Request) -> Vec<Option<Generic>> {
    let mut scanned: HashMap<PathBuf, Vec<Decl>> = HashMap::new();
    req.instantiations
        .iter()
        .map(|i| {
            let named = i.named.clone()?;
            let canon = i.file.canonicalize().ok()?;
            let ds = scanned.entry(canon.clone()).or_insert_with(|| {
                std::fs::read_to_string(&canon)
                    .map(|t| scan::scan_file(Path::new(""), &t))
                    .unwrap_or_default()
            });
            let decl = ds
                .iter()
                .find(|d| d.line == i.line && d.name == i.name && !d.ambiguous)?
                .clone();
            Some(Generic {
                file: i.file.clone(),
                canon,
                decl,
                named,
            })
        })
        .collect()
}

pub fn run(req: &Request) -> Outcome {
    let mut o = Outcome::default();
    let vv = Command::new(rustc_bin())
        .arg("-vV")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    o.rustc_release = vv
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .unwrap_or("unknown")
        .to_string();
    if !o.rustc_release.starts_with(MODEL_CHECKED_ON) {
        o.toolchain_note = Some(format!(
            "rustc {} gave these numbers; the static model was checked on rustc {MODEL_CHECKED_ON}",
            o.rustc_release
        ));
    }
    let md = match metadata(req) {
        Ok(m) => m,
        Err(e) => {
            o.errors.push(e);
            return o;
        }
    };
    o.workspace_root = md.root.clone();
    let lock = md.root.join("Cargo.lock");
    if !lock.is_file() {
        o.errors.push(format!(
            "no Cargo.lock in {}: `--exact` runs cargo, which would write one, and layout-cli never writes your files; run `cargo generate-lockfile` once",
            md.root.display()
        ));
        return o;
    }
    let selected = select(&md, req);
    let cache_root = req
        .cache_dir
        .clone()
        .unwrap_or_else(|| md.target_dir.join("layout-exact"));

    // The key of everything but the target.
    let mut base = cache::Key::default();
    base.add("tool", (env!("CARGO_PKG_VERSION"), cache::FORMAT));
    base.add("rustc", &vv);
    base.add("args", &req.cargo_args);
    base.add("manifest", &req.manifest_path);
    let mut flags: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            k == "RUSTFLAGS"
                || k == "CARGO_ENCODED_RUSTFLAGS"
                || k.starts_with("CARGO_BUILD_")
                || k.starts_with("CARGO_PROFILE_")
                || (k.starts_with("CARGO_TARGET_") && k != "CARGO_TARGET_DIR")
        })
        .collect();
    flags.sort();
    base.add("env", &flags);
    base.add_file(&lock);
    let mut up = Some(md.root.as_path());
    while let Some(d) = up {
        base.add_file(&d.join(".cargo/config.toml"));
        base.add_file(&d.join(".cargo/config"));
        up = d.parent();
    }
    for p in &md.packages {
        if let Some(dir) = p.manifest.parent() {
            for f in cache::input_files(dir) {
                base.add_file(&f);
            }
        }
    }
    // Instance entries with where and how they are named: their probes go there.
    let mut inst: Vec<String> = req
        .instantiations
        .iter()
        .map(|i| format!("{i:?}"))
        .collect();
    inst.sort();
    base.add("instantiations", &inst);
    base.add(
        "selected",
        selected.iter().map(|p| &p.name).collect::<Vec<_>>(),
    );

    let targets: Vec<String> = if req.targets.is_empty() {
        vec![host_triple(&vv)]
    } else {
        req.targets.clone()
    };
    let mut misses = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let mut key = cache::Key::default();
        key.add("base", base.hex());
        key.add("target", t);
        let key = key.hex();
        if let Some(mut hit) = cache::load(&cache_root.join("results"), &key) {
            hit.from_cache = true;
            hit.target = t.clone();
            o.stats.cache_hits += 1;
            o.targets.push(hit);
            continue;
        }
        if let Some(e) = check_target(t) {
            o.targets.push(TargetOutcome {
                target: t.clone(),
                error: Some(e),
                ..Default::default()
            });
            continue;
        }
        o.targets.push(TargetOutcome {
            target: t.clone(),
            ..Default::default()
        });
        misses.push((i, key));
    }
    if misses.is_empty() {
        return o;
    }

    let work = cache_root.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let generics = generics(req);
    let shadowed = match build_shadows(req, &selected, &generics, &work, &mut o) {
        Ok(s) => s,
        Err(e) => {
            o.errors.push(e);
            let _ = std::fs::remove_dir_all(&work);
            return o;
        }
    };
    let wrapper = req
        .wrapper
        .clone()
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("layout-cli"));
    for (i, key) in misses {
        let t = targets[i].clone();
        let out = check_one(
            req,
            &md,
            &shadowed,
            &generics,
            &wrapper,
            &cache_root,
            &work,
            &t,
            &mut o,
        );
        if out.error.is_none() {
            cache::store(&cache_root.join("results"), &key, &out);
        }
        o.targets[i] = out;
    }
    let _ = std::fs::remove_dir_all(&work);
    o
}

fn host_triple(vv: &str) -> String {
    vv.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or(layout::target::CURRENT.triple)
        .to_string()
}

/// Which decls to probe, with which arguments.
fn wanted(req: &Request, dir: &Path, rel: &Path, decls: &[Decl]) -> Vec<(usize, String)> {
    let abs = dir.join(rel);
    let canon = abs.canonicalize().ok();
    let mut out = Vec::new();
    for (i, d) in decls.iter().enumerate() {
        if d.ambiguous {
            continue;
        }
        if let Some(args) = probe::lifetime_args(d) {
            out.push((i, args));
            continue;
        }
        for inst in req.instantiations.iter().filter(|i| i.named.is_none()) {
            let same_file =
                inst.file == abs || (canon.is_some() && inst.file.canonicalize().ok() == canon);
            if same_file && inst.line == d.line && inst.name == d.name {
                out.push((i, inst.args.clone()));
            }
        }
    }
    out
}

fn build_shadows<'m>(
    req: &Request,
    selected: &[&'m Package],
    generics: &[Option<Generic>],
    work: &Path,
    o: &mut Outcome,
) -> Result<Vec<Shadowed<'m>>, String> {
    let mut next_id = 1;
    let mut out = Vec::new();
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let named_files: Vec<Option<PathBuf>> = generics
        .iter()
        .map(|g| g.as_ref().map(|g| canon(&g.named.file)))
        .collect();
    for (n, pkg) in selected.iter().enumerate() {
        let Some(dir) = pkg.manifest.parent().map(Path::to_path_buf) else {
            continue;
        };
        let shadow = work.join("shadow").join(format!("{n}-{}", pkg.name));
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        for r in &pkg.roots {
            if let Some(d) = r.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        let mut files = BTreeSet::new();
        for d in &dirs {
            files.extend(scan::rust_files(d));
        }
        let mut sources: Vec<(PathBuf, String)> = Vec::new();
        let mut by_canon: HashMap<PathBuf, usize> = HashMap::new();
        for f in files {
            let Ok(rel) = f.strip_prefix(&dir).map(Path::to_path_buf) else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            by_canon.insert(canon(&f), sources.len());
            sources.push((rel, text));
        }
        // The instance entries named in this package: their probes where they are named
        // (a crate root for a listed one), and the helpers' impl after each generic
        // struct of the package that one of them is of.
        let mut extra: BTreeMap<usize, Vec<probe::Insert>> = BTreeMap::new();
        // (file, line, name) of a generic struct -> (where its impl goes, the impl).
        let mut helpers: BTreeMap<(usize, usize, String), (usize, String)> = BTreeMap::new();
        let items: HashSet<String> = sources
            .iter()
            .filter(|(_, t)| t.contains("macro_rules"))
            .flat_map(|(_, t)| scan::item_macros(t))
            .collect();
        let mut containers: HashMap<usize, Vec<scan::Container>> = HashMap::new();
        let manifest = canon(&pkg.manifest);
        let roots: Vec<usize> = pkg
            .roots
            .iter()
            .filter_map(|r| by_canon.get(&canon(r)).copied())
            .collect();
        // Per instantiation named in this package: where its probes go and the type
        // they name there.
        let mut places: BTreeMap<usize, Vec<Place>> = BTreeMap::new();
        for (k, g) in generics.iter().enumerate() {
            let (Some(g), Some(file)) = (g, &named_files[k]) else {
                continue;
            };
            let here: Vec<Place> = if g.named.listed {
                if *file != manifest {
                    continue;
                }
                let ty = probe::instance_type(&g.named.written, None);
                roots
                    .iter()
                    .map(|&r| (r, usize::MAX, Vec::new(), ty.clone()))
                    .collect()
            } else {
                let Some(&fi) = by_canon.get(file) else {
                    continue;
                };
                let cs = containers
                    .entry(fi)
                    .or_insert_with(|| scan::containers(&sources[fi].1));
                let Some(c) = scan::container_at(cs, g.named.line, g.named.column) else {
                    continue;
                };
                let ty = probe::instance_type(&g.named.written, c.self_name.as_deref());
                vec![(fi, c.insert_at, c.cfgs.clone(), ty)]
            };
            places.insert(k, here);
        }
        // An implied one is also named through the one implying it, where that one is
        // named: `<Outer<X> as crate::Via>::T` is the field type path of `Outer`'s
        // definition with `X` as written there, whatever module `X` belongs to.
        let mut via = Via::default();
        let projected: Vec<(usize, Vec<Place>)> = (0..generics.len())
            .filter_map(|k| {
                via.places(
                    k,
                    generics,
                    &named_files,
                    &by_canon,
                    &items,
                    &sources,
                    &places,
                    0,
                )
                .map(|ps| (k, ps))
            })
            .collect();
        for (k, ps) in projected {
            places.entry(k).or_default().extend(ps);
        }
        for (k, path, parent) in &via.impls {
            let Some(p) = generics[*parent].as_ref() else {
                continue;
            };
            let Some((fi, at)) = helpers_in(p, &by_canon, &items) else {
                continue;
            };
            extra.entry(fi).or_default().push(probe::Insert {
                at,
                raw: Some(probe::via_impl(&p.decl, *k, path)),
                ..Default::default()
            });
            for &r in &roots {
                extra.entry(r).or_default().push(probe::Insert {
                    at: usize::MAX,
                    raw: Some(probe::via_trait_decl(*k)),
                    ..Default::default()
                });
            }
        }
        for (&k, ps) in &places {
            let Some(g) = &generics[k] else { continue };
            let own = helpers_in(g, &by_canon, &items);
            for (fi, at, cfgs, ty) in ps {
                extra.entry(*fi).or_default().push(probe::Insert {
                    at: *at,
                    raw: None,
                    cfgs: cfgs.clone(),
                    asks: probe::instance_asks(&g.decl, ty, own.is_some()),
                    inst: Some(k),
                });
            }
            if let Some((fi, at)) = own {
                helpers
                    .entry((fi, g.decl.line, g.decl.name.clone()))
                    .or_insert_with(|| (at, probe::helpers_impl(&g.decl)));
            }
        }
        let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut decls = BTreeMap::new();
        let mut probes = BTreeMap::new();
        for (fi, (rel, text)) in sources.into_iter().enumerate() {
            let ds = scan::scan_file(&rel, &text);
            let mut inserts = extra.remove(&fi).unwrap_or_default();
            for ((_, _, _), (at, raw)) in
                helpers.range((fi, 0, String::new())..(fi + 1, 0, String::new()))
            {
                inserts.push(probe::Insert {
                    at: *at,
                    raw: Some(raw.clone()),
                    ..Default::default()
                });
            }
            if ds.is_empty() && inserts.is_empty() {
                continue;
            }
            let w = wanted(req, &dir, &rel, &ds);
            let raw = inserts.iter().any(|i| i.raw.is_some());
            let fp = probe::instrument_all(&text, &ds, &w, &inserts, &mut next_id);
            o.stats.probes += fp.probes.len();
            if !fp.probes.is_empty() || raw {
                texts.insert(rel.clone(), fp.text);
                probes.insert(rel.clone(), fp.probes);
            }
            decls.insert(rel, ds);
        }
        mirror(&dir, &shadow, Path::new(""), &texts)
            .map_err(|e| format!("cannot write the shadow copy of `{}`: {e}", pkg.name))?;
        out.push(Shadowed {
            pkg,
            dir,
            shadow,
            decls,
            probes,
        });
    }
    Ok(out)
}

/// Mirrors `src` into `dst`: files in `texts` are written, every other entry is a
/// symlink to the original (a copy where symlinks are unavailable). Directories
/// holding no probed file are linked whole.
fn mirror(
    src: &Path,
    dst: &Path,
    rel: &Path,
    texts: &BTreeMap<PathBuf, String>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dst.join(rel))?;
    for e in std::fs::read_dir(src.join(rel))?.flatten() {
        let name = e.file_name();
        let r = rel.join(&name);
        let ft = e.file_type()?;
        if ft.is_dir() && (name == "target" || name == ".git") {
            continue;
        }
        if let Some(text) = texts.get(&r) {
            std::fs::write(dst.join(&r), text)?;
        } else if ft.is_dir() && texts.keys().any(|k| k.starts_with(&r)) {
            mirror(src, dst, &r, texts)?;
        } else {
            link(&e.path(), &dst.join(&r))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(not(unix))]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for e in std::fs::read_dir(from)?.flatten() {
            link(&e.path(), &to.join(e.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

#[allow(clippy::too_many_arguments)]
fn check_one(
    req: &Request,
    md: &Metadata,
    shadowed: &[Shadowed<'_>],
    generics: &[Option<Generic>],
    wrapper: &Path,
    cache_root: &Path,
    work: &Path,
    triple: &str,
    o: &mut Outcome,
) -> TargetOutcome {
    let mut res = TargetOutcome {
        target: triple.to_string(),
        ..Default::default()
    };
    let out_dir = work.join("out").join(triple.replace(['/', '\\'], "_"));
    let _ = std::fs::create_dir_all(&out_dir);
    let mut plan = Plan {
        roots: Vec::new(),
        out_dir: out_dir.clone(),
    };
    for s in shadowed {
        for r in &s.pkg.roots {
            if let Ok(rel) = r.strip_prefix(&s.dir) {
                plan.roots.push((r.clone(), s.shadow.join(rel)));
            }
        }
    }
    let plan_path = out_dir.join("plan.json");
    if let Err(e) = serde_json::to_vec(&plan)
        .map_err(|e| e.to_string())
        .and_then(|b| std::fs::write(&plan_path, b).map_err(|e| e.to_string()))
    {
        res.error = Some(cargo_error(format!(
            "cannot write {}: {e}",
            plan_path.display()
        )));
        return res;
    }
    let target_dir = cache_root.join("target");
    let with_manifest = |cmd: &mut Command| {
        if let Some(m) = &req.manifest_path {
            cmd.arg("--manifest-path").arg(m);
        }
    };
    // cargo skips crates it considers fresh; ours must be checked again for the probes
    // to run, so their artifacts in the private target dir go first.
    let mut clean = Command::new(cargo_bin());
    clean.args(["clean", "--quiet", "--target", triple, "--target-dir"]);
    clean.arg(&target_dir);
    with_manifest(&mut clean);
    clean.args(shared_flags(&req.cargo_args));
    if !req
        .cargo_args
        .iter()
        .any(|a| a == "--locked" || a == "--frozen")
    {
        clean.arg("--locked");
    }
    for s in shadowed {
        clean.args(["-p", &s.pkg.name]);
    }
    let _ = clean.output();

    let mut cmd = Command::new(cargo_bin());
    cmd.args(["check", "--message-format=json", "--target", triple]);
    with_manifest(&mut cmd);
    cmd.args(&req.cargo_args);
    if !req
        .cargo_args
        .iter()
        .any(|a| a == "--locked" || a == "--frozen")
    {
        cmd.arg("--locked");
    }
    let wrapper_var = if md.non_members {
        "RUSTC_WRAPPER"
    } else {
        "RUSTC_WORKSPACE_WRAPPER"
    };
    cmd.env(wrapper_var, wrapper)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env(PLAN_ENV, &plan_path)
        .env_remove("CARGO_BUILD_TARGET");
    o.stats.cargo_runs += 1;
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            res.error = Some(cargo_error(format!("cannot run cargo: {e}")));
            return res;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let names: HashMap<&str, &str> = md
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    if !out.status.success() {
        res.error = Some(classify(
            &stdout, &stderr, triple, &md.root, &names, &mut res,
        ));
    }

    // The shadow runs' diagnostics.
    let mut ran: BTreeSet<PathBuf> = BTreeSet::new();
    let mut diags = Vec::new();
    for e in std::fs::read_dir(&out_dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "jsonl") {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if let Some(root) = text.lines().next().and_then(|l| {
                serde_json::from_str::<Value>(l)
                    .ok()?
                    .get("layout_cli_root")?
                    .as_str()
                    .map(PathBuf::from)
            }) {
                ran.insert(root);
            }
            o.stats.shadow_runs += 1;
            diags.extend(probe::parse_diagnostics(&text));
        }
    }
    collect(shadowed, generics, &plan, &ran, &diags, &mut res);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_clean_get_only_the_flags_they_take() {
        let args: Vec<String> = [
            "-p",
            "a",
            "--features",
            "x",
            "--offline",
            "--config",
            "k=v",
            "--release",
            "--locked",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            shared_flags(&args),
            ["--offline", "--config", "k=v", "--locked"]
        );
    }
}
