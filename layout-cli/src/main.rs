//! `layout-cli`: parses arguments, calls the library, maps the result to an exit code.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use layout::Severity;
use layout::target::{self, TargetInfo};
use layout_cli::render::{self, ColorChoice, Format};
use layout_cli::{diag, exit, fix, snapshot};

/// Static struct layouts for several targets, without compiling.
#[derive(Debug, Parser)]
#[command(name = "layout-cli", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lay out every struct for the targets asked for; print tables and findings.
    Report(ReportArgs),
    /// Describe a diagnostic code (all codes without one).
    Explain {
        /// A code such as `false-sharing`.
        code: Option<String>,
    },
    /// Rewrite repr(C) structs into their best field order.
    Fix(fix::FixArgs),
    /// Write a layout lockfile for `report --baseline`.
    Snapshot(snapshot::SnapshotArgs),
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Crate dirs, source dirs or .rs files.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Target triple or short name (repeatable; default: the host).
    #[arg(long = "target", value_name = "T")]
    targets: Vec<String>,
    /// Every target in the table.
    #[arg(long, conflicts_with = "targets")]
    all_targets: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 on findings at or above this severity.
    #[arg(long, value_enum, default_value_t = Deny::Error)]
    deny: Deny,
    /// Colour: auto (terminal and no NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// A lockfile from `layout-cli snapshot`: report every layout change, exit 1 on any.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Deny {
    Warning,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Report(args) => report(&args),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Fix(args) => run_fix(&args),
        Command::Snapshot(args) => run_snapshot(&args),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// Writes to stdout; a closed pipe (`| head`) ends the program quietly.
fn emit(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(exit::CLEAN);
        }
        eprintln!("layout-cli: cannot write output: {e}");
        std::process::exit(exit::ERROR);
    }
}

/// The rows for `--target`/`--all-targets`, or a usage error naming the valid ones.
fn resolve_targets(names: &[String], all: bool) -> Result<Vec<&'static TargetInfo>, String> {
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
fn host() -> &'static TargetInfo {
    static HOST: TargetInfo = target::CURRENT;
    target::find(HOST.triple).unwrap_or(&HOST)
}

fn usage_error(msg: &str) -> i32 {
    eprintln!("layout-cli: {msg}");
    exit::ERROR
}

fn report(args: &ReportArgs) -> i32 {
    let targets = match resolve_targets(&args.targets, args.all_targets) {
        Ok(t) => t,
        Err(msg) => return usage_error(&msg),
    };
    let mut analysis = layout_cli::analyze(&args.paths, &targets);
    diag::diagnose(&mut analysis);
    let no_color = std::env::var("NO_COLOR").ok();
    let color = render::use_color(args.color, io::stdout().is_terminal(), no_color.as_deref());
    let text = match args.format {
        Format::Text => render::text::render(&analysis, render::text::Options { color }),
        Format::Json => render::json::render(&analysis),
        Format::Sarif => render::sarif::render(&analysis),
    };
    emit(&text);
    let code = exit::exit_code(&analysis, args.deny.into());
    let Some(baseline) = &args.baseline else {
        return code;
    };
    match snapshot::compare(baseline, &analysis) {
        Ok(changes) => {
            for c in &changes {
                eprintln!("layout changed: {}: {}", c.subject, c.message);
            }
            exit::with_baseline(code, !changes.is_empty(), false)
        }
        Err(e) => {
            eprintln!(
                "{}: error: {}",
                location(&e.file, e.line, e.column),
                e.message
            );
            exit::with_baseline(code, false, true)
        }
    }
}

fn explain(code: Option<&str>) -> i32 {
    match code.map(render::explain::one) {
        None => emit(&render::explain::list()),
        Some(Ok(text)) => emit(&text),
        Some(Err(msg)) => return usage_error(&msg),
    }
    exit::CLEAN
}

fn run_fix(args: &fix::FixArgs) -> i32 {
    if let Err(msg) = resolve_targets(&args.targets, false) {
        return usage_error(&msg);
    }
    let outcome = fix::run(args);
    emit(&outcome.diff);
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    for e in &outcome.errors {
        eprintln!(
            "{}: error: {}",
            location(&e.file, e.line, e.column),
            e.message
        );
    }
    if outcome.errors.is_empty() {
        exit::CLEAN
    } else {
        exit::ERROR
    }
}

fn location(file: &std::path::Path, line: Option<usize>, column: Option<usize>) -> String {
    let mut s = render::display_path(file);
    if let Some(l) = line {
        s.push_str(&format!(":{l}"));
        if let Some(c) = column {
            s.push_str(&format!(":{c}"));
        }
    }
    s
}

fn run_snapshot(args: &snapshot::SnapshotArgs) -> i32 {
    let targets = match resolve_targets(&args.targets, args.all_targets) {
        Ok(t) => t,
        Err(msg) => return usage_error(&msg),
    };
    let analysis = layout_cli::analyze(&args.paths, &targets);
    if !analysis.errors.is_empty() {
        // A partial lockfile would later read as removed structs: write nothing.
        for e in &analysis.errors {
            eprintln!(
                "{}: error: {}",
                location(&e.file, e.line, e.column),
                e.message
            );
        }
        eprintln!("layout-cli: snapshot: input errors, no lockfile written");
        return exit::ERROR;
    }
    match snapshot::write(&args.output, &analysis) {
        Ok(n) => {
            eprintln!(
                "wrote {n} layouts to {}",
                render::display_path(&args.output)
            );
            exit::CLEAN
        }
        Err(e) => {
            eprintln!("{}: error: {}", render::display_path(&e.file), e.message);
            exit::ERROR
        }
    }
}
