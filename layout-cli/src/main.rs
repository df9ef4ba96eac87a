//! `layout-cli`: parses arguments, calls the library, maps the result to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use layout_cli::cli::{Cli, Command, FixCmd, ReportArgs, SnapshotCmd, VerifyCmd};
use layout_cli::render::{self, Format};
use layout_cli::{diag, exact, exit, fix, snapshot};

fn main() -> ExitCode {
    // `--exact` runs cargo with this binary as its rustc wrapper.
    if exact::wrapper::invoked() {
        return ExitCode::from(u8::try_from(exact::wrapper::main()).unwrap_or(101));
    }
    let cli = Cli::parse();
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

/// The static analysis merged with rustc's numbers (`--exact`), or a usage error.
fn analyze_exact(
    input: &layout_cli::cli::InputArgs,
) -> Result<layout_cli::analysis::Analysis, i32> {
    let (a, outcome, _) = exact::analyze_exact(
        &input.paths(),
        &input.targets,
        input.all_platforms,
        Vec::new(),
    )
    .map_err(|msg| usage_error(&msg))?;
    if let Some(note) = &outcome.toolchain_note {
        eprintln!("note: {note}");
    }
    Ok(a)
}

fn report(args: &ReportArgs) -> i32 {
    let analysis = if args.exact {
        match analyze_exact(&args.input) {
            Ok(a) => a,
            Err(code) => return code,
        }
    } else {
        let targets = match args.input.target_rows() {
            Ok(t) => t,
            Err(msg) => return usage_error(&msg),
        };
        let mut a = layout_cli::analyze(&args.input.paths(), &targets);
        diag::diagnose(&mut a);
        a
    };
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
            print_errors(&[e]);
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

fn run_fix(cmd: &FixCmd) -> i32 {
    let targets = match cmd.input.target_rows() {
        Ok(t) => t,
        Err(msg) => return usage_error(&msg),
    };
    let args = fix::FixArgs {
        paths: cmd.input.paths(),
        targets: targets.iter().map(|t| t.triple.to_string()).collect(),
        dry_run: cmd.dry_run,
        all: cmd.all,
    };
    let outcome = fix::run(&args);
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

fn run_snapshot(cmd: &SnapshotCmd) -> i32 {
    if cmd.exact {
        let a = match analyze_exact(&cmd.input) {
            Ok(a) => a,
            Err(code) => return code,
        };
        if !a.errors.is_empty() {
            print_errors(&a.errors);
            eprintln!("no lockfile written");
            return exit::ERROR;
        }
        return match snapshot::write(&cmd.output, &a) {
            Ok(n) => {
                eprintln!("wrote {n} layouts to {}", render::display_path(&cmd.output));
                exit::CLEAN
            }
            Err(e) => {
                print_errors(&[e]);
                exit::ERROR
            }
        };
    }
    let targets = match cmd.input.target_rows() {
        Ok(t) => t,
        Err(msg) => return usage_error(&msg),
    };
    let args = snapshot::SnapshotArgs {
        paths: cmd.input.paths(),
        targets: targets.iter().map(|t| t.triple.to_string()).collect(),
        all_targets: false,
        output: cmd.output.clone(),
    };
    match snapshot::run(&args) {
        Ok(n) => {
            eprintln!("wrote {n} layouts to {}", render::display_path(&cmd.output));
            exit::CLEAN
        }
        Err(e) => {
            print_errors(&[e]);
            exit::ERROR
        }
    }
}

/// `verify`: static and rustc's numbers side by side; 1 on any `model-mismatch`.
fn verify(cmd: &VerifyCmd) -> i32 {
    let a = match analyze_exact(&cmd.input) {
        Ok(a) => a,
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
