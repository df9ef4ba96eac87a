use layout::CacheLayout;

// A key may appear once, also across several #[layout] attributes.
#[derive(CacheLayout)]
#[layout(size = 8)]
#[layout(size = 16)]
struct S {
    #[layout(isolated, isolated)]
    a: u64,
}

fn main() {}
