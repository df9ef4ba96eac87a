use core::sync::atomic::AtomicUsize;
use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(line = 64)]
struct Ring {
    #[layout(group = "consumer")]
    head: AtomicUsize,
    #[layout(group = "producer")]
    tail: AtomicUsize,
}

fn main() {}
