//! `#[layout(allow(code))]` on a struct with the derive (the derive accepts it: see
//! layout-derive's `tests/ui/pass/allow_and_macros.rs`) silences that code in the report,
//! read through the same attribute grammar the derive uses.

use std::process::Command;

fn report(src: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lib.rs");
    std::fs::write(&file, src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(["report", "--target", "x86_64-linux", "--quiet"])
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

const WASTEFUL: &str = "#[repr(C)]\nstruct S { a: u8, b: u64, c: u8 }\n";

#[test]
fn layout_allow_on_a_derived_struct_silences_padding_waste() {
    let (code, out) = report(&format!("#[derive(CacheLayout)]\n{WASTEFUL}"));
    assert_eq!(code, 0);
    assert!(out.contains("warning[padding-waste]"), "{out}");
    let (code, out) = report(&format!(
        "#[derive(CacheLayout)]\n#[layout(allow(padding_waste))]\n{WASTEFUL}"
    ));
    assert_eq!(code, 0);
    assert!(!out.contains("padding-waste]"), "{out}");
    assert!(out.contains("1 allowed"), "{out}");
}
