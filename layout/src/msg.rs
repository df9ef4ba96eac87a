//! A fixed-size text buffer usable in `const fn`.
//!
//! Const panics cannot format numbers, but `panic!("{}", s)` with a `&str` works in
//! const evaluation, so the rules write their message here first.
//!
//! A message is a few fixed phrases, at most seven names (struct, fields, groups,
//! target) and at most eight numbers. Identifiers have no length limit, so each piece
//! longer than [`PIECE_CAP`] keeps its head and tail around a `...`: the message then
//! fits in [`MSG_CAP`] whatever the names are, and the numbers and the target after
//! the names always survive.

/// Bytes a message may hold; longer text is cut at a character boundary and ends in `...`.
/// Seven pieces of [`PIECE_CAP`] bytes, the rules' fixed text and eight 20-digit numbers
/// come to under 1000 bytes.
pub const MSG_CAP: usize = 1024;

/// Bytes one [`MsgBuf::push_str`] writes at most: a longer piece is shortened in the
/// middle to its first [`PIECE_HEAD`] bytes, `...` and its last bytes.
pub const PIECE_CAP: usize = 96;

/// Bytes of a shortened piece kept before the `...`.
pub const PIECE_HEAD: usize = 64;

// The public docs below state these numbers (the constants themselves are private).
const _: () = assert!(MSG_CAP == 1024 && PIECE_CAP == 96 && PIECE_HEAD == 64);

/// A const-buildable UTF-8 string of at most 1024 bytes; a single piece longer than 96
/// bytes is shortened in the middle, so names never push the numbers after them out.
#[derive(Clone, Copy, Debug)]
pub struct MsgBuf {
    buf: [u8; MSG_CAP],
    len: usize,
    truncated: bool,
}

impl Default for MsgBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgBuf {
    /// An empty buffer.
    pub const fn new() -> Self {
        MsgBuf {
            buf: [0; MSG_CAP],
            len: 0,
            truncated: false,
        }
    }

    /// Appends `s`; a piece longer than 96 bytes is shortened in the middle, at
    /// character boundaries, to its first 64 bytes, `...` and its last 29.
    pub const fn push_str(&mut self, s: &str) -> &mut Self {
        let bytes = s.as_bytes();
        if bytes.len() <= PIECE_CAP {
            return self.push_raw(bytes);
        }
        let mut head = PIECE_HEAD;
        while head > 0 && is_continuation(bytes[head]) {
            head -= 1;
        }
        // The tail keeps PIECE_CAP - PIECE_HEAD - 3 bytes or fewer, starting on a
        // character boundary.
        let mut tail = bytes.len() - (PIECE_CAP - PIECE_HEAD - 3);
        while tail < bytes.len() && is_continuation(bytes[tail]) {
            tail += 1;
        }
        let (first, _) = bytes.split_at(head);
        let (_, last) = bytes.split_at(tail);
        self.push_raw(first).push_raw(b"...").push_raw(last)
    }

    /// Appends whole UTF-8 `bytes`, cutting at a character boundary if full.
    const fn push_raw(&mut self, bytes: &[u8]) -> &mut Self {
        // Keep 3 bytes for the "..." marker.
        let room = MSG_CAP
            - 3
            - if self.len > MSG_CAP - 3 {
                MSG_CAP - 3
            } else {
                self.len
            };
        let mut take = if bytes.len() > room {
            room
        } else {
            bytes.len()
        };
        if take < bytes.len() {
            self.truncated = true;
            // Back off to a char boundary: continuation bytes are 0b10xx_xxxx.
            while take > 0 && is_continuation(bytes[take]) {
                take -= 1;
            }
        }
        let mut i = 0;
        while i < take {
            self.buf[self.len + i] = bytes[i];
            i += 1;
        }
        self.len += take;
        self
    }

    /// Appends `n` in decimal.
    pub const fn push_usize(&mut self, mut n: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let (_, tail) = digits.split_at(i);
        match core::str::from_utf8(tail) {
            Ok(s) => self.push_str(s),
            Err(_) => self,
        }
    }

    /// The text written so far (ending in `...` if something was cut).
    pub const fn as_str(&self) -> &str {
        let (head, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(head) {
            Ok(s) => s,
            // Unreachable: only whole `&str`s cut at char boundaries are copied in.
            Err(_) => "",
        }
    }

    /// Whether text was cut to fit.
    pub const fn truncated(&self) -> bool {
        self.truncated
    }

    /// Marks the end of a cut message; called by the rules before they panic.
    pub const fn finish(&mut self) -> &mut Self {
        if self.truncated {
            let mut i = 0;
            while i < 3 {
                self.buf[self.len + i] = b'.';
                i += 1;
            }
            self.len += 3;
            self.truncated = false;
        }
        self
    }
}

/// Whether `b` continues a UTF-8 character (0b10xx_xxxx) rather than starting one.
const fn is_continuation(b: u8) -> bool {
    (b & 0xC0) == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_text() {
        let mut m = MsgBuf::new();
        m.push_str("offset ")
            .push_usize(0)
            .push_str(" / ")
            .push_usize(usize::MAX);
        assert_eq!(m.as_str(), "offset 0 / 18446744073709551615");
    }

    #[test]
    fn cuts_at_char_boundary() {
        let mut m = MsgBuf::new();
        for _ in 0..MSG_CAP {
            m.push_str("é");
        }
        m.finish();
        assert!(m.as_str().ends_with("..."));
        assert!(m.as_str().len() <= MSG_CAP);
        assert!(m.as_str().trim_end_matches('.').chars().all(|c| c == 'é'));
    }

    const CONST_MSG: MsgBuf = {
        let mut m = MsgBuf::new();
        m.push_str("line ").push_usize(42);
        m
    };

    #[test]
    fn usable_in_const() {
        assert_eq!(CONST_MSG.as_str(), "line 42");
    }

    const LONG: &str = "a_very_long_identifier_0123456789_abcdefghijklmnopqrstuvwxyz_0123456789_\
                        ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789_abcdefghijklmnopqrstuvwxyz_\
                        0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789_past_two_hundred_the_end";

    #[test]
    fn long_pieces_keep_head_and_tail() {
        assert!(LONG.len() > 200, "{}", LONG.len());
        let mut m = MsgBuf::new();
        m.push_str("<").push_str(LONG).push_str(">");
        let s = m.as_str();
        assert_eq!(s.len(), 1 + PIECE_CAP + 1, "{s}");
        let inner = &s[1..s.len() - 1];
        assert!(inner.starts_with(&LONG[..PIECE_HEAD]), "{s}");
        assert!(inner.ends_with(&LONG[LONG.len() - (PIECE_CAP - PIECE_HEAD - 3)..]));
        assert_eq!(&inner[PIECE_HEAD..PIECE_HEAD + 3], "...");
        assert!(!m.truncated());
        // A piece of exactly PIECE_CAP bytes is kept whole.
        let mut m = MsgBuf::new();
        m.push_str(&LONG[..PIECE_CAP]);
        assert_eq!(m.as_str(), &LONG[..PIECE_CAP]);
    }

    #[test]
    fn long_multibyte_pieces_stay_utf8() {
        // 3-byte characters: neither the head cut nor the tail cut falls on a boundary.
        let mut buf = [0u8; 300];
        for c in buf.chunks_mut(3) {
            c.copy_from_slice("\u{20ac}".as_bytes());
        }
        let euros = core::str::from_utf8(&buf).unwrap_or("");
        assert_eq!(euros.len(), 300);
        let mut m = MsgBuf::new();
        m.push_str(euros);
        let s = m.as_str();
        assert!(
            s.len() <= PIECE_CAP && s.len() > PIECE_CAP - 6,
            "{}",
            s.len()
        );
        let (head, tail) = s.split_once("...").unwrap_or(("", ""));
        assert!(head.chars().all(|c| c == '\u{20ac}') && !head.is_empty());
        assert!(tail.chars().all(|c| c == '\u{20ac}') && !tail.is_empty());
    }

    /// Every rule's message with the longest names and numbers there can be keeps its
    /// numbers and target: nothing is cut at [`MSG_CAP`].
    #[test]
    fn worst_case_messages_fit() {
        use crate::rules::Violation;
        use crate::{Code, FieldIntent, FieldLayout, ReprInfo, StructExpect, StructLayout};
        const BIG: usize = 9_999_999_999_999_999_000;
        let intent = FieldIntent {
            offset: Some(BIG),
            line: Some(BIG),
            group: Some(LONG),
            isolated: true,
            pad: false,
        };
        let f = FieldLayout {
            name: LONG,
            offset: BIG,
            size: 999,
            align: 1,
            intent,
        };
        let fields = [f, f];
        let l = StructLayout {
            name: LONG,
            size: BIG,
            align: BIG,
            line: BIG,
            prefetch_span: BIG,
            target: "x86_64-linux",
            repr: ReprInfo::default(),
            fields: &fields,
            expect: StructExpect::default(),
        };
        let mut longest = 0;
        for &code in Code::ALL {
            let v = Violation {
                code,
                field: Some(0),
                other: Some(1),
                expected: BIG,
                actual: BIG - 1,
            };
            let m = v.message(&l);
            let s = m.as_str();
            longest = longest.max(s.len());
            assert!(s.ends_with(" (target x86_64-linux)"), "{s}");
            assert!(s.starts_with('[') && s.contains(code.as_str()), "{s}");
            // The piece before the target is whole, so nothing was cut.
            assert!(!s.contains("... (target"), "{s}");
        }
        assert!(longest < MSG_CAP, "{longest}");
        assert!(longest > 600, "the worst case is long: {longest}");
    }
}
