use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(size, align = )]
struct S {
    #[layout(group)]
    a: u64,
}

fn main() {}
