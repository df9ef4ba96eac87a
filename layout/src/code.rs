//! Stable diagnostic codes, shared by the derive's messages and layout-cli's output.

/// How bad a finding is. `layout-cli --deny` compares against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look; the struct may be fine.
    Warning,
    /// A stated intent does not hold. The derive fails compilation on these.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $sev:ident, $summary:literal, $explain:literal;)*) => {
        /// A diagnostic code. The kebab-case names are stable: tools may match on them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $(#[doc = $summary] $variant,)* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name.
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Default severity.
            pub const fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One line: what the code means.
            pub const fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// Several lines: when it fires, why it matters, how to fix it
            /// (`layout-cli explain CODE`).
            pub const fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explain,)* }
            }
        }
    };
}

codes! {
    SizeMismatch = "size-mismatch", Error,
        "the struct's size differs from `#[layout(size = N)]`",
        "Fires when size_of::<T>() on the target differs from the size the struct \
         declares with #[layout(size = N)]. Sizes drift when a field's type changes \
         size on another target (c_long, std::sync::Mutex) or a field is added. Fix \
         the fields or the expectation; use cfg_attr for per-target sizes.";
    AlignMismatch = "align-mismatch", Error,
        "the struct's alignment differs from `#[layout(align = N)]`",
        "Fires when align_of::<T>() differs from #[layout(align = N)]. A struct meant \
         to start on a cache-line boundary needs #[repr(align(N))]; without it the \
         alignment is the largest field alignment, which differs between targets.";
    OffsetMismatch = "offset-mismatch", Error,
        "a field is not at the offset `#[layout(offset = N)]` pins it to",
        "Fires when offset_of!(T, field) differs from #[layout(offset = N)]. Under \
         repr(Rust) rustc reorders fields, so pin offsets only in repr(C) structs.";
    WrongLine = "wrong-line", Error,
        "a field does not start on the cache line `#[layout(line = K)]` names",
        "Lines are counted from the struct's start in units of the line size in force \
         (#[layout(line = N)] on the struct, else the target's cache line). A field \
         marked line = K must start in line K: offset / line == K. On targets with \
         128-byte lines (Apple M-series) a field at offset 64 is on line 0, not 1.";
    LineStraddle = "line-straddle", Error,
        "a field that must lie inside one cache line crosses into the next",
        "A field marked line = K, or isolated and no larger than a line, must lie \
         wholly inside one line: its first and last byte on the same line. A field \
         that straddles a boundary costs two lines on every access and can share \
         both with neighbours.";
    FalseSharing = "false-sharing", Error,
        "fields of different `group`s share a cache line",
        "Each group = \"name\" is one writer (a producer, a consumer). Two fields of \
         different groups on one cache line make the writers' cores take the line \
         from each other on every write: false sharing (measured here: 2.9x slower \
         atomic increments). Put pad fields or #[repr(align)] between the groups.";
    NotIsolated = "not-isolated", Error,
        "an `isolated` field shares a cache line with another field",
        "A field marked isolated shares none of its cache lines with another non-pad, \
         non-zero-sized field. Surround it with pad fields to the line size, or give \
         it a #[repr(align(N))] wrapper such as crossbeam's CachePadded.";
    PaddingBudget = "padding-budget", Error,
        "compiler-inserted padding exceeds `#[layout(max_padding = N)]`",
        "Padding is size_of::<T>() minus the sum of field sizes: holes between fields \
         and tail padding. Explicit pad fields are fields and do not count. Reorder \
         the fields (layout-cli fix) or raise the budget.";
    PaddingWaste = "padding-waste", Warning,
        "reordering the fields would make the struct smaller",
        "Like Go's betteralign: the struct of size S could be S' with the field order \
         shown. Only repr(C) structs can be reordered by hand; rustc already reorders \
         repr(Rust). The suggested order keeps every #[layout] intent satisfied.";
    AdjacentLine = "adjacent-line", Warning,
        "fields of different groups sit on adjacent lines of one prefetch pair",
        "Intel's spatial prefetcher pulls 64-byte lines in 128-byte aligned pairs \
         (and Apple's cores have 128-byte lines), so two groups on lines 2k and 2k+1 \
         still contend. Separate groups by the target's prefetch span.";
    PossibleFalseSharing = "possible-false-sharing", Warning,
        "several atomics or locks of an unannotated struct share a cache line",
        "A heuristic for structs without #[layout] intent: two or more atomics, locks \
         or cells that different threads likely write sit on one cache line. A field \
         of one of the crate's own structs counts by what that struct holds (a lock \
         type wrapping an AtomicBool is an atomic). If one thread writes them all, mark \
         them with one group to silence this; otherwise separate them.";
    UnalignedBase = "unaligned-base", Warning,
        "line rules are relative to the struct's start, which may not be line-aligned",
        "Line rules count lines from the struct's first byte, as pahole does. A struct \
         aligned below the line size can start mid-line, so its isolation holds only \
         relative to itself. Add #[repr(align(LINE))] to make it absolute.";
    UnstablePadding = "unstable-padding", Warning,
        "pad fields or line intent in a repr(Rust) struct",
        "rustc reorders repr(Rust) fields and may change that order between compiler \
         versions (under -Zrandomize-layout hand-padded head/tail fields landed on one \
         line in 6 of 12 builds). The checks still hold for this build, but use \
         repr(C) when the order is the point.";
    ModelMismatch = "model-mismatch", Error,
        "rustc's number differs from the static engine's (`--exact`, `verify`)",
        "Fires under --exact or layout-cli verify when rustc, asked directly on the \
         target, gives a size, alignment, offset or field size different from the one \
         the static engine computed. It is expected never to fire: the static model is \
         checked against rustc by the project's oracle tests. The report uses rustc's \
         number. Please report the struct and the toolchain named in the message; \
         until it is fixed, use --exact for that crate.";
    UnknownLayout = "unknown-layout", Warning,
        "a struct that states layout intent has a layout the static engine cannot know",
        "Fires for a struct that carries #[derive(CacheLayout)] or a #[layout] \
         attribute when the static report cannot compute its size, alignment or an \
         offset (a type it does not model, a cfg only a build script decides): its \
         intent is then not checked by the report, so a --deny warning gate would \
         otherwise pass while checking nothing. The derive still checks it under \
         cargo check. Use --exact to take the numbers from rustc, or simplify the \
         field types; the message says which field is unknown and why.";
}

impl Code {
    /// Whether `#[layout(allow(...))]` and `layout-cli`'s level options may silence
    /// the code: the warnings that are heuristics or advice. Error codes are the checks
    /// of annotations, so the annotation is what to remove; a code not listed here is
    /// not advisory.
    pub const fn is_advisory(self) -> bool {
        matches!(
            self,
            Code::PaddingWaste
                | Code::AdjacentLine
                | Code::PossibleFalseSharing
                | Code::UnalignedBase
                | Code::UnstablePadding
        )
    }

    /// The code named `name`, in its kebab-case spelling or with `_` for `-`
    /// (`padding-waste`, `padding_waste`). Case matters: `Padding-Waste` is unknown.
    pub const fn parse(name: &str) -> Option<Code> {
        let mut i = 0;
        while i < Code::ALL.len() {
            if same_name(Code::ALL[i].as_str().as_bytes(), name.as_bytes()) {
                return Some(Code::ALL[i]);
            }
            i += 1;
        }
        None
    }
}

/// `name` equals the kebab-case `canon`, reading `_` in `name` as `-`.
const fn same_name(canon: &[u8], name: &[u8]) -> bool {
    if canon.len() != name.len() {
        return false;
    }
    let mut i = 0;
    while i < canon.len() {
        let b = if name[i] == b'_' { b'-' } else { name[i] };
        if b != canon[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `str::parse::<Code>()` of a name that is no diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownCode;

impl core::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("unknown diagnostic code")
    }
}

impl core::str::FromStr for Code {
    type Err = UnknownCode;

    /// [`Code::parse`].
    fn from_str(s: &str) -> Result<Code, UnknownCode> {
        Code::parse(s).ok_or(UnknownCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_both_spellings_of_every_code() {
        for &c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
            let mut buf = [0u8; 64];
            let name = c.as_str().as_bytes();
            for (b, &n) in buf.iter_mut().zip(name) {
                *b = if n == b'-' { b'_' } else { n };
            }
            let snake = core::str::from_utf8(&buf[..name.len()]).unwrap_or("");
            assert!(snake.contains('_') || !c.as_str().contains('-'), "{snake}");
            assert_eq!(snake.parse::<Code>(), Ok(c));
        }
        assert_eq!(Code::parse("padding"), None);
        assert_eq!(Code::parse("padding-waste-"), None);
        assert_eq!("Padding-Waste".parse::<Code>(), Err(UnknownCode));
        assert_eq!(Code::parse(""), None);
    }

    #[test]
    fn advisory_codes_are_the_warnings() {
        let want = [
            Code::PaddingWaste,
            Code::AdjacentLine,
            Code::PossibleFalseSharing,
            Code::UnalignedBase,
            Code::UnstablePadding,
        ];
        let mut n = 0;
        for &c in Code::ALL {
            if c.is_advisory() {
                assert_eq!(c, want[n]);
                assert_eq!(c.severity(), Severity::Warning, "{c:?}");
                n += 1;
            }
        }
        assert_eq!(n, want.len());
    }
}
