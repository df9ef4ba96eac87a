//! `layout-syntax` names the diagnostic codes for `#[layout(allow(...))]` without
//! depending on `layout` (which re-exports the derive that depends on it). Both lists
//! must name the same codes, with the same advisory split, or `allow` would accept a
//! code `layout-cli` does not know or reject one it could silence.

use layout::Code;
use layout_syntax::{Advisory, ERROR_CODES};

#[test]
fn advisory_codes_match_layout() {
    let from_layout: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.is_advisory())
        .map(|c| c.as_str())
        .collect();
    let from_syntax: Vec<&str> = Advisory::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(from_syntax, from_layout);
    for a in Advisory::ALL {
        let snake = a.as_str().replace('-', "_");
        assert_eq!(Code::parse(&snake).map(Code::as_str), Some(a.as_str()));
        assert_eq!(Advisory::parse(&snake), Some(*a));
    }
}

#[test]
fn error_codes_match_layout() {
    let from_layout: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !c.is_advisory())
        .map(|c| c.as_str())
        .collect();
    let from_syntax: Vec<&str> = ERROR_CODES.iter().map(|(name, _)| *name).collect();
    assert_eq!(from_syntax, from_layout);
    for (name, _) in ERROR_CODES {
        assert_eq!(Advisory::parse(name), None, "{name} must not be allowable");
    }
}
