//! The target table: one row per target, each number citing where it comes from.
//!
//! The derive's generated code reads [`CURRENT`], which is chosen with `cfg!` and so is
//! evaluated by rustc for the target being built (the proc macro itself runs on the
//! host and cannot know the target). layout-cli reads [`TARGETS`].
//!
//! Sources cited below:
//! - `[intel-opt]` Intel 64 and IA-32 Architectures Optimization Reference Manual,
//!   "Data Prefetching": 64-byte lines; the L2 spatial prefetcher completes every line
//!   to its 128-byte aligned pair.
//! - `[linux-arm64]` Linux `arch/arm64/include/asm/cache.h`: `L1_CACHE_SHIFT 6` (64-byte
//!   lines); `ARCH_DMA_MINALIGN 128` because some parts have 128-byte writeback granules.
//! - `[linux-arm]` Linux `arch/arm/mm/Kconfig`: `ARM_L1_CACHE_SHIFT` is 6 for ARMv7.
//! - `[linux-s390]` Linux `arch/s390/include/asm/cache.h`: `L1_CACHE_BYTES 256`.
//! - `[apple-m1]` `sysctl hw.cachelinesize` on Apple M-series: 128.
//! - `[crossbeam]` crossbeam-utils `src/cache_padded.rs`: pads to 128 on x86_64 and
//!   aarch64 (prefetch pairs; Apple's 128-byte lines), 256 on s390x.
//! - `[llvm-dl]` the target's LLVM data-layout string in rustc's target spec
//!   (`rustc --print target-spec-json -Z unstable-options`): `i64:32` on i686 Linux,
//!   `i128:128` on x86 since Rust 1.77, no `i128` entry (so 8) on armv7 and s390x.
//! - `[c-abi]` the platform C ABI: `long` is 32 bits on Windows (LLP64) and on 32-bit
//!   targets, 64 bits on 64-bit Unix (LP64).

/// Layout facts for one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetInfo {
    /// The rustc target triple.
    pub triple: &'static str,
    /// A short name used in messages (`x86_64-linux`).
    pub short: &'static str,
    /// `cfg(target_arch)`.
    pub arch: &'static str,
    /// `cfg(target_os)`.
    pub os: &'static str,
    /// `cfg(target_env)`.
    pub env: &'static str,
    /// `size_of::<usize>()` and of thin pointers.
    pub pointer_size: usize,
    /// `align_of::<u64>()` (also `i64`, `f64`).
    pub align_u64: usize,
    /// `align_of::<u128>()` (also `i128`).
    pub align_u128: usize,
    /// `size_of::<core::ffi::c_long>()` (and its alignment).
    pub c_long: usize,
    /// Cache-line size the line rules use by default.
    pub cache_line: usize,
    /// Bytes the prefetcher pulls in together (`adjacent-line`).
    pub prefetch_span: usize,
    /// Whether this row describes the target exactly (`false`: the fallback row for a
    /// target the table does not list, built from `cfg!` alone).
    pub known: bool,
    /// Where the numbers come from (see the module docs for the keys).
    pub source: &'static str,
}

/// `x86_64-unknown-linux-gnu`.
pub const X86_64_LINUX: TargetInfo = TargetInfo {
    triple: "x86_64-unknown-linux-gnu",
    short: "x86_64-linux",
    arch: "x86_64",
    os: "linux",
    env: "gnu",
    pointer_size: 8,
    align_u64: 8,
    align_u128: 16,
    c_long: 8,
    cache_line: 64,
    prefetch_span: 128,
    known: true,
    source: "[intel-opt] line 64, prefetch pair 128; [llvm-dl] i128:128; [c-abi] LP64",
};

/// `aarch64-unknown-linux-gnu`.
pub const AARCH64_LINUX: TargetInfo = TargetInfo {
    triple: "aarch64-unknown-linux-gnu",
    short: "aarch64-linux",
    arch: "aarch64",
    os: "linux",
    env: "gnu",
    pointer_size: 8,
    align_u64: 8,
    align_u128: 16,
    c_long: 8,
    cache_line: 64,
    prefetch_span: 128,
    known: true,
    source: "[linux-arm64] line 64, DMA granule 128; [crossbeam] 128; [llvm-dl] i128:128; [c-abi] LP64",
};

/// `aarch64-apple-darwin`.
pub const AARCH64_MACOS: TargetInfo = TargetInfo {
    triple: "aarch64-apple-darwin",
    short: "aarch64-macos",
    arch: "aarch64",
    os: "macos",
    env: "",
    pointer_size: 8,
    align_u64: 8,
    align_u128: 16,
    c_long: 8,
    cache_line: 128,
    prefetch_span: 128,
    known: true,
    source: "[apple-m1] line 128; [crossbeam] 128; [llvm-dl] i128:128; [c-abi] LP64",
};

/// `x86_64-pc-windows-msvc`.
pub const X86_64_WINDOWS_MSVC: TargetInfo = TargetInfo {
    triple: "x86_64-pc-windows-msvc",
    short: "x86_64-windows-msvc",
    arch: "x86_64",
    os: "windows",
    env: "msvc",
    pointer_size: 8,
    align_u64: 8,
    align_u128: 16,
    c_long: 4,
    cache_line: 64,
    prefetch_span: 128,
    known: true,
    source: "[intel-opt] line 64, prefetch pair 128; [llvm-dl] i128:128; [c-abi] LLP64",
};

/// `x86_64-pc-windows-gnu`: the same layout facts as MSVC; CI runs its tests under wine.
pub const X86_64_WINDOWS_GNU: TargetInfo = TargetInfo {
    triple: "x86_64-pc-windows-gnu",
    short: "x86_64-windows-gnu",
    env: "gnu",
    ..X86_64_WINDOWS_MSVC
};

/// `i686-unknown-linux-gnu`: the one common target where `u64` is 4-aligned.
pub const I686_LINUX: TargetInfo = TargetInfo {
    triple: "i686-unknown-linux-gnu",
    short: "i686-linux",
    arch: "x86",
    os: "linux",
    env: "gnu",
    pointer_size: 4,
    align_u64: 4,
    align_u128: 16,
    c_long: 4,
    cache_line: 64,
    prefetch_span: 128,
    known: true,
    source: "[intel-opt] line 64, prefetch pair 128; [llvm-dl] i64:32, i128:128; [c-abi] ILP32",
};

/// `armv7-unknown-linux-gnueabihf`.
pub const ARMV7_LINUX: TargetInfo = TargetInfo {
    triple: "armv7-unknown-linux-gnueabihf",
    short: "armv7-linux",
    arch: "arm",
    os: "linux",
    env: "gnu",
    pointer_size: 4,
    align_u64: 8,
    align_u128: 8,
    c_long: 4,
    cache_line: 64,
    prefetch_span: 64,
    known: true,
    source: "[linux-arm] line 64 on ARMv7; [llvm-dl] i64:64, no i128 entry; [c-abi] ILP32",
};

/// `s390x-unknown-linux-gnu`.
pub const S390X_LINUX: TargetInfo = TargetInfo {
    triple: "s390x-unknown-linux-gnu",
    short: "s390x-linux",
    arch: "s390x",
    os: "linux",
    env: "gnu",
    pointer_size: 8,
    align_u64: 8,
    align_u128: 8,
    c_long: 8,
    cache_line: 256,
    prefetch_span: 256,
    known: true,
    source: "[linux-s390] line 256; [crossbeam] 256; [llvm-dl] no i128 entry; [c-abi] LP64",
};

/// Every target the table describes. The first four are the ones CI verifies the
/// event loop on (x86_64 and aarch64 Linux, Windows, macOS).
pub const TARGETS: &[TargetInfo] = &[
    X86_64_LINUX,
    AARCH64_LINUX,
    X86_64_WINDOWS_MSVC,
    AARCH64_MACOS,
    X86_64_WINDOWS_GNU,
    I686_LINUX,
    ARMV7_LINUX,
    S390X_LINUX,
];

/// Finds a row by triple or short name.
pub const fn find(name: &str) -> Option<&'static TargetInfo> {
    let mut i = 0;
    while i < TARGETS.len() {
        if str_eq(TARGETS[i].triple, name) || str_eq(TARGETS[i].short, name) {
            return Some(&TARGETS[i]);
        }
        i += 1;
    }
    None
}

/// The row for the target being compiled, chosen by `cfg!`; a fallback row (with
/// `known: false`) for targets the table does not list.
pub const CURRENT: TargetInfo = current();

const fn current() -> TargetInfo {
    let arch = cfg_arch();
    let os = cfg_os();
    let env = cfg_env();
    let mut i = 0;
    while i < TARGETS.len() {
        let t = &TARGETS[i];
        if str_eq(t.arch, arch) && str_eq(t.os, os) && str_eq(t.env, env) {
            return *t;
        }
        i += 1;
    }
    // Not in the table: cache lines as crossbeam's CachePadded chooses them.
    let line = if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        64
    } else if cfg!(target_arch = "s390x") {
        256
    } else if cfg!(any(
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "sparc",
        target_arch = "hexagon"
    )) {
        32
    } else {
        64
    };
    TargetInfo {
        triple: "unknown",
        short: arch,
        arch,
        os,
        env,
        pointer_size: core::mem::size_of::<usize>(),
        align_u64: core::mem::align_of::<u64>(),
        align_u128: core::mem::align_of::<u128>(),
        c_long: core::mem::size_of::<core::ffi::c_long>(),
        cache_line: line,
        prefetch_span: if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
            128
        } else {
            line
        },
        known: false,
        source: "fallback: cfg! and size_of on the target; cache line as [crossbeam]",
    }
}

const fn cfg_arch() -> &'static str {
    if cfg!(target_arch = "x86_64") {
        "x86_64"
    } else if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else if cfg!(target_arch = "x86") {
        "x86"
    } else if cfg!(target_arch = "arm") {
        "arm"
    } else if cfg!(target_arch = "s390x") {
        "s390x"
    } else if cfg!(target_arch = "riscv64") {
        "riscv64"
    } else if cfg!(target_arch = "powerpc64") {
        "powerpc64"
    } else if cfg!(target_arch = "wasm32") {
        "wasm32"
    } else {
        "other-arch"
    }
}

const fn cfg_os() -> &'static str {
    if cfg!(target_os = "linux") {
        "linux"
    } else if cfg!(target_os = "windows") {
        "windows"
    } else if cfg!(target_os = "macos") {
        "macos"
    } else if cfg!(target_os = "ios") {
        "ios"
    } else if cfg!(target_os = "android") {
        "android"
    } else if cfg!(target_os = "freebsd") {
        "freebsd"
    } else {
        "other-os"
    }
}

const fn cfg_env() -> &'static str {
    if cfg!(target_env = "gnu") {
        "gnu"
    } else if cfg!(target_env = "msvc") {
        "msvc"
    } else if cfg!(target_env = "musl") {
        "musl"
    } else {
        ""
    }
}

/// `a == b`, usable in `const fn`.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
// The "constant" assertions differ per target: CI runs them natively, under qemu and
// under wine, which is the point.
#[allow(clippy::assertions_on_constants)]
mod tests {
    use super::*;

    #[test]
    fn current_row_matches_the_compiler() {
        assert_eq!(CURRENT.pointer_size, core::mem::size_of::<usize>());
        assert_eq!(CURRENT.align_u64, core::mem::align_of::<u64>());
        assert_eq!(CURRENT.align_u128, core::mem::align_of::<u128>());
        assert_eq!(CURRENT.c_long, core::mem::size_of::<core::ffi::c_long>());
        assert!(CURRENT.cache_line.is_power_of_two());
        assert!(CURRENT.prefetch_span >= CURRENT.cache_line);
    }

    #[test]
    fn host_is_in_the_table() {
        // CI runs these tests natively on x86_64 Linux, under qemu on aarch64 Linux and
        // under wine on x86_64 Windows: all three must find their own row.
        assert!(CURRENT.known, "no table row for this target: {CURRENT:?}");
        assert_eq!(find(CURRENT.triple).map(|t| t.short), Some(CURRENT.short));
    }

    #[test]
    fn rows_are_unique_and_sane() {
        for (i, a) in TARGETS.iter().enumerate() {
            assert!(a.cache_line.is_power_of_two() && a.prefetch_span.is_power_of_two());
            assert!(a.pointer_size == 4 || a.pointer_size == 8);
            for b in &TARGETS[i + 1..] {
                assert_ne!(a.triple, b.triple);
                assert_ne!(a.short, b.short);
            }
        }
    }
}
