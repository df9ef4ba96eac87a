use core::sync::atomic::AtomicU64;
use layout::CacheLayout;

// Advisory codes may be allowed on the struct and, for per-field codes, on a field,
// written with `-` or `_`; the derive accepts them and checks the rest as usual.
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 24, allow(padding-waste))]
#[layout(allow(unaligned_base, unstable-padding))]
struct Wasteful {
    a: u8,
    #[layout(offset = 8, allow(possible-false-sharing, adjacent_line))]
    b: AtomicU64,
    c: u8,
}

// Every key that takes a literal, passed through `macro_rules!` fragments.
macro_rules! counters {
    ($name:ident, $size:literal, $align:literal, $line:literal, $pad:literal,
     $off:literal, $k:literal, $g:literal, $code:ident, $e:expr) => {
        #[derive(CacheLayout)]
        #[repr(C, align(64))]
        #[layout(size = $size, align = $align, line = $line, max_padding = $pad)]
        #[layout(allow($code))]
        struct $name {
            #[layout(offset = 0, line = 0, group = "a")]
            head: AtomicU64,
            #[layout(pad)]
            _pad: [u8; 56],
            #[layout(offset = $off, line = $k, group = $g)]
            tail: AtomicU64,
            #[layout(offset = $e)]
            last: u64,
        }
    };
}

counters!(Ring, 128, 64, 64, 48, 64, 1, "b", padding_waste, 72);

fn main() {
    assert_eq!(Wasteful::LAYOUT.size, 24);
    assert_eq!(Ring::LAYOUT.expect.size, Some(128));
    assert_eq!(Ring::LAYOUT.expect.max_padding, Some(48));
    assert_eq!(Ring::LAYOUT.fields[2].intent.offset, Some(64));
    assert_eq!(Ring::LAYOUT.fields[2].intent.line, Some(1));
    assert_eq!(Ring::LAYOUT.fields[2].intent.group, Some("b"));
    assert_eq!(Ring::LAYOUT.fields[3].intent.offset, Some(72));
}
