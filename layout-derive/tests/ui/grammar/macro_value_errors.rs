use layout::CacheLayout;

// A wrong value passed through a macro is reported at the macro's argument.
macro_rules! aligned {
    ($name:ident, $align:literal) => {
        #[derive(CacheLayout)]
        #[layout(align = $align)]
        struct $name {
            a: u64,
        }
    };
}

aligned!(S, 48);

fn main() {}
