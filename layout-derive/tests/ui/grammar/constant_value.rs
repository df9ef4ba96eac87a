use layout::CacheLayout;

const LINE: usize = 64;

// A derive sees tokens, not values: per-target numbers go through cfg_attr.
#[derive(CacheLayout)]
#[layout(size = LINE * 2)]
struct S {
    a: u64,
}

fn main() {}
