use core::sync::atomic::AtomicU64;
use layout::CacheLayout;

// The FastState with the pad before `v` forgotten.
#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(line = 64)]
struct FastState {
    #[layout(line = 1, isolated)]
    v: AtomicU64,
    #[layout(pad)]
    _after: [u8; 56],
}

fn main() {}
