//! A fixed-size text buffer usable in `const fn`.
//!
//! Const panics cannot format numbers, but `panic!("{}", s)` with a `&str` works in
//! const evaluation, so the rules write their message here first.

/// Bytes a message may hold; longer text is cut at a character boundary and ends in `...`.
pub const MSG_CAP: usize = 480;

/// A const-buildable UTF-8 string of at most [`MSG_CAP`] bytes.
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

    /// Appends `s`, cutting at a character boundary if full.
    pub const fn push_str(&mut self, s: &str) -> &mut Self {
        let bytes = s.as_bytes();
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
            while take > 0 && (bytes[take] & 0xC0) == 0x80 {
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
}
