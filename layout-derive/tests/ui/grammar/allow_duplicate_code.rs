use layout::CacheLayout;

#[derive(CacheLayout)]
#[layout(allow(padding-waste))]
#[layout(allow(unaligned-base, padding_waste))]
struct S {
    a: u64,
}

fn main() {}
