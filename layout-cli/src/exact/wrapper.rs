//! The `RUSTC_WORKSPACE_WRAPPER` side: cargo runs `layout-cli <rustc> <args...>` for
//! each workspace crate. The wrapper runs that command unchanged (so cargo sees the
//! normal build), then, for a crate root it has a shadow copy of, runs it again on the
//! shadow (the same files plus probes) into a scratch directory, and saves rustc's JSON
//! diagnostics for the parent `layout-cli` to read. Relative paths, workspace
//! inheritance, `OUT_DIR` and the build scripts' cfgs all stay exactly as cargo set them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// Names the plan file; set only on the `cargo check` that `exact` starts.
pub const PLAN_ENV: &str = "LAYOUT_CLI_EXACT_PLAN";

/// What the wrapper needs to know, written by the parent as JSON.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Crate roots to shadow: (absolute path cargo passes, absolute shadow path).
    pub roots: Vec<(PathBuf, PathBuf)>,
    /// Where to write `<n>.jsonl` diagnostics, one file per shadow run.
    pub out_dir: PathBuf,
}

/// Whether this process was started by cargo as the wrapper.
pub fn invoked() -> bool {
    std::env::var_os(PLAN_ENV).is_some() && std::env::args_os().len() >= 2
}

/// Runs as the wrapper; returns the exit code of the user's own rustc command.
pub fn main() -> i32 {
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        return 2;
    };
    let args: Vec<std::ffi::OsString> = args.collect();
    // The shadow run starts first and runs beside the user's command: for the last
    // crate of a build (usually the big one) the second core is otherwise idle.
    let shadow = std::env::var_os(PLAN_ENV)
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<Plan>(&b).ok())
        .and_then(|plan| {
            let text: Vec<String> = args
                .iter()
                .filter_map(|a| a.to_str().map(str::to_string))
                .collect();
            let (root, shadow_args) = shadow_args(&plan, &text)?;
            let _ = std::fs::create_dir_all(plan.out_dir.join("meta"));
            let child = Command::new(&rustc)
                .args(&shadow_args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .ok()?;
            Some((plan, root, child))
        });
    let status = Command::new(&rustc).args(&args).status();
    if let Err(e) = &status {
        eprintln!("layout-cli (rustc wrapper): cannot run {rustc:?}: {e}");
    }
    let ok = status.as_ref().is_ok_and(|s| s.success());
    if let Some((plan, root, mut child)) = shadow {
        if ok {
            if let Ok(out) = child.wait_with_output() {
                save(&plan, &root, &out.stderr);
            }
        } else {
            // The crate does not compile: its numbers stay the static engine's.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    status.ok().and_then(|s| s.code()).unwrap_or(101)
}

/// The user's arguments rewritten for the shadow run, or `None` if this invocation is
/// not one of the planned crate roots (a build script, a query, another crate).
pub fn shadow_args(plan: &Plan, args: &[String]) -> Option<(PathBuf, Vec<String>)> {
    let cwd = std::env::current_dir().ok()?;
    let input = args
        .iter()
        .position(|a| a.ends_with(".rs") && !a.starts_with('-'))?;
    let abs = cwd.join(&args[input]);
    let (_, shadow) = plan.roots.iter().find(|(root, _)| same(root, &abs))?;
    let scratch = plan.out_dir.join("meta");
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if i == input {
            out.push(shadow.to_string_lossy().into_owned());
        } else if a == "--out-dir" || a == "-o" {
            i += 1;
        } else if a.starts_with("--emit")
            || a.starts_with("--json")
            || a.starts_with("--error-format")
        {
            if !a.contains('=') {
                i += 1;
            }
        } else if a == "-C"
            && args
                .get(i + 1)
                .is_some_and(|n| n.starts_with("incremental="))
        {
            i += 1;
        } else if a.starts_with("-Cincremental=") {
        } else {
            out.push(a.clone());
        }
        i += 1;
    }
    out.extend([
        "--emit=metadata".to_string(),
        "--error-format=json".to_string(),
        "--out-dir".to_string(),
        scratch.to_string_lossy().into_owned(),
    ]);
    Some((shadow.clone(), out))
}

fn same(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

/// Saves one shadow run's diagnostics: a header naming the root, then rustc's JSON
/// lines. One file per run; the process id keeps crates checked in parallel apart.
fn save(plan: &Plan, root: &Path, stderr: &[u8]) {
    let mut text = serde_json::json!({ "layout_cli_root": root }).to_string();
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(stderr));
    let name = format!("{}.jsonl", std::process::id());
    let _ = std::fs::write(plan.out_dir.join(name), text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_planned_roots_are_shadowed_and_outputs_redirected() {
        let cwd = std::env::current_dir().unwrap();
        let plan = Plan {
            roots: vec![(cwd.join("src/lib.rs"), PathBuf::from("/s/src/lib.rs"))],
            out_dir: PathBuf::from("/o"),
        };
        let args: Vec<String> = [
            "--crate-name",
            "x",
            "--edition=2021",
            "src/lib.rs",
            "--error-format=json",
            "--json=diagnostic-rendered-ansi,artifacts",
            "--emit=dep-info,metadata",
            "-C",
            "incremental=/t/inc",
            "--out-dir",
            "/t/deps",
            "--cfg",
            "has_x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (shadow, s) = shadow_args(&plan, &args).unwrap();
        assert_eq!(shadow, PathBuf::from("/s/src/lib.rs"));
        assert_eq!(
            s,
            [
                "--crate-name",
                "x",
                "--edition=2021",
                "/s/src/lib.rs",
                "--cfg",
                "has_x",
                "--emit=metadata",
                "--error-format=json",
                "--out-dir",
                "/o/meta"
            ]
        );
        let build_script: Vec<String> = ["--crate-name", "build_script_build", "build.rs"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(shadow_args(&plan, &build_script), None);
        assert_eq!(shadow_args(&plan, &["-vV".to_string()]), None);
    }
}
