//! Scratch cargo packages for the integration tests that run layout-cli on one.

use std::path::{Path, PathBuf};

/// Writes `text` to `root/rel`, creating its directories.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A package `p` (its own workspace) in a fresh temporary directory, with `lib` as
/// `src/lib.rs`; the directory lives as long as the returned guard.
pub fn package(lib: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    write(
        &dir,
        "Cargo.toml",
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    write(&dir, "src/lib.rs", lib);
    (tmp, dir)
}

/// `layout-cli report` of the package in `dir` for x86_64 Linux and aarch64 macOS, JSON
/// out, cargo's target directory the package's own.
pub fn report_cmd(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_layout-cli"));
    cmd.args([
        "report",
        "--manifest-path",
        "Cargo.toml",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--target",
        "aarch64-apple-darwin",
        "--format",
        "json",
    ])
    .current_dir(dir)
    .env_remove("CARGO_TARGET_DIR");
    cmd
}
