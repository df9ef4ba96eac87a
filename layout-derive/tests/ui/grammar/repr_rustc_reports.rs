use layout::CacheLayout;

// An invalid #[repr] is rustc's to report (E0587 here); the derive adds no second
// error and no cascade.
#[derive(CacheLayout)]
#[repr(C, packed, align(8))]
#[layout(size = 8)]
struct S {
    a: u64,
}

fn main() {}
