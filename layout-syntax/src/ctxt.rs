//! Error collection (the serde_derive `Ctxt` pattern, without its panic on drop).

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// Collects every error found while parsing, each with its span.
#[derive(Debug, Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// An empty context.
    pub fn new() -> Self {
        Ctxt::default()
    }

    /// Records an error pointing at `tokens` (first to last token where the compiler
    /// allows spans to be joined).
    pub fn error_spanned_by<A: ToTokens, T: Display>(&self, tokens: A, msg: T) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new_spanned(tokens.into_token_stream(), msg));
    }

    /// Records an error at `span`.
    pub fn error_at<T: Display>(&self, span: Span, msg: T) {
        self.errors.borrow_mut().push(syn::Error::new(span, msg));
    }

    /// Records an error syn produced.
    pub fn syn_error(&self, err: syn::Error) {
        self.errors.borrow_mut().push(err);
    }

    /// Whether no error has been recorded so far.
    pub fn is_empty(&self) -> bool {
        self.errors.borrow().is_empty()
    }

    /// `Ok` if no error was recorded, else every error in the order found.
    pub fn check(self) -> Result<(), Vec<syn::Error>> {
        let errors = self.into_errors();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every error recorded, in the order found.
    pub fn into_errors(self) -> Vec<syn::Error> {
        self.errors.into_inner()
    }
}

/// A parsed value and the span of the token it came from.
#[derive(Clone, Copy, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs `value` with `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    /// Compares values only: spans are positions, not meaning.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
