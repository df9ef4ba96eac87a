use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 128, line = 64)]
struct S {
    #[layout(offset = 64, line = 0)]
    a: u64,
    #[layout(line = 2)]
    b: u64,
    #[layout(offset = 200)]
    c: u64,
}

fn main() {}
