//! `layout::target::CURRENT` is the row of the target the tests were built for: the
//! derive's default line size comes from it, so a wrong row would check the wrong rule.

use layout::target::CURRENT;

fn expected_short() -> &'static str {
    if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        "x86_64-linux"
    } else if cfg!(all(target_arch = "aarch64", target_os = "linux")) {
        "aarch64-linux"
    } else if cfg!(all(
        target_arch = "x86_64",
        target_os = "windows",
        target_env = "msvc"
    )) {
        "x86_64-windows-msvc"
    } else if cfg!(all(
        target_arch = "x86_64",
        target_os = "windows",
        target_env = "gnu"
    )) {
        "x86_64-windows-gnu"
    } else if cfg!(all(target_arch = "aarch64", target_os = "macos")) {
        "aarch64-macos"
    } else {
        "not a CI target"
    }
}

#[test]
fn current_row_is_this_target() {
    assert_eq!(CURRENT.short, expected_short());
    const { assert!(CURRENT.known, "no table row for this target") };
    let line = if cfg!(target_vendor = "apple") {
        128
    } else {
        64
    };
    assert_eq!(CURRENT.cache_line, line);
    assert_eq!(CURRENT.prefetch_span, 128);
    assert_eq!(CURRENT.pointer_size, size_of::<usize>());
    assert_eq!(CURRENT.c_long, size_of::<core::ffi::c_long>());
}
