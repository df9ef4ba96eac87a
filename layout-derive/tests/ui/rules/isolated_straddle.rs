use layout::CacheLayout;

// `isolated` without `line = K` still must not straddle two lines.
#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(line = 64)]
struct Frame {
    #[layout(pad)]
    _head: [u8; 56],
    #[layout(isolated)]
    word: [u64; 2],
    #[layout(pad)]
    _tail: [u8; 60],
}

fn main() {}
