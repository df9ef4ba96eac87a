use layout::CacheLayout;

// Tuple fields are named by index in messages.
#[derive(CacheLayout)]
#[repr(C)]
struct Pair(u8, #[layout(offset = 1)] u32);

fn main() {}
