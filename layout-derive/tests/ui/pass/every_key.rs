use core::sync::atomic::{AtomicU64, AtomicUsize};
use layout::CacheLayout;

// The FastState, on x86_64 Linux (64-byte lines).
#[derive(CacheLayout)]
#[repr(C, align(64))]
#[layout(size = 128)]
struct FastState {
    #[layout(pad)]
    _before: [u8; 64],
    #[layout(line = 1, isolated)]
    v: AtomicU64,
    #[layout(pad)]
    _after: [u8; 56],
}

// Every struct-level and field-level key, satisfied.
#[derive(CacheLayout)]
#[repr(C, align(128))]
#[layout(size = 256, align = 128, line = 64, max_padding = 120, fixed)]
struct Ring {
    #[layout(offset = 0, line = 0, group = "consumer")]
    head: AtomicUsize,
    #[layout(group = "consumer")]
    cached_tail: usize,
    #[layout(pad)]
    _pad: [u8; 112],
    #[layout(offset = 128, line = 2, group = "producer", isolated)]
    tail: AtomicUsize,
}

// Tuple, unit, packed, lifetime-generic and cfg_attr'd structs.
#[derive(CacheLayout)]
#[repr(C)]
struct Pair(#[layout(offset = 0)] u8, #[layout(offset = 4)] u32);

#[derive(CacheLayout)]
#[layout(size = 0)]
struct Unit;

#[derive(CacheLayout)]
#[repr(C, packed)]
#[layout(size = 9, max_padding = 0)]
struct Packed {
    a: u8,
    #[layout(offset = 1)]
    b: u64,
}

#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 16)]
struct Borrowed<'a> {
    #[layout(offset = 0)]
    a: &'a u8,
    #[layout(offset = 8)]
    b: &'a [u8; 4],
}

#[derive(CacheLayout)]
#[repr(C)]
#[cfg_attr(target_pointer_width = "64", layout(size = 8))]
#[cfg_attr(target_pointer_width = "32", layout(size = 4))]
struct Ptr {
    p: *const u8,
}

fn main() {
    assert_eq!(FastState::LAYOUT.fields[1].offset, 64);
    assert_eq!(Ring::LAYOUT.fields[3].intent.group, Some("producer"));
    assert_eq!(Pair::LAYOUT.fields[1].name, "1");
    assert_eq!(Unit::LAYOUT.fields.len(), 0);
    assert_eq!(Packed::LAYOUT.repr.packed, Some(1));
    assert_eq!(Borrowed::LAYOUT.size, 16);
    assert_eq!(Ptr::LAYOUT.expect.size, Some(core::mem::size_of::<usize>()));
}
