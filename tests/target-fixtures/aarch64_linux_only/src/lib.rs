//! An aarch64-only field pushes `hot` to offset 64: line 1 of aarch64 Linux's 64-byte
//! lines (fails with `wrong-line`), still line 0 of Apple's 128-byte lines, and absent
//! on x86_64. So this fails on aarch64-unknown-linux-gnu only.
#![no_std]
#![allow(dead_code)]

use core::sync::atomic::AtomicU64;
use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C, align(64))]
struct Counters {
    cold: [u8; 56],
    #[cfg(target_arch = "aarch64")]
    arch_extra: u64,
    #[layout(line = 0)]
    hot: AtomicU64,
}
