use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
struct S {
    #[layout(pad, isolated, group = "g", line = 0)]
    _pad: [u8; 8],
    a: u64,
}

fn main() {}
