use core::sync::atomic::AtomicU32;
use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(line = 64)]
struct State {
    #[layout(isolated)]
    word: AtomicU32,
    waiters: u32,
}

fn main() {}
