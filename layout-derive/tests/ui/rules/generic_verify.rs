use layout::CacheLayout;

// A generic struct is checked where an instantiation is named: `verify` evaluates
// every rule for `Pair<u32>`. Without it nothing is checked (rust-lang/rust#99682).
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 16)]
struct Pair<T> {
    a: T,
    b: T,
}

const _: () = layout::verify::<Pair<u64>>();
const _: () = layout::verify::<Pair<u32>>();

fn main() {}
