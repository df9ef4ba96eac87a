use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(line = 64)]
struct Frame {
    head: [u8; 60],
    #[layout(line = 0)]
    word: [u32; 2],
}

fn main() {}
