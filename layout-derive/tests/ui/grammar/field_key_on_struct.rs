use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(isolated)]
struct S {
    a: u64,
}

fn main() {}
