//! On any failure the original file stays untouched: a re-analysis that disagrees with
//! the plan, a write error, a file changed while fix ran, an unparsable file.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use layout::target::TargetInfo;
use layout_cli::analysis::Analysis;
use layout_cli::fix::{self, FixArgs, FixOutcome};

const SRC: &str = "\
#[derive(CacheLayout)]
#[repr(C)]
pub struct S {
    a: u8, // first
    b: u64,
    c: u8,
}
";

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.rs");
    std::fs::write(&file, SRC).unwrap();
    (dir, file)
}

fn args(file: &Path) -> FixArgs {
    FixArgs {
        paths: vec![file.to_path_buf()],
        targets: vec!["x86_64-linux".into()],
        dry_run: false,
        all: false,
    }
}

/// The real engine on the first call; `second` changes what the re-analysis sees.
fn run_with_reanalysis(
    file: &Path,
    second: impl Fn(&mut Analysis, &[PathBuf]) + Sync,
) -> FixOutcome {
    let calls = AtomicUsize::new(0);
    let analyzer = |paths: &[PathBuf], targets: &[&'static TargetInfo]| {
        let mut a = layout_cli::analyze(paths, targets);
        if calls.fetch_add(1, Ordering::SeqCst) + 1 == 2 {
            second(&mut a, paths);
        }
        a
    };
    let out = fix::run_with(&args(file), &analyzer, &fix::write::atomic_write);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "fix re-analyses once before writing"
    );
    out
}

fn assert_untouched(dir: &Path, file: &Path, out: &FixOutcome) {
    assert_eq!(std::fs::read_to_string(file).unwrap(), SRC);
    assert!(out.changed.is_empty());
    assert!(!out.errors.is_empty());
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        1,
        "a temp file was left behind"
    );
}

#[test]
fn the_happy_path_writes() {
    let (_dir, file) = setup();
    let out = run_with_reanalysis(&file, |_, _| {});
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.changed, vec![file.clone()]);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("a: u8, // first\n    c: u8,\n    b: u64,\n}")
    );
}

#[test]
fn reanalysis_with_a_different_size_writes_nothing() {
    let (dir, file) = setup();
    let out = run_with_reanalysis(&file, |a, _| {
        for s in &mut a.structs {
            s.size = s.size.map(|n| n + 8);
        }
    });
    assert_untouched(dir.path(), &file, &out);
    assert!(
        out.errors[0].message.contains("re-analysis"),
        "{:?}",
        out.errors
    );
}

#[test]
fn reanalysis_with_an_input_error_writes_nothing() {
    let (dir, file) = setup();
    let out = run_with_reanalysis(&file, |a, paths| {
        a.errors.push(layout_cli::analysis::FileError {
            file: paths[0].clone(),
            line: Some(1),
            column: None,
            message: "injected".into(),
        });
    });
    assert_untouched(dir.path(), &file, &out);
}

#[test]
fn reanalysis_that_breaks_intent_writes_nothing() {
    let (dir, file) = setup();
    let out = run_with_reanalysis(&file, |a, _| {
        for s in &mut a.structs {
            s.expect.size = Some(1);
        }
    });
    assert_untouched(dir.path(), &file, &out);
    assert!(
        out.errors
            .iter()
            .any(|e| e.message.contains("size-mismatch")),
        "{:?}",
        out.errors
    );
}

#[test]
fn a_file_changed_while_fix_ran_is_not_overwritten() {
    let (dir, file) = setup();
    let f = file.clone();
    let out = run_with_reanalysis(&file, move |_, _| {
        std::fs::write(&f, format!("{SRC}// edited\n")).unwrap();
    });
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{SRC}// edited\n")
    );
    assert!(out.changed.is_empty());
    assert!(out.errors[0].message.contains("changed while fix ran"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_write_error_leaves_the_original() {
    let (dir, file) = setup();
    let failing = |_: &Path, _: &str| -> io::Result<()> { Err(io::Error::other("disk full")) };
    let out = fix::run_with(&args(&file), &layout_cli::analyze, &failing);
    assert_untouched(dir.path(), &file, &out);
    assert!(out.errors[0].message.contains("disk full"));
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_leaves_the_original() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let (dir, file) = setup();
    let perms = |mode| std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode));
    let root = std::fs::metadata(dir.path()).unwrap().uid() == 0;
    if root {
        // Root ignores directory permissions: run the binary as `nobody`, owner of the
        // file, in a directory it may not write.
        for p in [dir.path(), file.as_path()] {
            std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
        }
        perms(0o555).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_layout-cli"))
            .args(["fix", "--target", "x86_64-linux"])
            .arg(&file)
            .gid(65534)
            .uid(65534)
            .output()
            .unwrap();
        perms(0o755).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("s.rs: error: cannot write ("), "{stderr}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), SRC);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        return;
    }
    perms(0o555).unwrap();
    let out = fix::run(&args(&file));
    perms(0o755).unwrap();
    assert_untouched(dir.path(), &file, &out);
    assert!(
        out.errors[0].message.contains("cannot write"),
        "{:?}",
        out.errors
    );
}

/// One file whose re-analysis disagrees is named, with the cause, and the others are
/// still written.
#[test]
fn one_failing_file_is_named_and_the_others_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.rs");
    let b = dir.path().join("b.rs");
    let c = dir.path().join("c.rs");
    for p in [&a, &b, &c] {
        std::fs::write(p, SRC).unwrap();
    }
    let calls = AtomicUsize::new(0);
    let analyzer = |paths: &[PathBuf], targets: &[&'static TargetInfo]| {
        let mut a = layout_cli::analyze(paths, targets);
        if calls.fetch_add(1, Ordering::SeqCst) > 0 {
            for s in &mut a.structs {
                if s.file.ends_with("b.rs") {
                    s.size = Some(40);
                }
            }
        }
        a
    };
    let out = fix::run_with(
        &FixArgs {
            paths: vec![dir.path().to_path_buf()],
            ..args(&a)
        },
        &analyzer,
        &fix::write::atomic_write,
    );
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].file, b);
    assert_eq!(
        out.errors[0].message,
        "re-analysis of the fixed text failed (S on x86_64-unknown-linux-gnu: size Some(40) \
         after the rewrite, planned 16); file left untouched"
    );
    assert_eq!(out.changed, vec![a.clone(), c.clone()]);
    assert_eq!(std::fs::read_to_string(&b).unwrap(), SRC);
    for p in [&a, &c] {
        assert!(
            std::fs::read_to_string(p)
                .unwrap()
                .contains("    c: u8,\n    b: u64,\n}")
        );
    }
    // The first run, one re-analysis of all three, one of the two left.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// fix parses and analyses on its own large stack: next to a struct with an array type
/// nested 120 deep (under the parser's limit; it overflows a 2 MiB stack in a debug
/// build) the other struct is fixed from a 2 MiB test thread, and deeper nesting is an
/// error, never a stack overflow.
#[test]
fn deep_nesting_is_fixed_or_refused_on_a_small_caller_stack() {
    let (dir, file) = setup();
    let text = format!(
        "{SRC}pub struct D {{ x: {}u8{} }}\n",
        "[".repeat(120),
        "; 1]".repeat(120)
    );
    std::fs::write(&file, &text).unwrap();
    let out = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn({
            let file = file.clone();
            move || fix::run(&args(&file))
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.changed, vec![file.clone()], "{:?}", out.notes);
    let text = format!(
        "{SRC}pub const DEEP: u8 = {}1{};\n",
        "{".repeat(400),
        "}".repeat(400)
    );
    std::fs::write(dir.path().join("s.rs"), &text).unwrap();
    let out = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || fix::run(&args(&file)))
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(
        out.errors[0].message.contains("nesting deeper than"),
        "{:?}",
        out.errors
    );
}

#[test]
fn unparsable_and_missing_files_are_errors_not_panics() {
    let (dir, file) = setup();
    std::fs::write(&file, "struct S { a: }\n").unwrap();
    let out = fix::run(&args(&file));
    assert!(!out.errors.is_empty());
    assert!(out.changed.is_empty() && out.diff.is_empty());
    let out = fix::run(&args(&dir.path().join("missing.rs")));
    assert!(!out.errors.is_empty());
    let out = fix::run(&FixArgs {
        targets: vec!["no-such-target".into()],
        ..args(&file)
    });
    assert!(out.errors[0].message.contains("unknown target"));
}
