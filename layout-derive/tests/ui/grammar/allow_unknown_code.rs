use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(allow(padding-wast))]
struct S {
    #[layout(allow(banana))]
    a: u64,
}

fn main() {}
