//! One UI test per diagnostic: the `.stderr` files are what users see.
//!
//! Host only: rule messages end with the target they were evaluated for
//! ("(target x86_64-linux)"), so the expected output is that of x86_64 Linux. Other
//! targets are covered by `tests/tests/per_target.rs` in the `layout-tests` crate.
//! Regenerate with `TRYBUILD=overwrite cargo test -p layout-derive --test ui` and
//! review the diff.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[test]
fn grammar() {
    trybuild::TestCases::new().compile_fail("tests/ui/grammar/*.rs");
}

#[test]
fn rules() {
    trybuild::TestCases::new().compile_fail("tests/ui/rules/*.rs");
}

#[test]
fn pass() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}
