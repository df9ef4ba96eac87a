use layout::CacheLayout;

#[derive(CacheLayout)]
#[repr(C)]
struct Buf<T: ?Sized> {
    len: usize,
    data: T,
}

// The impl still exists for sized instantiations: no error cascades from here.
const _: usize = <Buf<u64> as CacheLayout>::LAYOUT.size;

fn main() {}
