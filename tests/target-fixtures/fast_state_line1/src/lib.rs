//! Issue 2's FastState, verbatim: `v` is on line 1 of 64-byte lines (x86_64, aarch64
//! Linux, Windows) but on line 0 of Apple's 128-byte lines, so
//! `cargo check --target aarch64-apple-darwin` must fail with `wrong-line`.
#![no_std]
#![allow(dead_code)]

use core::sync::atomic::AtomicU64;
use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(size = 128)]
struct FastState {
    #[layout(pad)]
    _before: [u8; 64],
    #[layout(line = 1, isolated)]
    v: AtomicU64,
    #[layout(pad)]
    _after: [u8; 56],
}
