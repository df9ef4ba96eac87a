use layout::CacheLayout;

#[derive(CacheLayout)]
struct S {
    #[layout(group = 3)]
    a: u64,
}

fn main() {}
