use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C, align(32))]
#[layout(align = 64)]
struct Slot {
    seq: u64,
}

fn main() {}
