use layout::CacheLayout;

#[derive(CacheLayout)]
struct Packet {
    len: u32,
    data: [u8],
}

fn main() {}
