// The whole crate without a prelude, every name the expansion could borrow shadowed.
#![no_implicit_prelude]
#![allow(dead_code, non_camel_case_types)]

struct Option;
struct Result;
struct Some;
struct None;
struct usize;
struct str;
mod core {}
mod std {}

#[derive(::layout::CacheLayout)]
#[repr(C, align(64))]
#[layout(size = 64, align = 64, line = 64, max_padding = 0)]
struct Hot {
    #[layout(offset = 0, line = 0, isolated, group = "w")]
    v: u64,
    #[layout(pad)]
    _pad: [u8; 56],
}

#[derive(::layout::CacheLayout)]
#[repr(C, packed)]
struct Tuple(u8, #[layout(offset = 1)] u64);

#[derive(::layout::CacheLayout)]
struct Unit;

#[derive(::layout::CacheLayout)]
struct Generic<T>(T);

const _: () = ::layout::verify::<Generic<u8>>();

fn main() {}
