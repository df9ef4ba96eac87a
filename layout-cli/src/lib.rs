//! layout-cli: static struct layouts for several targets, without compiling.
//!
//! `analysis` holds the domain types every part shares. The engine (`source`, `cfg`,
//! `index`, `engine`) turns Rust source into [`analysis::Analysis`]; `diag` runs the
//! rules of the `layout` crate over it; `render` prints it; `reorder` finds the best
//! field order; `fix` and `snapshot` act on it. `main.rs` only parses arguments and maps
//! results to exit codes (`exit`).

pub mod analysis;
pub mod cargo;
pub mod cfg;
pub mod cli;
pub mod diag;
pub mod engine;
pub mod exact;
pub mod exit;
pub mod features;
pub mod fix;
pub mod index;
pub mod levels;
pub mod modtree;
pub mod render;
pub mod reorder;
pub mod snapshot;
pub mod source;
pub mod timings;
pub mod workspace;

pub use engine::analyze;
