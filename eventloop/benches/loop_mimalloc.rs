//! The benchmark suite with mimalloc as the global allocator, for every executor alike.
//!
//! `cargo bench -p eventloop --bench loop_mimalloc` (add a FILTER like `round_trip` to run part).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "suite/mod.rs"]
mod suite;

fn main() {
    suite::main("mimalloc");
}
