use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
#[layout(max_padding = 4)]
struct Record {
    flag: u8,
    id: u64,
    kind: u8,
}

fn main() {}
