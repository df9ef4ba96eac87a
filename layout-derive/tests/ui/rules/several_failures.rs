use core::sync::atomic::AtomicU64;
use layout::CacheLayout;

// Every failing assertion is reported, each at its own attribute.
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 64, line = 64)]
struct Counters {
    #[layout(group = "a")]
    a: AtomicU64,
    #[layout(group = "b")]
    b: AtomicU64,
    #[layout(offset = 64)]
    c: AtomicU64,
}

fn main() {}
