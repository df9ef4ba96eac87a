//! Cache-line layout intent, checked by rustc.
//!
//! `#[derive(CacheLayout)]` reads `#[layout(...)]` annotations and emits `const`
//! assertions that rustc evaluates for the target being built, so
//! `cargo check --target aarch64-apple-darwin` fails when a field that must sit alone
//! on its cache line does not. The same rule definitions ([`rules`]) are called at run
//! time by `layout-cli`, so the compiler and the CI report can never disagree about
//! what a rule means.
//!
//! ```
//! use core::sync::atomic::AtomicU64;
//! use layout::CacheLayout;
//!
//! #[derive(CacheLayout)]
//! #[repr(C, align(64))]
//! #[layout(size = 128, line = 64)]
//! struct FastState {
//!     #[layout(pad)]
//!     _before: [u8; 64],
//!     #[layout(line = 1, isolated)]
//!     v: AtomicU64,
//!     #[layout(pad)]
//!     _after: [u8; 56],
//! }
//!
//! assert_eq!(FastState::LAYOUT.fields[1].offset, 64);
//! ```
//!
//! Generic structs are checked when they are monomorphised: plain `cargo check` cannot
//! evaluate a `const` that depends on a type parameter (rust-lang/rust#99682). Name the
//! instantiation you ship with [`verify`] in a `const` item to check it.
#![no_std]
#![warn(missing_docs)]

mod code;
mod desc;
mod msg;
pub mod rules;
pub mod target;

pub use code::{Code, Severity, UnknownCode};
pub use desc::{FieldIntent, FieldLayout, ReprInfo, StructExpect, StructLayout};
pub use msg::MsgBuf;
pub use rules::Violation;

#[cfg(feature = "derive")]
pub use layout_derive::CacheLayout;

/// A struct whose layout is described, and checked, at compile time.
///
/// Implemented by `#[derive(CacheLayout)]`; implementing it by hand is allowed but the
/// descriptor must then match the real layout (the derive builds it from
/// `size_of`/`align_of`/`offset_of!`, so it always does).
pub trait CacheLayout {
    /// The layout as rustc computed it for the target being built, with the intent
    /// stated in `#[layout(...)]`.
    const LAYOUT: StructLayout<'static>;
}

/// Checks every error-level rule for `T` and fails const evaluation with the first
/// violation's message. Use it to check a generic struct's instantiation:
///
/// ```
/// # use layout::CacheLayout;
/// #[derive(CacheLayout)]
/// #[repr(C)]
/// #[layout(size = 16)]
/// struct Pair<T> { a: T, b: T }
/// const _: () = layout::verify::<Pair<u64>>();
/// ```
pub const fn verify<T: CacheLayout>() {
    rules::assert_all(&T::LAYOUT);
}

/// Items used by generated code. Not public API: no stability promises.
#[doc(hidden)]
pub mod __private {
    pub use crate::rules::{assert_field, assert_struct};
    pub use crate::target::CURRENT;
    pub use core;
}
