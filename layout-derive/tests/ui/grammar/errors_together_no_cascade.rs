use layout::CacheLayout;

// Three bad attributes give exactly three errors: the stub impl keeps `LAYOUT`
// usable, and no const assertion runs on a struct whose intent did not parse.
#[derive(CacheLayout)]
#[repr(C)]
#[layout(size = 7, sise = 8)]
struct S {
    #[layout(line = "one")]
    a: u64,
    #[layout(grup = "g")]
    b: u64,
}

const A_OFFSET: usize = S::LAYOUT.fields[0].offset;

fn main() {
    let _ = A_OFFSET;
}
