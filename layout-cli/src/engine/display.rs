//! Types printed the way people write them, and what a field holds (for the heuristic).

use syn::{GenericArgument, Type};

use super::types::generic_args;
use crate::analysis::FieldKind;

/// A field type with arrays, parentheses and the wrappers that hold their content
/// in place (`CachePadded`, `ManuallyDrop`, `Wrapping`) peeled off: what the field
/// holds, for the `possible-false-sharing` heuristic.
pub fn peeled(ty: &Type) -> &Type {
    match ty {
        Type::Array(a) => peeled(&a.elem),
        Type::Paren(p) => peeled(&p.elem),
        Type::Group(g) => peeled(&g.elem),
        Type::Path(tp) => {
            if let Some(last) = tp.path.segments.last()
                && matches!(
                    last.ident.to_string().as_str(),
                    "CachePadded" | "ManuallyDrop" | "Wrapping"
                )
                && let Some(GenericArgument::Type(inner)) = generic_args(&last.arguments).first()
            {
                return peeled(inner);
            }
            ty
        }
        _ => ty,
    }
}

/// What a field holds, for the `possible-false-sharing` heuristic: the [`peeled`]
/// type, by its name.
pub fn field_kind(ty: &Type) -> FieldKind {
    match peeled(ty) {
        Type::Path(tp) => {
            let Some(last) = tp.path.segments.last() else {
                return FieldKind::Plain;
            };
            let name = last.ident.to_string();
            if name.starts_with("Atomic") {
                FieldKind::Atomic
            } else if matches!(
                name.as_str(),
                "Mutex"
                    | "RwLock"
                    | "Condvar"
                    | "Once"
                    | "OnceLock"
                    | "ReentrantMutex"
                    | "SpinLock"
                    | "Spinlock"
                    | "FairMutex"
                    | "Semaphore"
                    | "Barrier"
            ) {
                FieldKind::Lock
            } else if matches!(
                name.as_str(),
                "Cell" | "UnsafeCell" | "RefCell" | "OnceCell" | "SyncUnsafeCell"
            ) {
                FieldKind::Cell
            } else {
                FieldKind::Plain
            }
        }
        _ => FieldKind::Plain,
    }
}

/// A type printed the way people write it: `Option<Box<[u8; 4]>>`, `&'a mut T`,
/// `dyn Fn(u8) -> u8 + Send`.
pub fn type_string(ty: &Type) -> String {
    tokens_string(quote::ToTokens::to_token_stream(ty))
}

/// Tokens printed with the spacing of [`type_string`].
pub fn tokens_string(ts: proc_macro2::TokenStream) -> String {
    let mut out = String::new();
    print_tokens(ts, &mut out, &mut false, 0);
    out
}

fn print_tokens(
    ts: proc_macro2::TokenStream,
    out: &mut String,
    prev_word: &mut bool,
    depth: usize,
) {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    if depth > 64 {
        out.push('…');
        return;
    }
    let mut after_lifetime_quote = false;
    for tt in ts {
        match tt {
            TokenTree::Ident(i) => {
                if *prev_word && !after_lifetime_quote {
                    out.push(' ');
                }
                out.push_str(&i.to_string());
                *prev_word = true;
                after_lifetime_quote = false;
            }
            TokenTree::Literal(l) => {
                if *prev_word {
                    out.push(' ');
                }
                out.push_str(&l.to_string());
                *prev_word = true;
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                match c {
                    ',' | ';' => {
                        out.push(c);
                        out.push(' ');
                        *prev_word = false;
                    }
                    '+' => {
                        out.push_str(" + ");
                        *prev_word = false;
                    }
                    '=' if p.spacing() == Spacing::Alone
                        && !out.ends_with(['=', '!', '<', '>']) =>
                    {
                        out.push_str(" = ");
                        *prev_word = false;
                    }
                    '-' if p.spacing() == Spacing::Joint => {
                        out.push_str(" -");
                        *prev_word = false;
                    }
                    '>' if out.ends_with(" -") => {
                        out.push_str("> ");
                        *prev_word = false;
                    }
                    '\'' => {
                        if *prev_word {
                            out.push(' ');
                        }
                        out.push(c);
                        after_lifetime_quote = true;
                        *prev_word = false;
                    }
                    _ => {
                        out.push(c);
                        *prev_word = false;
                    }
                }
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                if *prev_word && g.delimiter() == Delimiter::Brace {
                    out.push(' ');
                }
                out.push_str(open);
                let mut inner_prev = false;
                print_tokens(g.stream(), out, &mut inner_prev, depth + 1);
                while out.ends_with(' ') && !close.is_empty() {
                    out.pop();
                }
                out.push_str(close);
                *prev_word = g.delimiter() == Delimiter::None && inner_prev;
            }
        }
    }
    while out.ends_with(' ') && depth == 0 {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_strings() {
        let t = |s: &str| type_string(&syn::parse_str::<Type>(s).unwrap());
        assert_eq!(t("Option < Box < [ u8 ; 4 ] > >"), "Option<Box<[u8; 4]>>");
        assert_eq!(t("&'a mut T"), "&'a mut T");
        assert_eq!(t("*const u8"), "*const u8");
        assert_eq!(
            t("Box<dyn Fn(u8) -> u8 + Send>"),
            "Box<dyn Fn(u8) -> u8 + Send>"
        );
        assert_eq!(t("(u8, u16)"), "(u8, u16)");
        assert_eq!(t("std::sync::Mutex<()>"), "std::sync::Mutex<()>");
        assert_eq!(t("[u8; N * 2]"), "[u8; N*2]");
    }

    #[test]
    fn field_kinds() {
        let k = |s: &str| field_kind(&syn::parse_str::<Type>(s).unwrap());
        assert_eq!(k("AtomicU64"), FieldKind::Atomic);
        assert_eq!(
            k("CachePadded<std::sync::atomic::AtomicUsize>"),
            FieldKind::Atomic
        );
        assert_eq!(k("[AtomicBool; 4]"), FieldKind::Atomic);
        assert_eq!(k("parking_lot::Mutex<u8>"), FieldKind::Lock);
        assert_eq!(k("RefCell<u8>"), FieldKind::Cell);
        assert_eq!(k("u64"), FieldKind::Plain);
    }
}
