use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 16)]
struct Header {
    tag: u8,
    len: u32,
}

fn main() {}
