//! `layout-cli` (and `cargo-layout`): parses arguments, calls the library, maps the
//! result to an exit code.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use layout_cli::cli::{Cli, Command, FixCmd, ReportArgs, SnapshotCmd, VerifyCmd};
use layout_cli::levels::{self, Levels, LintConfig};
use layout_cli::render::{self, Format};
use layout_cli::{diag, exact, exit, fix, snapshot};

/// Reading a crate allocates and frees millions of small syn nodes; mimalloc does that
/// in about two thirds of glibc's time here.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The arguments as clap should see them, and the program's name for `--help`: cargo
/// runs `cargo-layout layout ARGS` for `cargo layout ARGS`, so a first argument
/// `layout` after a `cargo-layout` program name is dropped.
fn args() -> (Vec<OsString>, &'static str) {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let cargo = args.first().is_some_and(|a| {
        std::path::Path::new(a)
            .file_stem()
            .is_some_and(|s| s == "cargo-layout")
    });
    if cargo && args.get(1).is_some_and(|a| a == "layout") {
        args.remove(1);
    }
    (args, if cargo { "cargo layout" } else { "layout-cli" })
}

pub fn main() -> ExitCode {
    // `--exact` runs cargo with this binary as its rustc wrapper.
    if exact::wrapper::invoked() {
        return ExitCode::from(u8::try_from(exact::wrapper::main()).unwrap_or(101));
    }
    layout_cli::timings::init();
    let (argv, name) = args();
    let matches = Cli::command().bin_name(name).get_matches_from(argv);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let code = match cli.command {
        Command::Report(args) => report(&args),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Fix(args) => run_fix(&args),
        Command::Snapshot(args) => run_snapshot(&args),
        Command::Verify(args) => verify(&args),
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

fn usage_error(msg: &str) -> i32 {
    eprintln!("layout-cli: {msg}");
    exit::ERROR
}

fn report(args: &ReportArgs) -> i32 {
    let flags = match Levels::from_flags(&args.allow, &args.warn, &args.deny_codes) {
        Ok(f) => f,
        Err(msg) => return usage_error(&msg),
    };
    let (input, toolchain) = if args.exact {
        match analyze_exact(&args.input) {
            Ok((i, o)) => (i, Some((o.rustc_release, o.toolchain_note))),
            Err(code) => return code,
        }
    } else {
        match analyze(&args.input) {
            Ok(mut i) => {
                diag::diagnose(&mut i.analysis);
                layout_cli::timings::mark("diagnosed");
                (i, None)
            }
            Err(code) => return code,
        }
    };
    let exact = toolchain.as_ref().map(|(rustc, note)| render::text::Exact {
        rustc,
        note: note.as_deref(),
    });
    let mut analysis = input.analysis;
    // Levels from [workspace.metadata.layout.lints] / [package.metadata.layout.lints].
    let config = match &input.build {
        None => LintConfig::default(),
        Some(b) => match LintConfig::from_cargo_metadata(
            &b.workspace_metadata,
            b.packages.iter().map(|p| (p.name.as_str(), &p.metadata)),
        ) {
            Ok(c) => c,
            Err(msg) => return usage_error(&msg),
        },
    };
    let applied = levels::apply(&mut analysis, &config, &flags);
    layout_cli::timings::mark("levels applied");
    let (changes, baseline_error) = match &args.baseline {
        None => (Vec::new(), false),
        Some(baseline) => match snapshot::compare(baseline, &analysis) {
            Ok(changes) => (changes, false),
            Err(e) => {
                print_errors(&[e]);
                (Vec::new(), true)
            }
        },
    };
    // Text, SARIF and markdown print the grouped model; JSON prints every entry as is.
    let grouped = || render::model::Report::new(&analysis, applied.allowed);
    let no_color = std::env::var("NO_COLOR").ok();
    let color = render::use_color(args.color, io::stdout().is_terminal(), no_color.as_deref());
    let mode = if args.summary {
        render::text::Mode::Summary
    } else if args.quiet {
        render::text::Mode::Quiet
    } else {
        render::text::Mode::Full
    };
    let text = match args.format {
        Format::Text => {
            render::text::render(&grouped(), render::text::Options { color, mode, exact })
        }
        Format::Json => render::json::render(&analysis),
        Format::Sarif => {
            // %SRCROOT% is the workspace root with cargo, else the current directory.
            let root = input
                .build
                .as_ref()
                .map(|b| b.workspace_root.clone())
                .or_else(|| std::env::current_dir().ok())
                .map(|d| render::sarif::source_root(&d));
            render::sarif::render(
                &grouped(),
                &changes,
                &render::sarif::Options { root, exact },
            )
        }
        Format::Markdown => render::markdown::render(&grouped(), &changes, exact),
    };
    layout_cli::timings::mark("rendered");
    emit(&text);
    layout_cli::timings::mark("written");
    // Text and JSON do not carry the changes: they go to stderr (SARIF and markdown
    // have them as results and rows).
    if matches!(args.format, Format::Text | Format::Json) {
        for c in &changes {
            eprintln!("layout changed: {}: {}", c.subject, c.message);
        }
    }
    let code = exit::exit_code(&analysis, args.deny.into());
    if args.baseline.is_none() {
        return code;
    }
    exit::with_baseline(code, !changes.is_empty(), baseline_error)
}

fn explain(code: Option<&str>) -> i32 {
    match code.map(render::explain::one) {
        None => emit(&render::explain::list()),
        Some(Ok(text)) => emit(&text),
        Some(Err(msg)) => return usage_error(&msg),
    }
    exit::CLEAN
}

fn run_fix(cmd: &FixCmd) -> i32 {
    let opts = fix::FixOptions {
        dry_run: cmd.dry_run,
        all: cmd.all,
        exact: cmd.exact,
    };
    let outcome = match fix::run_input(&cmd.input, opts) {
        Ok(o) => o,
        Err(msg) => return usage_error(&msg),
    };
    emit(&outcome.diff);
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    print_errors(&outcome.errors);
    if outcome.errors.is_empty() {
        exit::CLEAN
    } else {
        exit::ERROR
    }
}

/// Every input error as `file:line:col: error: message`, on stderr.
fn print_errors(errors: &[layout_cli::analysis::FileError]) {
    for e in errors {
        eprintln!(
            "{}: error: {}",
            location(&e.file, e.line, e.column),
            e.message
        );
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

/// Lays out what the input flags name; cargo's notes go to stderr; a usage or cargo
/// error is printed and becomes exit 2.
fn analyze(input: &layout_cli::cli::InputArgs) -> Result<layout_cli::cli::Input, i32> {
    match input.analyze() {
        Ok(i) => {
            for n in i.build.iter().flat_map(|b| &b.notes) {
                eprintln!("note: {n}");
            }
            Ok(i)
        }
        Err(msg) => Err(usage_error(&msg)),
    }
}

/// The static analysis merged with rustc's numbers (`--exact`), findings computed; a
/// usage or cargo error becomes exit 2.
fn analyze_exact(
    input: &layout_cli::cli::InputArgs,
) -> Result<(layout_cli::cli::Input, exact::Outcome), i32> {
    let (i, outcome, _) = exact::analyze_exact(input).map_err(|msg| usage_error(&msg))?;
    for n in i.build.iter().flat_map(|b| &b.notes) {
        eprintln!("note: {n}");
    }
    if let Some(note) = &outcome.toolchain_note {
        eprintln!("note: {note}");
    }
    Ok((i, outcome))
}

/// `verify`: static and rustc's numbers side by side; 1 on any `model-mismatch`.
fn verify(cmd: &VerifyCmd) -> i32 {
    let a = match analyze_exact(&cmd.input) {
        Ok((i, _)) => i.analysis,
        Err(code) => return code,
    };
    let mut mismatches = 0;
    for s in &a.structs {
        for f in s
            .diagnostics
            .iter()
            .filter(|f| f.code == layout::Code::ModelMismatch)
        {
            mismatches += 1;
            eprintln!(
                "{}: error[model-mismatch]: {}: {}",
                location(&s.file, Some(f.line), Some(f.column)),
                s.path,
                f.message
            );
        }
    }
    print_errors(&a.errors);
    let checked = a
        .structs
        .iter()
        .filter(|s| s.source == layout_cli::analysis::NumberSource::Rustc)
        .count();
    emit(&format!(
        "verify: {checked} layouts from rustc, {mismatches} model mismatch(es), {} error(s)\n",
        a.errors.len()
    ));
    exact::verify_exit_code(mismatches > 0, !a.errors.is_empty())
}

fn run_snapshot(cmd: &SnapshotCmd) -> i32 {
    let input = if cmd.exact {
        analyze_exact(&cmd.input).map(|(i, _)| i)
    } else {
        analyze(&cmd.input)
    };
    let a = match input {
        Ok(i) => i.analysis,
        Err(code) => return code,
    };
    match snapshot::write_analysis(&cmd.output, &a) {
        Ok(n) => {
            eprintln!("wrote {n} layouts to {}", render::display_path(&cmd.output));
            exit::CLEAN
        }
        Err(e) => {
            print_errors(&a.errors);
            if a.errors.is_empty() {
                print_errors(&[e]);
            } else {
                eprintln!("layout-cli: snapshot: input errors, no lockfile written");
            }
            exit::ERROR
        }
    }
}
