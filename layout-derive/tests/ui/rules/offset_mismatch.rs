use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
struct Msg {
    kind: u8,
    #[layout(offset = 4)]
    value: u64,
}

fn main() {}
