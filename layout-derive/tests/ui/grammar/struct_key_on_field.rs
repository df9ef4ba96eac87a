use layout::CacheLayout;

#[derive(CacheLayout)]
struct S {
    #[layout(max_padding = 0)]
    a: u64,
}

fn main() {}
