use core::cell::Cell;
use core::ptr::NonNull;
use layout::CacheLayout;

// `?Sized` parameters that only sit behind a pointer or inside a wrapper: the impl is
// bounded to the sized instantiations.
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 16)]
struct Handle<T: ?Sized> {
    #[layout(offset = 0)]
    len: usize,
    ptr: NonNull<T>,
}

#[derive(CacheLayout)]
#[repr(C)]
struct Slot<T>
where
    T: ?Sized,
{
    tag: u8,
    value: Cell<T>,
}

const _: () = layout::verify::<Handle<u64>>();

fn main() {
    assert_eq!(<Handle<[u8]> as CacheLayout>::LAYOUT.size, 24);
    assert_eq!(<Slot<u32> as CacheLayout>::LAYOUT.fields[1].offset, 4);
}
