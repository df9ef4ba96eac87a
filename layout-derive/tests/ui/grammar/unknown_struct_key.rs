use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(sise = 8)]
struct S {
    a: u64,
}

fn main() {}
