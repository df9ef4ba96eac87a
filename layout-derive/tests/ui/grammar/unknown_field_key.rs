use layout::CacheLayout;

#[derive(CacheLayout)]
struct S {
    #[layout(isolate)]
    a: u64,
    #[layout(banana = 1)]
    b: u64,
}

fn main() {}
