//! The layout descriptor: what rustc decided plus what the user asked for.
//!
//! The lifetime lets `layout-cli` build descriptors at run time from borrowed data and
//! call the same `const fn` rules the derive calls at compile time.

/// One struct's layout for one target, with its stated intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructLayout<'a> {
    /// The struct's name as written (`Ring`, not a path).
    pub name: &'a str,
    /// `size_of::<T>()`.
    pub size: usize,
    /// `align_of::<T>()`.
    pub align: usize,
    /// Cache-line size the line rules are checked against: `#[layout(line = N)]`, or the
    /// target's [`crate::target::TargetInfo::cache_line`].
    pub line: usize,
    /// Bytes the hardware prefetcher pulls in together (the `adjacent-line` rule).
    pub prefetch_span: usize,
    /// Which target this layout is for (`x86_64-linux`, `aarch64-macos`, ...).
    pub target: &'a str,
    /// The `#[repr]` options that matter to the rules.
    pub repr: ReprInfo,
    /// Fields in declaration order. Fields `cfg`'d out on this target are absent.
    pub fields: &'a [FieldLayout<'a>],
    /// Struct-level expectations from `#[layout(...)]`.
    pub expect: StructExpect,
}

/// The subset of `#[repr(...)]` the rules need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReprInfo {
    /// `repr(C)`: fields keep declaration order.
    pub c: bool,
    /// `repr(transparent)`.
    pub transparent: bool,
    /// `repr(packed(N))`, with `packed` alone meaning 1.
    pub packed: Option<usize>,
    /// `repr(align(N))`.
    pub align: Option<usize>,
}

impl ReprInfo {
    /// Whether rustc keeps the declared field order (only `repr(C)` does; `align`,
    /// `packed` and `transparent` do not stop reordering).
    pub const fn keeps_order(&self) -> bool {
        self.c
    }
}

/// Struct-level expectations: `#[layout(size = N, align = N, line = N, max_padding = N)]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StructExpect {
    /// `size = N`.
    pub size: Option<usize>,
    /// `align = N`.
    pub align: Option<usize>,
    /// `line = N`: the cache-line size to check against instead of the target's.
    pub line: Option<usize>,
    /// `max_padding = N`: most bytes of compiler-inserted padding (holes and tail).
    pub max_padding: Option<usize>,
}

/// One field's place and intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLayout<'a> {
    /// Field name; tuple fields are `"0"`, `"1"`, ...
    pub name: &'a str,
    /// `offset_of!(T, field)`.
    pub offset: usize,
    /// `size_of` the field's type.
    pub size: usize,
    /// `align_of` the field's type (its effective alignment in a `packed(N)` struct is
    /// `min(align, N)`).
    pub align: usize,
    /// What `#[layout(...)]` on the field asks for.
    pub intent: FieldIntent<'a>,
}

/// Field-level intent: `#[layout(offset = N, line = K, group = "g", isolated, pad)]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldIntent<'a> {
    /// `offset = N`.
    pub offset: Option<usize>,
    /// `line = K`: the field lies wholly inside cache line `K` (counted from the
    /// struct's start, as pahole counts).
    pub line: Option<usize>,
    /// `group = "name"`: fields of different groups never share a cache line.
    pub group: Option<&'a str>,
    /// `isolated`: no other non-pad field shares any of this field's lines.
    pub isolated: bool,
    /// `pad`: padding, exempt from the sharing rules.
    pub pad: bool,
}

impl FieldLayout<'_> {
    /// First cache line the field touches, for `line`-byte lines.
    pub const fn first_line(&self, line: usize) -> usize {
        self.offset / line
    }

    /// Last cache line the field touches; a zero-sized field touches its first line only.
    pub const fn last_line(&self, line: usize) -> usize {
        if self.size == 0 {
            self.offset / line
        } else {
            (self.offset + self.size - 1) / line
        }
    }

    /// Whether the sharing rules consider this field: pad fields and zero-sized fields
    /// hold no data anyone writes.
    pub const fn occupies(&self) -> bool {
        !self.intent.pad && self.size != 0
    }
}

impl StructLayout<'_> {
    /// Bytes rustc inserted: size minus the sum of field sizes. Explicit pad fields are
    /// fields, so they do not count. `None` if the fields overlap (impossible for a
    /// real struct; a hand-written descriptor could claim it).
    pub const fn padding(&self) -> Option<usize> {
        let mut used = 0usize;
        let mut i = 0;
        while i < self.fields.len() {
            used = match used.checked_add(self.fields[i].size) {
                Some(u) => u,
                None => return None,
            };
            i += 1;
        }
        self.size.checked_sub(used)
    }

    /// Whether any field states a cache-line intent (`line`, `group`, `isolated`, `pad`).
    pub const fn has_line_intent(&self) -> bool {
        let mut i = 0;
        while i < self.fields.len() {
            let it = &self.fields[i].intent;
            if it.line.is_some() || it.group.is_some() || it.isolated || it.pad {
                return true;
            }
            i += 1;
        }
        false
    }
}
