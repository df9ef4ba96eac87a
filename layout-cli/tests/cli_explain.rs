//! `layout-cli explain`: every code, one code, an unknown code.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run layout-cli");
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn lists_every_code_once() {
    let (code, out, _) = run(&["explain"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("explain_all", out);
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let all: Vec<&str> = layout::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, all);
}

#[test]
fn explains_one_code() {
    let (code, out, _) = run(&["explain", "false-sharing"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("explain_false_sharing", out);
    assert!(out.starts_with("false-sharing (error)\n"));
    assert!(out.lines().all(|l| l.chars().count() <= 80));
}

#[test]
fn unknown_code_is_exit_two() {
    let (code, out, err) = run(&["explain", "bogus"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("unknown code `bogus`") && err.contains("padding-waste"));
}

#[test]
fn closed_stdout_exits_quietly() {
    // A pipe whose reading end is already closed: every write fails with EPIPE.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .arg("explain")
        .stdout(writer)
        .output()
        .expect("run layout-cli");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
