//! `c_long` is 8 bytes on 64-bit Linux and macOS but 4 on Windows (LLP64), so this
//! passes on Linux and macOS and fails with `size-mismatch` on both Windows targets.
#![no_std]
#![allow(dead_code)]

use core::ffi::c_long;
use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 16)]
struct Longs {
    a: c_long,
    b: c_long,
}
