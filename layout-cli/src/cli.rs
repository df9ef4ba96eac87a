//! The command line: every clap struct of `layout-cli` (and `cargo layout`), the input
//! flags all subcommands share, and the one target resolver.
//!
//! `main.rs` parses [`Cli`] and dispatches; the library functions it calls are the ones
//! the tests call.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use layout::Severity;
use layout::target::{self, TargetInfo};

use crate::render::{ColorChoice, Format};

/// Static struct layouts for several targets, without compiling.
///
/// Installed as `layout-cli` and as `cargo-layout`, so `cargo layout report` is
/// `layout-cli report`.
#[derive(Debug, Parser)]
#[command(name = "layout-cli", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lay out every struct for the targets asked for; print tables and findings.
    Report(ReportArgs),
    /// Describe a diagnostic code (all codes without one).
    Explain {
        /// A code such as `false-sharing`.
        code: Option<String>,
    },
    /// Rewrite structs into their best field order (those with the derive or
    /// `#[layout]`; every `repr(C)` struct with `--all`).
    Fix(FixCmd),
    /// Write a layout lockfile for `report --baseline`.
    Snapshot(SnapshotCmd),
    /// Run the static engine and rustc (`--exact`) and fail on any number they disagree
    /// on (`model-mismatch`).
    Verify(VerifyCmd),
}

/// What to read and for which targets: shared by `report`, `snapshot` and `fix`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct InputArgs {
    /// Crate dirs, source dirs or .rs files (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Target triple or short name (repeatable; default: the host).
    #[arg(long = "target", value_name = "T")]
    pub targets: Vec<String>,
    /// Every row of the built-in target table (`--all-targets`, cargo's word for
    /// lib+bins+tests+..., is accepted as an old alias of this).
    #[arg(long, alias = "all-targets", conflicts_with = "targets")]
    pub all_platforms: bool,
    /// Path to Cargo.toml (default: found from the current directory, as cargo does).
    #[arg(long, value_name = "PATH", help_heading = "Cargo")]
    pub manifest_path: Option<PathBuf>,
    /// Package to report (repeatable; default: the workspace's default members).
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        help_heading = "Cargo"
    )]
    pub packages: Vec<String>,
    /// Report every workspace member.
    #[arg(long, help_heading = "Cargo")]
    pub workspace: bool,
    /// Leave a package out (with --workspace).
    #[arg(long, value_name = "SPEC", help_heading = "Cargo")]
    pub exclude: Vec<String>,
    /// Features to enable, comma- or space-separated (cargo's `--features`).
    #[arg(short = 'F', long, value_name = "FEATURES", help_heading = "Cargo")]
    pub features: Vec<String>,
    /// Enable every feature of the selected packages.
    #[arg(long, help_heading = "Cargo")]
    pub all_features: bool,
    /// Do not enable the default features.
    #[arg(long, help_heading = "Cargo")]
    pub no_default_features: bool,
    /// The release profile (`debug_assertions` off), as `cargo build --release`.
    #[arg(long, conflicts_with = "profile", help_heading = "Cargo")]
    pub release: bool,
    /// The profile whose settings decide `debug_assertions` (default: dev).
    #[arg(long, value_name = "NAME", help_heading = "Cargo")]
    pub profile: Option<String>,
    /// Also tests, benches and examples, with dev-dependencies.
    #[arg(long, help_heading = "Cargo")]
    pub tests: bool,
    /// Passed to cargo: require Cargo.lock to be up to date.
    #[arg(long, help_heading = "Cargo")]
    pub locked: bool,
    /// Passed to cargo: no network.
    #[arg(long, help_heading = "Cargo")]
    pub offline: bool,
    /// Passed to cargo: --locked and --offline.
    #[arg(long, help_heading = "Cargo")]
    pub frozen: bool,
    /// Also ask `cargo tree` for every target's features and fail (exit 2) where they
    /// differ from the ones computed from `cargo metadata` (a check of this tool).
    #[arg(long, hide = true)]
    pub check_features: bool,
    /// Parse every file of every dependency whole instead of reading the definitions
    /// its names reach (a check of this tool: the report must be the same).
    #[arg(long, hide = true)]
    pub read_whole: bool,
}

/// What `analyze` read: cargo's model of the build, or plain files.
#[derive(Debug)]
pub struct Input {
    /// The layouts.
    pub analysis: crate::analysis::Analysis,
    /// cargo's model, when a Cargo.toml was in reach.
    pub build: Option<crate::cargo::Build>,
}

impl InputArgs {
    /// The paths to read: as given, or the current directory.
    pub fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }

    /// The target rows asked for (see [`resolve_targets`]).
    pub fn target_rows(&self) -> Result<Vec<&'static TargetInfo>, String> {
        resolve_targets(&self.targets, self.all_platforms)
    }

    /// The cargo flags as a [`crate::cargo::Selection`].
    pub fn selection(&self) -> crate::cargo::Selection {
        crate::cargo::Selection {
            manifest_path: self.manifest_path.clone(),
            packages: self.packages.clone(),
            workspace: self.workspace,
            exclude: self.exclude.clone(),
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
            release: self.release,
            profile: self.profile.clone(),
            tests: self.tests,
            locked: self.locked,
            offline: self.offline,
            frozen: self.frozen,
        }
    }

    /// The manifest this input names, if any (see [`crate::cargo::find_manifest`]).
    pub fn manifest(&self) -> Option<PathBuf> {
        crate::cargo::find_manifest(&self.selection(), &self.paths)
    }

    /// Lays out what the input names: with a Cargo.toml in reach, the packages cargo
    /// selects, as cargo builds them; else the plain files and directories. The targets
    /// are `--target`/`--all-platforms`, else `[workspace.metadata.layout] targets` (or
    /// the package's), else the host. `Err` is a usage or cargo error (exit 2).
    pub fn analyze(&self) -> Result<Input, String> {
        let manifest = self.manifest();
        let cargo_flags = self.manifest_path.is_some()
            || !self.packages.is_empty()
            || self.workspace
            || !self.exclude.is_empty()
            || !self.features.is_empty()
            || self.all_features
            || self.no_default_features
            || self.release
            || self.profile.is_some()
            || self.tests;
        let Some(manifest) = manifest else {
            if cargo_flags {
                return Err("cargo flags (--manifest-path, -p, --features, --release, ...) need a Cargo.toml, and none was found".into());
            }
            let rows = self.target_rows()?;
            return Ok(Input {
                analysis: crate::engine::analyze(&self.paths(), &rows),
                build: None,
            });
        };
        let config = crate::cargo::LayoutConfig::read(&manifest);
        let rows = if self.targets.is_empty() && !self.all_platforms && !config.targets.is_empty() {
            resolve_targets(&config.targets, false)
                .map_err(|e| format!("[metadata.layout] targets: {e}"))?
        } else {
            self.target_rows()?
        };
        let sel = self.selection();
        let ahead = crate::cargo::read_ahead(&manifest, &sel, &rows);
        // Parses what the last such run read while cargo runs.
        let session = crate::engine::Session::start(Some(ahead.clone()));
        let mut build = crate::cargo::load_reading_ahead(&manifest, &sel, &rows, ahead).map_err(
            |e| match &e.manifest {
                Some(m) => format!("{}: {}", crate::render::display_path(m), e.message),
                None => e.message.clone(),
            },
        )?;
        build.read_whole = self.read_whole;
        crate::timings::mark("cargo metadata, rustc --print cfg, features");
        if self.check_features {
            check_features(&build, &self.selection())?;
        }
        let mut analysis = session.analyze(&build);
        crate::timings::mark("layouts delivered");
        dependency_errors_to_notes(&mut analysis, &mut build);
        relative_to_cwd(&mut analysis);
        if !config.exclude.is_empty() {
            let root = &build.workspace_root;
            analysis.structs.retain(|s| {
                let rel = s.file.strip_prefix(root).unwrap_or(&s.file);
                !config.exclude.iter().any(|x| rel.starts_with(x))
            });
        }
        Ok(Input {
            analysis,
            build: Some(build),
        })
    }
}

/// A file of a dependency's source (a package neither selected nor a workspace member)
/// that cannot be read or parsed is not the user's input error: it becomes a note, and
/// the types it declares stay unknown ("cannot resolve") in what reaches them.
fn dependency_errors_to_notes(
    analysis: &mut crate::analysis::Analysis,
    build: &mut crate::cargo::Build,
) {
    let owner = |file: &std::path::Path| {
        build
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| file.starts_with(p.dir()))
            .max_by_key(|(_, p)| p.dir().components().count())
            .map(|(i, _)| i)
    };
    let mut notes = Vec::new();
    analysis.errors.retain(|e| {
        let dependency = owner(&e.file)
            .is_some_and(|p| !build.packages[p].member && !build.selected.contains(&p));
        if dependency {
            let mut at = crate::render::display_path(&e.file);
            if let Some(l) = e.line {
                at.push_str(&format!(":{l}"));
            }
            notes.push(format!(
                "dependency file {at} not analysed ({}); the types it declares are unknown",
                e.message
            ));
        }
        !dependency
    });
    build.notes.extend(notes);
}

/// `--check-features`: the features of every target as `cargo tree` gives them must be
/// the ones the build uses.
fn check_features(
    build: &crate::cargo::Build,
    sel: &crate::cargo::Selection,
) -> Result<(), String> {
    for t in &build.targets {
        let tree =
            crate::cargo::cargo_tree_features(build, sel, t.row.triple).map_err(|e| e.message)?;
        let diffs = feature_differences(build, t, &tree);
        if !diffs.is_empty() {
            return Err(format!(
                "features differ from `cargo tree` on {}: {}",
                t.row.triple,
                diffs.join("; ")
            ));
        }
    }
    Ok(())
}

/// Where target `t`'s features differ from `tree` (`cargo tree`'s sets, per package:
/// ours must be one of them), one line each, sorted; empty when they agree.
pub fn feature_differences(
    build: &crate::cargo::Build,
    t: &crate::cargo::TargetBuild,
    tree: &std::collections::HashMap<crate::cargo::PkgId, Vec<std::collections::BTreeSet<String>>>,
) -> Vec<String> {
    // `cargo tree -p X` shows X's part of the build only.
    let whole = build.selected.iter().all(|s| build.packages[*s].member);
    let name = |p: &crate::cargo::PkgId| build.packages[*p].name.clone();
    let mut diffs: Vec<String> = Vec::new();
    for (p, f) in &t.features {
        match tree.get(p) {
            None if whole => diffs.push(format!("{} built here, not by cargo", name(p))),
            Some(g) if !g.contains(&**f) => {
                diffs.push(format!("{}: {:?} here, {:?} by cargo", name(p), f, g))
            }
            _ => {}
        }
    }
    for p in tree.keys().filter(|p| !t.features.contains_key(p)) {
        diffs.push(format!("{} built by cargo, not here", name(p)));
    }
    diffs.sort();
    diffs
}

/// `layout-cli report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 on findings at or above this severity.
    #[arg(long, value_enum, default_value_t = Deny::Error)]
    pub deny: Deny,
    /// Colour: auto (terminal and no NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// A lockfile from `layout-cli snapshot`: report every layout change, exit 1 on any.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Text: findings and the summary only, no tables.
    #[arg(short, long, conflicts_with = "summary")]
    pub quiet: bool,
    /// Text: the one-line summary only (and input errors, if any).
    #[arg(long)]
    pub summary: bool,
    /// Allow (do not report) an advisory code, e.g. `-A padding-waste` (repeatable).
    #[arg(short = 'A', long = "allow", value_name = "CODE")]
    pub allow: Vec<String>,
    /// Report an advisory code as a warning (repeatable).
    #[arg(short = 'W', long = "warn", value_name = "CODE")]
    pub warn: Vec<String>,
    /// Report a code as an error, e.g. `-D possible-false-sharing`; `-D warnings` for
    /// every advisory code (repeatable). For one code, -D wins over -W over -A.
    #[arg(short = 'D', long = "deny-code", value_name = "CODE")]
    pub deny_codes: Vec<String>,
    /// Take every number from rustc (`cargo check` per target, no linker, cached).
    #[arg(long)]
    pub exact: bool,
}

/// `layout-cli fix`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::fix::FIX_HELP)]
pub struct FixCmd {
    /// What to read; every target given must satisfy the intent after the fix.
    #[command(flatten)]
    pub input: InputArgs,
    /// Print a unified diff instead of writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also rewrite repr(C) structs without the derive or a #[layout] attribute.
    #[arg(long)]
    pub all: bool,
    /// After writing, check every reordered struct with rustc (as `report --exact`);
    /// a file whose new layout rustc does not confirm is restored, with an error.
    #[arg(long)]
    pub exact: bool,
}

/// `layout-cli snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotCmd {
    /// What to read and record.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output file.
    #[arg(short = 'o', long = "output", default_value = "layouts.json")]
    pub output: PathBuf,
    /// Record rustc's numbers (`report --exact`).
    #[arg(long)]
    pub exact: bool,
}

/// `layout-cli verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyCmd {
    /// What to read and check.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `--deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Fail on warnings and errors.
    Warning,
    /// Fail on errors only.
    Error,
}

impl From<Deny> for Severity {
    fn from(d: Deny) -> Severity {
        match d {
            Deny::Warning => Severity::Warning,
            Deny::Error => Severity::Error,
        }
    }
}

/// cargo gives absolute paths; like cargo's and rustc's own messages, files under the
/// current directory are shown relative to it.
fn relative_to_cwd(a: &mut crate::analysis::Analysis) {
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    let rel = |p: &mut PathBuf| {
        if let Ok(r) = p.strip_prefix(&cwd) {
            *p = r.to_path_buf();
        }
    };
    for s in &mut a.structs {
        rel(&mut s.file);
        if let Some(i) = &mut s.instance {
            rel(&mut i.file);
        }
    }
    for e in &mut a.errors {
        rel(&mut e.file);
    }
}

/// The rows for `--target`/`--all-platforms`, or a usage error naming the valid ones.
/// No target given means the host's row.
pub fn resolve_targets(names: &[String], all: bool) -> Result<Vec<&'static TargetInfo>, String> {
    if all {
        return Ok(target::TARGETS.iter().collect());
    }
    if names.is_empty() {
        return Ok(vec![host()]);
    }
    let mut out: Vec<&'static TargetInfo> = Vec::new();
    for n in names {
        let Some(t) = target::find(n) else {
            let valid: Vec<String> = target::TARGETS
                .iter()
                .map(|t| format!("{} ({})", t.triple, t.short))
                .collect();
            return Err(format!(
                "unknown target `{n}`; valid targets:\n  {}",
                valid.join("\n  ")
            ));
        };
        if !out.iter().any(|o| o.triple == t.triple) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The host's row; the fallback row when the table has none for it.
pub fn host() -> &'static TargetInfo {
    static HOST: TargetInfo = target::CURRENT;
    target::find(HOST.triple).unwrap_or(&HOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_takes_the_same_input_flags() {
        for sub in ["report", "snapshot", "fix", "verify"] {
            let cli =
                Cli::try_parse_from(["layout-cli", sub, "a", "b.rs", "--target", "aarch64-linux"])
                    .unwrap();
            let input = match cli.command {
                Command::Report(a) => a.input,
                Command::Snapshot(a) => a.input,
                Command::Fix(a) => a.input,
                Command::Verify(a) => a.input,
                Command::Explain { .. } => unreachable!(),
            };
            assert_eq!(input.paths, [PathBuf::from("a"), PathBuf::from("b.rs")]);
            let rows = input.target_rows().unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].triple, "aarch64-unknown-linux-gnu");
        }
    }

    #[test]
    fn all_targets_is_an_alias_of_all_platforms() {
        let cli = Cli::try_parse_from(["layout-cli", "report", "--all-targets"]).unwrap();
        let Command::Report(a) = cli.command else {
            unreachable!()
        };
        assert!(a.input.all_platforms);
        assert_eq!(a.input.target_rows().unwrap().len(), target::TARGETS.len());
        assert_eq!(a.input.paths(), [PathBuf::from(".")]);
    }

    #[test]
    fn level_flags_repeat_and_output_modes_conflict() {
        let cli = Cli::try_parse_from([
            "layout-cli",
            "report",
            "-A",
            "padding-waste",
            "-D",
            "warnings",
            "-W",
            "adjacent-line",
            "-A",
            "unaligned_base",
            "--quiet",
        ])
        .unwrap();
        let Command::Report(a) = cli.command else {
            unreachable!()
        };
        assert_eq!(a.allow, ["padding-waste", "unaligned_base"]);
        assert_eq!((a.warn.len(), a.deny_codes.len(), a.quiet), (1, 1, true));
        assert!(Cli::try_parse_from(["layout-cli", "report", "-q", "--summary"]).is_err());
    }

    #[test]
    fn unknown_targets_name_the_valid_ones() {
        let e = resolve_targets(&["sparc".into()], false).unwrap_err();
        assert!(e.contains("unknown target `sparc`") && e.contains("x86_64-unknown-linux-gnu"));
        let two = resolve_targets(
            &["x86_64-linux".into(), "x86_64-unknown-linux-gnu".into()],
            false,
        )
        .unwrap();
        assert_eq!(two.len(), 1, "duplicates collapse");
    }
}
