//! Layout arithmetic: rustc's `univariant` (struct and tuple layout, `repr(Rust)` field
//! reordering with niche bias, `repr(C)`, `packed`, `align`, enum variants after their
//! tag), enum layouts (tagged or niche-filling, as rustc chooses) and `Option`.
//!
//! The rules are those of `rustc_abi::layout::LayoutCalculator` in rustc 1.95, checked
//! against that compiler by the oracle test on every target row. Every sum and product
//! is checked; a result at or above the target's object-size bound is an error, as it
//! is for rustc ("values of the type ... are too big").
//!
//! # Why not `ra-ap-rustc_abi`
//!
//! rustc's layout code is published as `ra-ap-rustc_abi` (the crate rust-analyzer's
//! layout hover uses). We weighed using it for structs and enums and kept this model:
//!
//! - Its versions (0.184.0 when this was decided) are cut from rustc's `master` by a
//!   script, not from release branches: no version is the layout code of the rustc 1.95
//!   the oracle checks against, and each bump may change its API (the crate has no
//!   stability promise; its `nightly` feature and rustc-internal index types leak into
//!   the API).
//! - It needs the full `LayoutData` of every field (`BackendRepr`, scalar valid ranges,
//!   `FieldsShape`, per-variant data) and a `TargetDataLayout`: the hard part, the
//!   facts about std's opaque types and each target's data layout, is ours to supply
//!   either way, and it is the table in `std_types` and `layout::target`.
//! - It would add a dependency tree (`rustc_index`, `rustc_hashes`, `bitflags`, `rand`,
//!   ...) outside the set this project allows, to replace about 700 lines whose every
//!   claim the oracle test checks, including field order.
//!
//! What we model of a type is [`Layout`]: size, alignment and the largest niche (its
//! offset, width and how many invalid values are left), which is what rustc's choices
//! depend on; the valid range's position inside the scalar does not change a size.

/// Invalid values a scalar inside a type offers (rustc's `Niche`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Niche {
    /// Offset of the scalar inside the type.
    pub offset: u64,
    /// Size of the scalar in bytes.
    pub size: u64,
    /// How many invalid values are left (never 0: no niche is `None`).
    pub available: u128,
}

impl Niche {
    /// A niche of `available` values in a scalar of `size` bytes at offset 0, or `None`
    /// when there is none.
    pub fn scalar(size: u64, available: u128) -> Option<Niche> {
        (available > 0).then_some(Niche {
            offset: 0,
            size,
            available,
        })
    }

    /// The niche left after one value is taken (an `Option` around the type).
    pub fn reserve_one(self) -> Option<Niche> {
        Niche::scalar(self.size, self.available - 1).map(|n| Niche {
            offset: self.offset,
            ..n
        })
    }
}

/// Whether a type is, or contains, a type with `#[repr(align)]`: a `packed` struct may
/// not hold one (E0588). rustc checks the field's own type and, recursively, the
/// *declared* field types of the structs it holds, not generic arguments, arrays or
/// tuples: so only [`Over::Direct`] is certainly an error; [`Over::Nested`] is unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Over {
    /// No `repr(align)` inside.
    #[default]
    No,
    /// The type has `repr(align)` (atomics, `CachePadded`) or holds one by a declared,
    /// non-generic field.
    Direct,
    /// Holds one through a generic argument, an array, a tuple or `Option`.
    Nested,
}

impl Over {
    /// What a wrapper (array, tuple, generic) around a type of this kind is.
    pub fn wrapped(self) -> Over {
        if self == Over::No {
            Over::No
        } else {
            Over::Nested
        }
    }
}

/// Size, alignment and largest niche of a sized type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// `size_of`.
    pub size: u64,
    /// `align_of`.
    pub align: u64,
    /// The largest niche, if any.
    pub niche: Option<Niche>,
    /// `repr(align)` inside (for the E0588 check of `packed` structs).
    pub over: Over,
}

impl Layout {
    /// A type without a niche.
    pub const fn plain(size: u64, align: u64) -> Layout {
        Layout {
            size,
            align,
            niche: None,
            over: Over::No,
        }
    }

    /// A scalar with a niche of `available` values.
    pub fn scalar_niche(size: u64, align: u64, available: u128) -> Layout {
        Layout {
            size,
            align,
            niche: Niche::scalar(size, available),
            over: Over::No,
        }
    }

    /// The same type with its niche hidden (`UnsafeCell`, `MaybeUninit`).
    pub const fn without_niche(self) -> Layout {
        Layout {
            niche: None,
            ..self
        }
    }
}

/// Why a layout could not be computed because the input is wrong (not merely unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overflow;

/// Struct-level options that change the layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReprOpts {
    /// `repr(C)`: keep declaration order.
    pub c: bool,
    /// `packed(N)`.
    pub packed: Option<u64>,
    /// `align(N)`.
    pub align: Option<u64>,
}

/// Whether the last field may be unsized (rustc's `StructKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Every field is sized in the definition.
    AlwaysSized,
    /// The last field's type may be unsized (a `?Sized` parameter, or any tuple): it is
    /// never moved.
    MaybeUnsized,
    /// An enum variant after a tag of this size and alignment: fields start after it,
    /// sorted by ascending alignment (so small fields fill the space next to the tag).
    Prefixed(u64, u64),
}

/// A placed struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The struct's layout.
    pub layout: Layout,
    /// Field offsets in declaration order.
    pub offsets: Vec<u64>,
    /// Field indices in the order they were placed (rustc's memory order).
    pub order: Vec<usize>,
}

/// rustc's `obj_size_bound`: no type may be this big or bigger.
pub fn obj_size_bound(pointer_size: usize) -> u64 {
    if pointer_size == 4 { 1 << 31 } else { 1 << 61 }
}

/// `offset` rounded up to `align` (a power of two), checked.
pub fn align_up(offset: u64, align: u64) -> Option<u64> {
    let mask = align.checked_sub(1)?;
    offset.checked_add(mask).map(|v| v & !mask)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bias {
    Start,
    End,
}

/// rustc's `univariant`: the start-biased layout, or the end-biased one when that
/// leaves more room before the niche than the start-biased one does, and more than
/// after it (rustc's two tries).
pub fn univariant(
    fields: &[Layout],
    repr: ReprOpts,
    kind: Kind,
    bound: u64,
) -> Result<Placed, Overflow> {
    let start = biased(fields, repr, kind, Bias::Start, bound)?;
    if kind == Kind::MaybeUnsized || fields.len() <= 1 {
        return Ok(start);
    }
    let Some(niche) = start.layout.niche else {
        return Ok(start);
    };
    let head = niche.offset;
    let tail = start.layout.size.saturating_sub(head + niche.size);
    if head == 0 || tail == 0 {
        return Ok(start);
    }
    let alt = biased(fields, repr, kind, Bias::End, bound)?;
    let Some(alt_niche) = alt.layout.niche else {
        return Ok(start);
    };
    if alt_niche.offset > head && alt_niche.offset > tail {
        Ok(alt)
    } else {
        Ok(start)
    }
}

fn biased(
    fields: &[Layout],
    repr: ReprOpts,
    kind: Kind,
    bias: Bias,
    bound: u64,
) -> Result<Placed, Overflow> {
    let n = fields.len();
    let mut order: Vec<usize> = (0..n).collect();
    if !repr.c && n > 1 {
        let end = if kind == Kind::MaybeUnsized { n - 1 } else { n };
        let head = &fields[..end];
        let max_field_align = head.iter().map(|f| f.align).max().unwrap_or(1);
        let largest_niche = head
            .iter()
            .filter_map(|f| f.niche)
            .map(|n| n.available)
            .max()
            .unwrap_or(0);
        let group = |f: &Layout| -> u64 {
            if let Some(pack) = repr.packed {
                return f.align.min(pack);
            }
            let niche = f.niche.map_or(0, |n| n.available);
            let size_as_align = f.align.max(f.size).trailing_zeros();
            let key = if largest_niche > 0 {
                match bias {
                    Bias::Start => max_field_align.trailing_zeros().min(size_as_align),
                    Bias::End if niche == largest_niche => f.align.trailing_zeros(),
                    Bias::End => size_as_align,
                }
            } else {
                size_as_align
            };
            u64::from(key)
        };
        if let Kind::Prefixed(..) = kind {
            order[..end].sort_by_key(|&i| {
                let f = &fields[i];
                (group(f), f.niche.map_or(0, |n| n.available))
            });
        } else {
            order[..end].sort_by_key(|&i| {
                let f = &fields[i];
                let niche = f.niche.map_or(0, |n| n.available);
                let niche_key = match bias {
                    Bias::Start => !niche,
                    Bias::End => niche,
                };
                let inner = match bias {
                    Bias::Start => f.niche.map_or(0, |n| n.offset),
                    Bias::End => f
                        .niche
                        .map_or(0, |n| !f.size.saturating_sub(n.size + n.offset)),
                };
                (std::cmp::Reverse(group(f)), niche_key, inner)
            });
        }
    }
    let mut offsets = vec![0u64; n];
    let mut offset = 0u64;
    let mut align = 1u64;
    if let Kind::Prefixed(size, prefix_align) = kind {
        let a = repr.packed.map_or(prefix_align, |p| prefix_align.min(p));
        align = a;
        offset = align_up(size, a).ok_or(Overflow)?;
    }
    let mut niche: Option<Niche> = None;
    let mut niche_available = 0u128;
    for &i in &order {
        let f = &fields[i];
        let field_align = repr.packed.map_or(f.align, |p| f.align.min(p));
        offset = align_up(offset, field_align).ok_or(Overflow)?;
        align = align.max(field_align);
        offsets[i] = offset;
        if let Some(mut fnich) = f.niche {
            let prefer = match bias {
                Bias::Start => fnich.available > niche_available,
                Bias::End => fnich.available >= niche_available,
            };
            if prefer {
                niche_available = fnich.available;
                fnich.offset = fnich.offset.checked_add(offset).ok_or(Overflow)?;
                niche = Some(fnich);
            }
        }
        offset = offset.checked_add(f.size).ok_or(Overflow)?;
    }
    if let Some(a) = repr.align {
        align = align.max(a);
    }
    let size = align_up(offset, align).ok_or(Overflow)?;
    if size >= bound {
        return Err(Overflow);
    }
    Ok(Placed {
        layout: Layout {
            size,
            align,
            niche,
            over: fields.iter().fold(
                Over::No,
                |o, f| if f.over != Over::No { Over::Nested } else { o },
            ),
        },
        offsets,
        order,
    })
}

/// A `repr(C)` or `repr(Rust)` union: every field at 0, size the largest rounded up.
pub fn union(fields: &[Layout], repr: ReprOpts, bound: u64) -> Result<Layout, Overflow> {
    let mut align = 1u64;
    let mut size = 0u64;
    for f in fields {
        align = align.max(repr.packed.map_or(f.align, |p| f.align.min(p)));
        size = size.max(f.size);
    }
    if let Some(a) = repr.align {
        align = align.max(a);
    }
    let size = align_up(size, align).ok_or(Overflow)?;
    if size >= bound {
        return Err(Overflow);
    }
    Ok(Layout::plain(size, align))
}

/// `[T; n]`: size `n * size`, the element's alignment, the first element's niche.
pub fn array(elem: Layout, n: u128, bound: u64) -> Result<Layout, Overflow> {
    let n = u64::try_from(n).map_err(|_| Overflow)?;
    let size = elem.size.checked_mul(n).ok_or(Overflow)?;
    if size >= bound {
        return Err(Overflow);
    }
    Ok(Layout {
        size,
        align: elem.align,
        niche: if n == 0 { None } else { elem.niche },
        over: elem.over.wrapped(),
    })
}

/// Integer sizes a tag can have, with their ABI alignment on the target.
pub fn int_align(size: u64, align_u64: u64, align_u128: u64) -> u64 {
    match size {
        8 => align_u64,
        16 => align_u128,
        s => s,
    }
}

/// `Option<T>` (any two-variant enum whose other variant is empty): `T` with one niche
/// value taken, or a tag in front of `T` (rustc widens the tag to `T`'s alignment
/// when an integer of that size and alignment exists).
pub fn option(t: Layout, align_u64: u64, align_u128: u64, bound: u64) -> Result<Layout, Overflow> {
    if let Some(n) = t.niche {
        return Ok(Layout {
            niche: n.reserve_one(),
            over: t.over.wrapped(),
            ..t
        });
    }
    let is_1zst = t.size == 0 && t.align == 1;
    let tag = if is_1zst {
        1
    } else {
        [1u64, 2, 4, 8, 16]
            .into_iter()
            .find(|&s| s == t.align && int_align(s, align_u64, align_u128) == t.align)
            .unwrap_or(1)
    };
    let tag_align = int_align(tag, align_u64, align_u128);
    let payload = align_up(1, t.align).ok_or(Overflow)?;
    let end = payload.checked_add(t.size).ok_or(Overflow)?;
    let align = t.align.max(tag_align);
    let size = align_up(end.max(tag), align).ok_or(Overflow)?;
    if size >= bound {
        return Err(Overflow);
    }
    let available = if tag >= 16 {
        u128::MAX - 1
    } else {
        (1u128 << (tag * 8)) - 2
    };
    Ok(Layout {
        size,
        align,
        niche: Niche::scalar(tag, available),
        over: t.over.wrapped(),
    })
}

/// What an enum's `#[repr]` and the target say about its layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnumOpts {
    /// `repr(C)`: a C tag (at least `c_int`) then a union of the variants.
    pub c: bool,
    /// `repr(u8)`, `repr(i32)`, ...: the tag's size in bytes and signedness. Fields of a
    /// variant keep their declaration order.
    pub int: Option<(u64, bool)>,
    /// `repr(align(N))`.
    pub align: Option<u64>,
    /// The target's alignment of `u64` and `u128`.
    pub align_u64: u64,
    /// See `align_u64`.
    pub align_u128: u64,
}

/// The smallest integer size (1, 2, 4, 8 or 16 bytes) holding every value in
/// `min..=max`, and whether it is signed.
fn fit_int(min: i128, max: i128) -> (u64, bool) {
    let signed = min < 0;
    let fits = |bytes: u64| {
        let bits = bytes * 8;
        if bits >= 128 {
            return true;
        }
        if signed {
            min >= -(1i128 << (bits - 1)) && max < (1i128 << (bits - 1))
        } else {
            max < (1i128 << bits)
        }
    };
    let size = [1u64, 2, 4, 8, 16]
        .into_iter()
        .find(|&b| fits(b))
        .unwrap_or(16);
    (size, signed)
}

/// Values a `size`-byte scalar does not use when its valid values are `count` many.
fn spare(size: u64, count: u128) -> u128 {
    if size >= 16 {
        (u128::MAX - count).saturating_add(1)
    } else {
        (1u128 << (size * 8)).saturating_sub(count)
    }
}

/// rustc's `layout_of_enum` (and the single-variant shortcut of
/// `layout_of_struct_or_enum`): the smaller of the tagged and the niche-filling layout,
/// the one with the larger niche on a tie, tagged on a full tie. `variants` are the
/// present variants' field layouts, `discr` their discriminants (same length, at least
/// one variant).
pub fn enum_layout(
    variants: &[Vec<Layout>],
    discr: &[i128],
    o: EnumOpts,
    bound: u64,
) -> Result<Layout, Overflow> {
    let over = variants.iter().flatten().fold(Over::No, |acc, f| {
        if f.over != Over::No {
            Over::Nested
        } else {
            acc
        }
    });
    let with_over = |mut l: Layout| {
        l.over = if o.align.is_some() {
            Over::Direct
        } else {
            over
        };
        l
    };
    let inhibit = o.c || o.int.is_some();
    let rust = ReprOpts {
        c: false,
        packed: None,
        align: o.align,
    };
    if variants.len() == 1 && !inhibit {
        let p = univariant(&variants[0], rust, Kind::AlwaysSized, bound)?;
        return Ok(with_over(p.layout));
    }
    let tagged = tagged_layout(variants, discr, o, bound)?;
    let best = match (!inhibit)
        .then(|| niche_filling_layout(variants, rust, bound))
        .transpose()?
        .flatten()
    {
        Some(nl) => {
            let avail = |l: &Layout| l.niche.map_or(0, |n| n.available);
            if tagged.size > nl.size || (tagged.size == nl.size && avail(&tagged) < avail(&nl)) {
                nl
            } else {
                tagged
            }
        }
        None => tagged,
    };
    Ok(with_over(best))
}

fn tagged_layout(
    variants: &[Vec<Layout>],
    discr: &[i128],
    o: EnumOpts,
    bound: u64,
) -> Result<Layout, Overflow> {
    let (mut min, mut max) = (i128::MAX, i128::MIN);
    for &d in discr {
        min = min.min(d);
        max = max.max(d);
    }
    if min > max {
        (min, max) = (0, 0);
    }
    let (min_size, _signed) = match o.int {
        Some(int) => int,
        None => {
            let (s, sg) = fit_int(min, max);
            (if o.c { s.max(4) } else { s }, sg)
        }
    };
    let ialign = |s: u64| int_align(s, o.align_u64, o.align_u128);
    let mut prefix_align = ialign(min_size);
    if o.c {
        for f in variants.iter().flatten() {
            prefix_align = prefix_align.max(f.align);
        }
    }
    let repr = ReprOpts {
        c: o.c || o.int.is_some(),
        packed: None,
        align: o.align,
    };
    let mut size = 0u64;
    let mut align = 1u64;
    let mut start_align = 256u64;
    for v in variants {
        let p = univariant(v, repr, Kind::Prefixed(min_size, prefix_align), bound)?;
        // The first field in memory that is not a 1-aligned ZST: a tag as wide as its
        // alignment does not move it.
        let mut first: Option<(u64, u64)> = None;
        for &i in &p.order {
            let f = &v[i];
            if f.size == 0 && f.align == 1 {
                continue;
            }
            let off = p.offsets[i];
            if first.is_none_or(|(o0, _)| off < o0) {
                first = Some((off, f.align));
            }
        }
        if let Some((_, a)) = first {
            start_align = start_align.min(a);
        }
        size = size.max(p.layout.size);
        align = align.max(p.layout.align);
    }
    let size = align_up(size, align).ok_or(Overflow)?;
    if size >= bound {
        return Err(Overflow);
    }
    let mut tag = min_size;
    if !o.c && o.int.is_none() {
        let for_align = [1u64, 2, 4, 8, 16]
            .into_iter()
            .find(|&s| s == start_align && ialign(s) == start_align);
        if let Some(s) = for_align
            && s > min_size
        {
            tag = s;
        }
    }
    let count = max
        .checked_sub(min)
        .and_then(|s| u128::try_from(s).ok())
        .and_then(|s| s.checked_add(1))
        .ok_or(Overflow)?;
    Ok(Layout {
        size,
        align,
        niche: Niche::scalar(tag, spare(tag, count)),
        over: Over::No,
    })
}

fn niche_filling_layout(
    variants: &[Vec<Layout>],
    repr: ReprOpts,
    bound: u64,
) -> Result<Option<Layout>, Overflow> {
    if variants.len() < 2 {
        return Ok(None);
    }
    let mut align = 1u64;
    let mut placed = Vec::with_capacity(variants.len());
    for v in variants {
        let p = univariant(v, repr, Kind::AlwaysSized, bound)?.layout;
        align = align.max(p.align);
        placed.push(p);
    }
    // `max_by_key` keeps the last of equally large variants, as rustc's does.
    let Some((largest, big)) = placed.iter().enumerate().max_by_key(|(_, l)| l.size) else {
        return Ok(None);
    };
    let others: Vec<usize> = (0..variants.len()).filter(|&i| i != largest).collect();
    let (Some(&first), Some(&last)) = (others.first(), others.last()) else {
        return Ok(None);
    };
    let count = (last - first + 1) as u128;
    let Some(niche) = big.niche else {
        return Ok(None);
    };
    if niche.available < count {
        return Ok(None);
    }
    let size = align_up(big.size, align).ok_or(Overflow)?;
    for &i in &others {
        let l = &placed[i];
        if l.size <= niche.offset {
            continue;
        }
        let after = align_up(niche.offset + niche.size, l.align).ok_or(Overflow)?;
        if after.checked_add(l.size).ok_or(Overflow)? > size {
            return Ok(None);
        }
    }
    if size >= bound {
        return Err(Overflow);
    }
    Ok(Some(Layout {
        size,
        align,
        niche: Niche::scalar(niche.size, niche.available - count).map(|n| Niche {
            offset: niche.offset,
            ..n
        }),
        over: Over::No,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: u64 = 1 << 61;

    fn int(s: u64) -> Layout {
        Layout::plain(s, s)
    }
    fn boolean() -> Layout {
        Layout::scalar_niche(1, 1, 254)
    }
    fn bytes(n: u64) -> Layout {
        Layout::plain(n, 1)
    }
    fn rust(fields: &[Layout]) -> Placed {
        univariant(fields, ReprOpts::default(), Kind::AlwaysSized, B).unwrap()
    }

    // Layouts measured with rustc 1.95 on x86_64 Linux (offset_of! under cargo check).
    #[test]
    fn doc_example_mixed() {
        let nz32 = Layout::scalar_niche(4, 4, 1);
        let opt_nz32 = option(nz32, 8, 16, B).unwrap();
        // {a:u8, b:u64, c:u16, d:bool, e:u32, f:Option<NonZeroU32>, g:AtomicU64, h:u8}
        let p = rust(&[
            int(1),
            int(8),
            int(2),
            boolean(),
            int(4),
            opt_nz32,
            int(8),
            int(1),
        ]);
        assert_eq!(p.layout.size, 32);
        assert_eq!(p.offsets, [26, 0, 24, 28, 16, 20, 8, 27]);
    }

    #[test]
    fn doc_example_bool_moves_to_end() {
        let p = rust(&[int(1), int(4), boolean(), int(2)]);
        assert_eq!(p.layout.size, 8);
        assert_eq!(p.offsets, [6, 0, 7, 4]);
    }

    #[test]
    fn doc_example_size_as_align() {
        let p = rust(&[int(1), bytes(4), int(2), bytes(6)]);
        assert_eq!(p.layout.size, 14);
        assert_eq!(p.offsets, [12, 0, 4, 6]);
    }

    #[test]
    fn doc_example_bool_keeps_front() {
        assert_eq!(rust(&[boolean(), bytes(16)]).offsets, [0, 1]);
        assert_eq!(rust(&[int(1), bytes(16)]).offsets, [16, 0]);
    }

    #[test]
    fn doc_example_packed() {
        let repr = ReprOpts {
            packed: Some(1),
            ..ReprOpts::default()
        };
        let p = univariant(&[int(1), int(4), boolean()], repr, Kind::AlwaysSized, B).unwrap();
        assert_eq!(p.layout.size, 6);
        assert_eq!(p.offsets, [1, 2, 0]);
    }

    #[test]
    fn repr_c_keeps_order_and_over_aligned_zst_aligns() {
        let repr = ReprOpts {
            c: true,
            ..ReprOpts::default()
        };
        let zst8 = Layout::plain(0, 8);
        let p = univariant(&[int(1), zst8, int(2)], repr, Kind::AlwaysSized, B).unwrap();
        assert_eq!(p.offsets, [0, 8, 8]);
        assert_eq!(p.layout.size, 16);
    }

    #[test]
    fn option_tags() {
        let o = option(int(4), 8, 16, B).unwrap();
        assert_eq!((o.size, o.align), (8, 4));
        assert_eq!(o.niche, Niche::scalar(4, (1 << 32) - 2));
        assert_eq!(option(Layout::plain(0, 1), 8, 16, B).unwrap().size, 1);
        assert_eq!(
            option(boolean(), 8, 16, B)
                .unwrap()
                .niche
                .unwrap()
                .available,
            253
        );
        // i686: u64 is 4-aligned, no 8-byte integer has alignment 4 -> u32 tag... of size 4.
        let o = option(Layout::plain(8, 4), 4, 16, B).unwrap();
        assert_eq!((o.size, o.align), (12, 4));
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(array(int(8), u128::from(u64::MAX), B), Err(Overflow));
        assert_eq!(array(int(1), 1 << 62, B), Err(Overflow));
        assert!(array(int(1), 1 << 40, B).is_ok());
    }

    fn e(variants: &[&[Layout]]) -> Layout {
        let v: Vec<Vec<Layout>> = variants.iter().map(|v| v.to_vec()).collect();
        let d: Vec<i128> = (0..v.len() as i128).collect();
        let o = EnumOpts {
            align_u64: 8,
            align_u128: 16,
            ..EnumOpts::default()
        };
        enum_layout(&v, &d, o, B).unwrap()
    }

    #[test]
    fn option_is_the_general_enum_layout() {
        let nz32 = Layout::scalar_niche(4, 4, 1);
        for t in [
            int(4),
            boolean(),
            nz32,
            Layout::plain(0, 1),
            bytes(3),
            int(8),
        ] {
            let o = option(t, 8, 16, B).unwrap();
            let g = e(&[&[], &[t]]);
            assert_eq!(
                (o.size, o.align, o.niche),
                (g.size, g.align, g.niche),
                "{t:?}"
            );
        }
    }

    #[test]
    fn data_enums_pick_tagged_or_niche() {
        // Result<u32, u8>: no niche in the largest variant; `Err`'s u8 sits next to the
        // tag, so the tag stays one byte.
        let r = e(&[&[int(4)], &[int(1)]]);
        assert_eq!((r.size, r.align), (8, 4));
        assert_eq!(r.niche, Niche::scalar(1, 254));
        // Result<u32, u32>: every variant's data is 4-aligned: the tag widens to u32.
        let r = e(&[&[int(4)], &[int(4)]]);
        assert_eq!(r.niche, Niche::scalar(4, (1 << 32) - 2));
        // Cow<str>-like: (ptr, len) fits after String's capacity niche at offset 0.
        let cap = Layout {
            size: 24,
            align: 8,
            niche: Some(Niche {
                offset: 0,
                size: 8,
                available: 1 << 63,
            }),
            over: Over::No,
        };
        let fat = Layout {
            size: 16,
            align: 8,
            niche: Some(Niche {
                offset: 0,
                size: 8,
                available: 1,
            }),
            over: Over::No,
        };
        let cow = e(&[&[fat], &[cap]]);
        assert_eq!(
            (cow.size, cow.niche.map(|n| n.available)),
            (24, Some((1 << 63) - 1))
        );
        // A(u8, bool), B(u64): u8-sized variant data after the tag, 16 bytes.
        assert_eq!(e(&[&[int(1), boolean()], &[int(8)]]).size, 16);
        // Three variants, one u8 each, with a bool: niche of 254 leaves room for two.
        assert_eq!(e(&[&[boolean()], &[], &[]]).size, 1);
        let c = EnumOpts {
            c: true,
            align_u64: 8,
            align_u128: 16,
            ..EnumOpts::default()
        };
        // repr(C) enum { A(u8), B(u16) }: a 4-byte tag, then the union at 4.
        let l = enum_layout(&[vec![int(1)], vec![int(2)]], &[0, 1], c, B).unwrap();
        assert_eq!((l.size, l.align), (8, 4));
        let u8tag = EnumOpts {
            int: Some((1, false)),
            ..c
        };
        let u8tag = EnumOpts { c: false, ..u8tag };
        // repr(u8) enum { A(u8, u32) }: fields in declaration order after the tag.
        let l = enum_layout(&[vec![int(1), int(4)]], &[0], u8tag, B).unwrap();
        assert_eq!((l.size, l.align), (8, 4));
    }

    #[test]
    fn discriminant_span_past_i128_is_an_error_not_a_panic() {
        let o = EnumOpts {
            align_u64: 8,
            align_u128: 16,
            ..EnumOpts::default()
        };
        let r = enum_layout(&[vec![], vec![]], &[i128::MIN, i128::MAX], o, B);
        assert_eq!(r, Err(Overflow));
    }
}
