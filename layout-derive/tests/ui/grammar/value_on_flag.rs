use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(fixed = true)]
struct S {
    #[layout(isolated = true)]
    a: u64,
    #[layout(pad(8))]
    b: u64,
}

fn main() {}
