use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout]
struct S {
    #[layout = "isolated"]
    a: u64,
    #[layout(8)]
    b: u64,
}

fn main() {}
