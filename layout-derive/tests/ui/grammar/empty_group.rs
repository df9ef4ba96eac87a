use layout::CacheLayout;

#[derive(CacheLayout)]
struct S {
    #[layout(group = "")]
    a: u64,
}

fn main() {}
