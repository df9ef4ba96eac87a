use layout::CacheLayout;

// The groups ask for the false-sharing check; allowing it is not the way to drop it.
#[derive(CacheLayout)]
#[layout(allow(padding-waste, false-sharing))]
struct S {
    #[layout(group = "producer")]
    a: u64,
    #[layout(group = "consumer")]
    b: u64,
}

fn main() {}
