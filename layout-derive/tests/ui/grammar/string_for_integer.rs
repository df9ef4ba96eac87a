use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(size = "64")]
struct S {
    #[layout(offset = 1.0)]
    a: u64,
}

fn main() {}
