use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(allow(size_mismatch))]
struct S {
    a: u64,
}

fn main() {}
