//! `rustc --print cfg` answers are kept in the target directory between runs: a second
//! run with the same toolchain, target and flags asks rustc only for its sysroot, and a
//! change of flags (a `--cfg` in `RUSTFLAGS`) is a new key, asked again and honoured.
//!
//! rustc is observed through `RUSTC`: a script that logs its arguments and runs the real
//! compiler (cargo metadata uses it too; its own calls are told apart by their form,
//! `--print=cfg` or `-vV`).
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

mod support;
use support::write;

/// The real rustc, as the `rustc` on `PATH` (or `RUSTC`) resolves it.
fn real_rustc() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc");
    let sysroot = String::from_utf8(out.stdout).unwrap().trim().to_string();
    format!("{sysroot}/bin/rustc")
}

/// The `rustc --print cfg --target T` calls layout-cli made (one line each).
fn cfg_calls(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("--print cfg --target "))
        .map(str::to_owned)
        .collect()
}

fn report(dir: &Path, rustc: &Path, rustflags: Option<&str>) -> (String, String) {
    let mut cmd = support::report_cmd(dir);
    cmd.env("RUSTC", rustc)
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    match rustflags {
        Some(f) => cmd.env("RUSTFLAGS", f),
        None => cmd.env_remove("RUSTFLAGS"),
    };
    let out = cmd.output().expect("run layout-cli");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

#[test]
fn cfg_answers_are_reused_and_a_flag_change_asks_again() {
    let (tmp, dir) = support::package(
        "pub struct Always(pub u8);\n\
         #[cfg(layout_cache_probe)]\npub struct Probed(pub u64);\n",
    );
    let log = tmp.path().join("rustc.log");
    let wrapper = tmp.path().join("rustc-logging");
    write(
        tmp.path(),
        "rustc-logging",
        &format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real_rustc()
        ),
    );
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let (first, _) = report(&dir, &wrapper, None);
    let mut asked = cfg_calls(&log);
    asked.sort();
    assert_eq!(asked.len(), 2, "one call per target: {asked:?}");
    assert!(asked[0].starts_with("--print cfg --target aarch64-apple-darwin"));
    assert!(asked[1].starts_with("--print cfg --target x86_64-unknown-linux-gnu"));
    let stored = std::fs::read_dir(dir.join("target/layout-cli/rustc-cfg"))
        .expect("answers stored in the target directory")
        .count();
    assert_eq!(stored, 2);

    std::fs::write(&log, "").unwrap();
    let (second, _) = report(&dir, &wrapper, None);
    assert_eq!(
        cfg_calls(&log),
        Vec::<String>::new(),
        "answered from the cache"
    );
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("--print sysroot"), "{log_text}");
    assert_eq!(first, second, "the same report");
    assert!(!first.contains("\"Probed\""), "{first}");

    std::fs::write(&log, "").unwrap();
    let (third, _) = report(&dir, &wrapper, Some("--cfg layout_cache_probe"));
    assert_eq!(cfg_calls(&log).len(), 2, "new flags, new keys");
    assert!(third.contains("\"name\": \"Probed\""), "{third}");

    // A removed cache directory only costs the calls again.
    std::fs::remove_dir_all(dir.join("target/layout-cli")).unwrap();
    std::fs::write(&log, "").unwrap();
    let (fourth, _) = report(&dir, &wrapper, None);
    assert_eq!(cfg_calls(&log).len(), 2);
    assert_eq!(first, fourth);
}
