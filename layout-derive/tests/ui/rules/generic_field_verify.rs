use core::sync::atomic::AtomicU64;
use layout::CacheLayout;

// Type and const parameters: `verify` checks each instantiation it names, and only
// those (rust-lang/rust#99682). The first two fit; the third pushes `hot` to line 2.
#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(line = 64)]
struct Padded<T, const N: usize> {
    head: [T; N],
    #[layout(pad)]
    _pad: [u8; 56],
    #[layout(line = 1, isolated)]
    hot: AtomicU64,
}

const _: () = layout::verify::<Padded<u64, 1>>();
const _: () = layout::verify::<Padded<u8, 16>>();
const _: () = layout::verify::<Padded<u64, 9>>();

fn main() {}
