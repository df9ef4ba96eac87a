use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(allow("padding-waste"))]
struct S {
    a: u64,
}

fn main() {}
