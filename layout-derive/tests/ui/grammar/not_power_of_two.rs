use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(align = 48, line = 96)]
struct S {
    a: u64,
}

fn main() {}
