//! The benchmark suite with the system allocator (glibc malloc on Linux).
//!
//! `cargo bench -p eventloop --bench loop_glibc` (add a FILTER like `round_trip` to run part).

#[path = "suite/mod.rs"]
mod suite;

fn main() {
    suite::main("glibc");
}
