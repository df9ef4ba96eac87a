use layout::CacheLayout;

#[derive(CacheLayout)]
struct S {
    #[layout(allow(padding-waste))]
    a: u64,
}

fn main() {}
