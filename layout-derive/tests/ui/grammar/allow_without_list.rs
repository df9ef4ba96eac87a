use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(allow)]
struct S {
    #[layout(allow = "adjacent-line")]
    a: u64,
}

fn main() {}
