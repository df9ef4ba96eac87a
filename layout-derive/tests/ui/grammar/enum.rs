use layout::CacheLayout;

#[derive(CacheLayout)]
enum E {
    A,
    B(u64),
}

fn main() {
    // The stub impl keeps this compiling: the derive error is the only error.
    let _ = <E as CacheLayout>::LAYOUT.size;
}
