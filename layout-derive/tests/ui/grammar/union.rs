use layout::CacheLayout;

#[derive(CacheLayout)]
union U {
    a: u64,
    b: f64,
}

fn main() {}
