//! `--exact`: every layout number from rustc itself, on the stable toolchain, without
//! linking.
//!
//! For each target, `cargo check --target T` runs on the user's workspace with
//! `layout-cli` as `RUSTC_WORKSPACE_WRAPPER` and a target dir of its own. The wrapper
//! ([`wrapper`]) runs each rustc command unchanged and then once more on a shadow copy
//! of the crate's files in which every struct declaration ([`scan`]) is followed by
//! probes ([`probe`]): `const` items that fail type checking with the number in the
//! message. The numbers are read back from rustc's JSON diagnostics, cached by
//! everything that decides them ([`cache`]), and merged into the static report by
//! [`apply`]. The user's files, `Cargo.lock` included, are only read.

pub mod apply;
pub mod cache;
mod cargo;
mod outcome;
pub mod probe;
pub mod scan;
pub mod wrapper;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::StructKind;

pub use apply::apply;

/// The rustc release the static engine's model was last checked against by the
/// oracle tests; another toolchain is named in `--exact` output.
pub const MODEL_CHECKED_ON: &str = "1.95";

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The workspace or package manifest (`None`: cargo's search from the current dir).
    pub manifest_path: Option<PathBuf>,
    /// Cargo's input flags exactly as `cargo check` takes them (`-p`, `--workspace`,
    /// `--exclude`, `--features`, `--all-features`, `--no-default-features`,
    /// `--release`, `--profile`, `--offline`, `--frozen`, `--config`, ...).
    pub cargo_args: Vec<String>,
    /// Target triples (any rustc knows, or a target spec path); empty means the host.
    pub targets: Vec<String>,
    /// Where the cache, the shadow copies and the private target dir live (default:
    /// `<cargo target dir>/layout-exact`).
    pub cache_dir: Option<PathBuf>,
    /// Generic structs to lay out, with their arguments.
    pub instantiations: Vec<Instantiation>,
    /// The executable cargo runs as the rustc wrapper: a `layout-cli` binary (default:
    /// the current executable, which must be `layout-cli`).
    pub wrapper: Option<PathBuf>,
}

/// A generic struct at given arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instantiation {
    /// The file that declares it.
    pub file: PathBuf,
    /// 1-based line of its name.
    pub line: usize,
    /// Its name.
    pub name: String,
    /// The arguments with their angle brackets, e.g. `<u64, 4>` (`""` for an
    /// instance entry's, which is named by `named.written` instead).
    pub args: String,
    /// For a report's instance entry (`Pair<u64>` named somewhere): where and how it
    /// is named. Its probes go there, in the type as written; `None` for the generic
    /// struct's own entry.
    pub named: Option<Named>,
}

/// Where and how an instance entry of the static report is named (its `named_at`):
/// the key its rustc numbers are matched back with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Named {
    /// The entry's name, e.g. `Pair<u64>`.
    pub text: String,
    /// The file naming it, or the manifest listing it.
    pub file: PathBuf,
    /// 1-based line there.
    pub line: usize,
    /// 1-based column there.
    pub column: usize,
    /// The type as written there (`super::Pair<u64>`); for an implied one, the field
    /// type of the definition with the parameters replaced.
    pub written: String,
    /// Listed in a manifest: resolved at a crate root.
    pub listed: bool,
    /// Implied by this instantiation (its field type is `written`).
    pub via: Option<String>,
}

/// Where a field of an [`ExactStruct`] is and what rustc said about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactField {
    /// Name; tuple fields are "0", "1", ...
    pub name: String,
    /// The type as written.
    pub ty: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// `offset_of!`, if rustc answered.
    pub offset: Option<usize>,
    /// `size_of` the field's type, if asked and answered.
    pub size: Option<usize>,
    /// `align_of` the field's type, if asked and answered.
    pub align: Option<usize>,
}

/// `#[repr]` of an [`ExactStruct`], as the rules need it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repr {
    /// `repr(C)`.
    pub c: bool,
    /// `repr(transparent)`.
    pub transparent: bool,
    /// `packed(N)`.
    pub packed: Option<usize>,
    /// `align(N)`.
    pub align: Option<usize>,
}

/// One struct (or instantiation) rustc compiled, on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactStruct {
    /// The cargo package.
    pub package: String,
    /// The declaring file (absolute).
    pub file: PathBuf,
    /// 1-based line of the name.
    pub line: usize,
    /// 1-based column of the name.
    pub column: usize,
    /// The name.
    pub name: String,
    /// Inline modules inside the file (`a::b`), empty at file level.
    pub inline: Vec<String>,
    /// Instantiation arguments (`""` when not generic).
    pub args: String,
    /// Named, tuple or unit.
    #[serde(with = "kind_serde")]
    pub kind: StructKind,
    /// `#[repr(...)]` as written, `Rust` when none.
    pub repr_text: String,
    /// The repr.
    pub repr: Repr,
    /// Declared inside a macro invocation.
    pub in_macro: bool,
    /// `size_of`, if rustc answered.
    pub size: Option<usize>,
    /// `align_of`, if rustc answered.
    pub align: Option<usize>,
    /// The fields as written, with rustc's numbers (empty when a macro's tokens did
    /// not show them: then `fields_known` is false).
    pub fields: Vec<ExactField>,
    /// Whether `fields` is the struct's whole field list as written.
    pub fields_known: bool,
    /// Why a number is missing (rustc's message), if one is.
    pub unknown: Option<String>,
    /// For an instance entry's numbers: which entry (the static report's `named_at`).
    #[serde(default)]
    pub instance: Option<Named>,
}

mod kind_serde {
    use super::StructKind;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &StructKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match k {
            StructKind::Named => "named",
            StructKind::Tuple => "tuple",
            StructKind::Unit => "unit",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<StructKind, D::Error> {
        Ok(match String::deserialize(d)?.as_str() {
            "tuple" => StructKind::Tuple,
            "unit" => StructKind::Unit,
            _ => StructKind::Named,
        })
    }
}

/// Why a target has no rustc numbers (or only some).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    /// rustc does not know the triple.
    UnknownTarget,
    /// The target's standard library is not installed.
    MissingStd,
    /// A build script failed (often a `-sys` crate without the target's C compiler).
    BuildScript,
    /// A selected package does not compile.
    Compile,
    /// cargo itself failed (manifest, lockfile, resolution, network).
    Cargo,
}

/// A per-target failure: the kind and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetError {
    /// What kind.
    pub kind: Failure,
    /// What went wrong and how to fix it.
    pub message: String,
    /// The file rustc's first error points at, if any.
    pub file: Option<PathBuf>,
    /// Its 1-based line.
    pub line: Option<usize>,
    /// Its 1-based column.
    pub column: Option<usize>,
}

/// rustc's answers for one target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// The triple as given.
    pub target: String,
    /// Every struct rustc compiled in the selected packages.
    pub structs: Vec<ExactStruct>,
    /// Packages whose numbers are missing because they did not compile.
    pub failed_packages: Vec<String>,
    /// Declarations rustc did not compile (cfg'd out in this build), as
    /// (absolute file, line, name).
    pub absent: Vec<(PathBuf, usize, String)>,
    /// The failure, if any (the other targets still report).
    pub error: Option<TargetError>,
    /// Read from the cache, no cargo run.
    #[serde(skip)]
    pub from_cache: bool,
}

/// Work counters, for tests and `--exact` summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Targets answered from the cache.
    pub cache_hits: usize,
    /// `cargo check` runs started.
    pub cargo_runs: usize,
    /// rustc runs on shadow copies (one per crate root per target).
    pub shadow_runs: usize,
    /// Probes placed in shadow copies (per run, counted once).
    pub probes: usize,
}

/// Everything `run` learned.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// `rustc -vV`'s `release:` (e.g. `1.95.0`).
    pub rustc_release: String,
    /// Set when that toolchain is not the one the static model was checked on.
    pub toolchain_note: Option<String>,
    /// The workspace root.
    pub workspace_root: PathBuf,
    /// Per target, in the order asked.
    pub targets: Vec<TargetOutcome>,
    /// Failures that stopped everything (no Cargo.lock, cargo metadata failed).
    pub errors: Vec<String>,
    /// Work done.
    pub stats: Stats,
}

/// Runs rustc for every target of `req` (see the module docs).
pub fn run(req: &Request) -> Outcome {
    cargo::run(req)
}

/// The `rustup target add` hint, or the unknown-target error, for `triple`; `None`
/// when its standard library is installed.
pub fn check_target(triple: &str) -> Option<TargetError> {
    cargo::check_target(triple)
}

/// Instantiations for the generic reports of a static analysis that have numbers: the
/// engine gives a generic struct numbers only when its layout does not depend on its
/// parameters, so any arguments that satisfy the bounds check them; `u8` for types and `'static` for
/// lifetimes are tried (a struct with const parameters is left to the static engine).
pub fn reported_generics(a: &crate::analysis::Analysis) -> Vec<Instantiation> {
    let mut out: Vec<Instantiation> = Vec::new();
    // Each file is parsed once, however many targets and structs it has.
    let mut decls: std::collections::HashMap<&Path, Vec<scan::Decl>> = Default::default();
    for s in a.structs.iter().filter(|s| s.generic && s.size.is_some()) {
        if out
            .iter()
            .any(|i| i.line == s.line && i.name == s.name && i.file == s.file)
        {
            continue;
        }
        let ds = decls.entry(s.file.as_path()).or_insert_with(|| {
            std::fs::read_to_string(&s.file)
                .map(|text| scan::scan_file(Path::new(""), &text))
                .unwrap_or_default()
        });
        let Some(d) = ds.iter().find(|d| d.line == s.line && d.name == s.name) else {
            continue;
        };
        let mut args = Vec::new();
        let mut ok = true;
        for p in &d.params {
            match p {
                scan::Param::Lifetime(_) => args.push("'static"),
                scan::Param::Type(_) => args.push("u8"),
                scan::Param::Const(_) => ok = false,
            }
        }
        if ok {
            out.push(Instantiation {
                file: s.file.clone(),
                line: s.line,
                name: s.name.clone(),
                args: format!("<{}>", args.join(", ")),
                named: None,
            });
        }
    }
    out
}

/// One instantiation per instance entry of a static analysis (`Pair<u64>` with its
/// `named_at`, once for all targets): rustc lays each out where it is named, in the
/// type as written there, so the entry's every number can come from rustc.
pub fn reported_instances(a: &crate::analysis::Analysis) -> Vec<Instantiation> {
    let mut out: Vec<Instantiation> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in &a.structs {
        let Some(i) = &s.instance else { continue };
        let named = Named {
            text: s.name.clone(),
            file: i.file.clone(),
            line: i.line,
            column: i.column,
            written: i.written.clone(),
            listed: i.listed,
            via: i.via.clone(),
        };
        let inst = Instantiation {
            file: s.file.clone(),
            line: s.line,
            name: i
                .generic
                .rsplit("::")
                .next()
                .unwrap_or(&i.generic)
                .to_string(),
            args: String::new(),
            named: Some(named),
        };
        if seen.insert(inst.clone()) {
            out.push(inst);
        }
    }
    out
}

/// The request for `report --exact` on the given input paths: the first path that is a
/// crate dir (or its `Cargo.toml`) names the manifest; otherwise cargo searches from
/// the current directory.
pub fn request_for(paths: &[PathBuf], targets: Vec<String>, cargo_args: Vec<String>) -> Request {
    let manifest_path = paths.iter().find_map(|p| {
        if p.file_name().is_some_and(|n| n == "Cargo.toml") && p.is_file() {
            Some(p.clone())
        } else if p.join("Cargo.toml").is_file() {
            Some(p.join("Cargo.toml"))
        } else {
            None
        }
    });
    Request {
        manifest_path,
        cargo_args,
        targets,
        ..Default::default()
    }
}

/// `--target` names for `--exact`: rows of the table for the static engine, plus the
/// triples the table lacks (rustc may know them; [`check_target`] says if not).
pub fn split_targets(
    names: &[String],
    all: bool,
) -> Result<(Vec<&'static layout::target::TargetInfo>, Vec<String>), String> {
    let mut known = Vec::new();
    let mut extra = Vec::new();
    for n in names {
        if layout::target::find(n).is_some() {
            known.push(n.clone());
        } else if n.contains('-') || n.ends_with(".json") {
            if !extra.contains(n) {
                extra.push(n.clone());
            }
        } else {
            known.push(n.clone());
        }
    }
    if names.is_empty() || all || !known.is_empty() {
        let rows = crate::cli::resolve_targets(&known, all)?;
        return Ok((rows, extra));
    }
    Ok((Vec::new(), extra))
}

/// Runs the static analysis of `input` (cargo's model of the build, or plain files)
/// and rustc for the same targets, features and profile, merged: what `report --exact`,
/// `snapshot --exact` and `verify` print. Findings are computed. Triples the static
/// table lacks are asked of rustc only.
pub fn analyze_exact(
    input: &crate::cli::InputArgs,
) -> Result<(crate::cli::Input, Outcome, apply::Applied), String> {
    let (_, extra) = split_targets(&input.targets, input.all_platforms)?;
    let mut static_input = input.clone();
    static_input.targets.retain(|t| !extra.contains(t));
    let mut out = static_input.analyze()?;
    crate::diag::diagnose(&mut out.analysis);
    let mut triples: Vec<String> = Vec::new();
    match &out.build {
        Some(b) => triples.extend(b.targets.iter().map(|t| t.row.triple.to_string())),
        None => {
            let rows = static_input.target_rows()?;
            triples.extend(rows.iter().map(|t| t.triple.to_string()));
        }
    }
    if static_input.targets.is_empty() && !extra.is_empty() && !input.all_platforms {
        triples.clear();
    }
    triples.extend(extra);
    let sel = input.selection();
    let mut cargo_args = sel.cargo_args();
    // The manifest goes in the request itself.
    if let Some(pos) = cargo_args.iter().position(|a| a == "--manifest-path") {
        cargo_args.drain(pos..pos + 2);
    }
    if sel.release {
        cargo_args.push("--release".into());
    }
    if let Some(p) = &sel.profile {
        cargo_args.extend(["--profile".to_string(), p.clone()]);
    }
    let mut req = request_for(&input.paths, triples, cargo_args);
    if req.manifest_path.is_none() {
        req.manifest_path = input.manifest();
    }
    req.instantiations = reported_generics(&out.analysis);
    req.instantiations.extend(reported_instances(&out.analysis));
    let outcome = run(&req);
    let applied = apply(&mut out.analysis, &outcome);
    Ok((out, outcome, applied))
}

/// The exit code of `verify`: 2 when a target or package could not be checked (input
/// errors win, as in `report`), else 1 on any model mismatch, else 0.
pub fn verify_exit_code(mismatch: bool, errors: bool) -> i32 {
    if errors {
        crate::exit::ERROR
    } else if mismatch {
        crate::exit::FINDINGS
    } else {
        crate::exit::CLEAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_fails_on_mismatches_and_errors_win() {
        assert_eq!(verify_exit_code(false, false), 0);
        assert_eq!(verify_exit_code(true, false), 1);
        assert_eq!(verify_exit_code(true, true), 2);
        assert_eq!(verify_exit_code(false, true), 2);
    }

    #[test]
    fn triples_outside_the_table_go_to_rustc_only() {
        let names = vec![
            "x86_64-linux".to_string(),
            "riscv64gc-unknown-linux-gnu".to_string(),
        ];
        let (rows, extra) = split_targets(&names, false).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].triple, "x86_64-unknown-linux-gnu");
        assert_eq!(extra, ["riscv64gc-unknown-linux-gnu"]);
        assert!(split_targets(&["sparc".to_string()], false).is_err());
        let (rows, extra) = split_targets(&["riscv64gc-unknown-linux-gnu".into()], false).unwrap();
        assert!(rows.is_empty() && extra.len() == 1);
    }
}
