//! Fixtures that pass on some targets and must fail on others, proved by compiling
//! each one with `cargo check --target T` for every CI target and asserting the
//! outcome and the message (rule code, struct, field, numbers, target, location).
//!
//! Host only: this drives cargo and rustc's cross targets, which exist on the x86_64
//! Linux CI host, not inside the qemu or wine runs of this crate's other tests.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-pc-windows-msvc",
    "x86_64-pc-windows-gnu",
    "aarch64-apple-darwin",
];

struct Case {
    fixture: &'static str,
    /// Targets where the check must fail; it must pass on the others.
    fails_on: &'static [&'static str],
    /// Text the error must contain, besides `(target <short name>)`.
    message: &'static [&'static str],
    /// Source text of the line the error must point at.
    points_at: &'static str,
}

const CASES: &[Case] = &[
    Case {
        fixture: "fast_state_line1",
        fails_on: &["aarch64-apple-darwin"],
        message: &[
            "evaluation panicked: [wrong-line] FastState::v starts at offset 64, on line 0 of \
             128-byte lines; #[layout(line = 1)] expects line 1",
        ],
        points_at: "#[layout(line = 1, isolated)]",
    },
    Case {
        fixture: "c_long_size",
        fails_on: &["x86_64-pc-windows-msvc", "x86_64-pc-windows-gnu"],
        message: &[
            "evaluation panicked: [size-mismatch] Longs is 8 bytes; #[layout(size = 16)] expects 16",
        ],
        points_at: "#[layout(size = 16)]",
    },
    Case {
        fixture: "aarch64_linux_only",
        fails_on: &["aarch64-unknown-linux-gnu"],
        message: &[
            "evaluation panicked: [wrong-line] Counters::hot starts at offset 64, on line 1 of \
             64-byte lines; #[layout(line = 0)] expects line 0",
        ],
        points_at: "#[layout(line = 0)]",
    },
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target-fixtures")
}

/// 1-based line of `needle` in the fixture's `src/lib.rs`.
fn line_of(fixture: &str, needle: &str) -> usize {
    let src = std::fs::read_to_string(fixtures_dir().join(fixture).join("src/lib.rs"))
        .expect("fixture source");
    src.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{fixture}: no line contains {needle:?}"))
        + 1
}

/// Copies the fixture to `work/<fixture>` with its `layout` dependency made absolute
/// and the workspace's Cargo.lock beside it: the same dependency versions, no network,
/// and no Cargo.lock left in the source tree.
fn stage(fixture: &str, work: &Path) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = fixtures_dir().join(fixture);
    let dst = work.join(fixture);
    std::fs::create_dir_all(dst.join("src")).expect("create fixture dir");
    let layout = here.join("../layout").canonicalize().expect("layout crate");
    let manifest = std::fs::read_to_string(src.join("Cargo.toml")).expect("fixture manifest");
    let manifest = manifest.replace("\"../../../layout\"", &format!("{:?}", layout));
    assert!(
        manifest.contains(&format!("{:?}", layout)),
        "{fixture}: layout path not rewritten"
    );
    std::fs::write(dst.join("Cargo.toml"), manifest).expect("write manifest");
    std::fs::copy(src.join("src/lib.rs"), dst.join("src/lib.rs")).expect("copy source");
    if !dst.join("Cargo.lock").exists() {
        // Best effort: without it cargo resolves from the registry cache.
        let _ = std::fs::copy(here.join("../Cargo.lock"), dst.join("Cargo.lock"));
    }
    dst
}

fn check(dir: &Path, target: &str, target_dir: &Path) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["check", "--quiet", "--color=never", "--target", target])
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run cargo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fixtures_pass_and_fail_on_the_right_targets() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("per-target");
    // One target dir for all fixtures: `layout` is built once per target.
    let target_dir = work.join("target");
    let dirs: Vec<PathBuf> = CASES.iter().map(|c| stage(c.fixture, &work)).collect();
    let mut failures = Vec::new();
    for target in TARGETS {
        let short = layout::target::find(target)
            .expect("target in the table")
            .short;
        for (case, dir) in CASES.iter().zip(&dirs) {
            let (ok, stderr) = check(dir, target, &target_dir);
            let must_fail = case.fails_on.contains(target);
            let what = format!("{} on {target}", case.fixture);
            if ok == must_fail {
                failures.push(format!(
                    "{what}: expected {}, got {}:\n{stderr}",
                    if must_fail { "failure" } else { "success" },
                    if ok { "success" } else { "failure" }
                ));
                continue;
            }
            if !must_fail {
                continue;
            }
            let location = format!("--> src/lib.rs:{}:", line_of(case.fixture, case.points_at));
            let target_note = format!("(target {short})");
            for want in case.message.iter().copied().chain([
                target_note.as_str(),
                location.as_str(),
                case.points_at,
            ]) {
                if !stderr.contains(want) {
                    failures.push(format!("{what}: stderr lacks {want:?}:\n{stderr}"));
                }
            }
            if stderr.matches("error[E0080]").count() != 1 {
                failures.push(format!("{what}: expected exactly one error:\n{stderr}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
