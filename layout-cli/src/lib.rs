//! layout-cli: static struct layouts for several targets, without compiling.
//!
//! `analysis` holds the domain types every part shares. The engine (`source`, `cfg`,
//! `index`, `engine`) turns Rust source into [`analysis::Analysis`]; `diag` runs the
//! rules of the `layout` crate over it; `render` prints it; `fix` and `snapshot` act
//! on it. `main.rs` only parses arguments and maps results to exit codes.

pub mod analysis;
