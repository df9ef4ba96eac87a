//! `#[cfg(...)]` and `#[cfg_attr(...)]`, evaluated for one crate on one target as rustc
//! would.
//!
//! With cargo's model (see [`crate::cargo`]), every predicate rustc decides comes from
//! `rustc --print cfg --target T` for the build (target features, `--cfg`s from
//! rustflags, `debug_assertions` per profile, `panic`), `feature = "..."` from the
//! features cargo enables for that package on that target, `proc_macro` from the crate
//! kind, and `test`, `doc`, `doctest`, `miri` are false. Any other name is false for a
//! package without a build script; a build script may set it (`cargo:rustc-cfg`), so for
//! a package with one, a name its build files mention is *unknown*, and an item that
//! depends on it is reported as possibly absent and a field as unknown, never guessed.
//!
//! Without cargo's model (plain files and directories), target predicates come from
//! cfg-expr's copy of rustc's target list, `feature` is false, `target_feature` is true
//! only for the baseline features in [`baseline_feature`], and every other build flag
//! (`test`, `debug_assertions`, `loom`, `docsrs`, ...) is false: the report describes the
//! files built with no features and no extra `--cfg`.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::Arc;

use cfg_expr::targets::get_builtin_target_by_triple;
use cfg_expr::{Expression, Predicate};
use layout::target::TargetInfo;
use rustc_hash::FxHashMap as HashMap;
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

use crate::cargo::RustcCfg;

/// A target as the `cfg` evaluator sees it (for one crate, with cargo's model).
#[derive(Clone, Debug)]
pub struct CfgTarget {
    /// Our table row.
    pub row: &'static TargetInfo,
    /// cfg-expr's description of the same triple.
    pub builtin: Option<&'static cfg_expr::targets::TargetInfo>,
    /// The crate's build on this target, from cargo and rustc; `None` for plain files.
    pub krate: Option<Arc<CrateCfg>>,
}

/// What decides a crate's cfgs on one target in the user's build.
#[derive(Debug, Default)]
pub struct CrateCfg {
    /// rustc's cfg set for the target with the build's flags.
    pub rustc: Arc<RustcCfg>,
    /// Features cargo enables for the package on this target.
    pub features: Arc<BTreeSet<String>>,
    /// A proc-macro crate (`cfg(proc_macro)`).
    pub proc_macro: bool,
    /// The text of the package's build script and the files it includes, if it has
    /// one: a cfg name found there may be set by it, so it is unknown.
    pub build_script: Option<Arc<String>>,
    /// The package name, for reasons.
    pub package: String,
}

impl CfgTarget {
    /// The evaluator for a table row, for plain files.
    pub fn new(row: &'static TargetInfo) -> Self {
        CfgTarget {
            row,
            builtin: get_builtin_target_by_triple(row.triple),
            krate: None,
        }
    }

    /// The evaluator for one crate of the user's build on `row`.
    pub fn for_crate(row: &'static TargetInfo, krate: Arc<CrateCfg>) -> Self {
        CfgTarget {
            krate: Some(krate),
            ..CfgTarget::new(row)
        }
    }
}

/// A cfg's value: rustc knows it for the build, or the tool cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tri {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Depends on something the tool cannot know: the reason.
    Unknown(String),
}

/// Target features on by default for the target's baseline CPU (rustc's
/// `--print cfg` for the triple with no `-C target-cpu`).
pub fn baseline_feature(t: &TargetInfo, feature: &str) -> bool {
    match t.arch {
        "x86_64" => matches!(feature, "fxsr" | "sse" | "sse2"),
        "x86" => matches!(feature, "fxsr" | "sse" | "sse2" | "x87"),
        "aarch64" => matches!(feature, "neon" | "fp-armv8"),
        _ => false,
    }
}

/// Evaluates one cfg predicate (the text inside `cfg(...)`); an unknown value counts
/// as false (see [`eval_tri`] for the three-valued answer).
pub fn eval_predicate(text: &str, t: &CfgTarget) -> Result<bool, String> {
    Ok(eval_tri(text, t)? == Tri::True)
}

/// The most unknown predicates of one cfg whose combinations are tried.
const MAX_UNKNOWN: usize = 8;

/// Evaluates one cfg predicate three-valued: unknown only if its value really depends
/// on a predicate the tool cannot know (every combination of those is tried).
pub fn eval_tri(text: &str, t: &CfgTarget) -> Result<Tri, String> {
    /// Per crate build (kept alive) and target row, the answers by predicate text.
    type Memo =
        HashMap<(usize, usize), (Option<Arc<CrateCfg>>, HashMap<String, Result<Tri, String>>)>;
    thread_local! {
        /// Answers by crate build and target row, then by predicate text: a crate writes
        /// the same few predicates (`unix`, `feature = "rt"`) thousands of times. Each
        /// entry keeps its crate build alive, so its address is never another's.
        static MEMO: RefCell<Memo> = RefCell::default();
    }
    let at = (
        t.krate.as_ref().map_or(0, |k| Arc::as_ptr(k) as usize),
        std::ptr::from_ref(t.row) as usize,
    );
    let hit = MEMO.with(|m| m.borrow().get(&at).and_then(|(_, a)| a.get(text).cloned()));
    if let Some(r) = hit {
        return r;
    }
    let r = eval_tri_uncached(text, t);
    MEMO.with(|m| {
        m.borrow_mut()
            .entry(at)
            .or_insert_with(|| (t.krate.clone(), HashMap::default()))
            .1
            .insert(text.to_owned(), r.clone());
    });
    r
}

fn eval_tri_uncached(text: &str, t: &CfgTarget) -> Result<Tri, String> {
    let expr = Expression::parse(text).map_err(|e| format!("cannot parse cfg: {e}"))?;
    let mut unknown: Vec<String> = Vec::new();
    let mut reason = String::new();
    for p in expr.predicates() {
        if let Err(why) = predicate(&p, t) {
            let key = format!("{p:?}");
            if !unknown.contains(&key) {
                unknown.push(key);
                if reason.is_empty() {
                    reason = why;
                }
            }
        }
    }
    if unknown.is_empty() {
        return Ok(if expr.eval(|p| predicate(p, t).unwrap_or(false)) {
            Tri::True
        } else {
            Tri::False
        });
    }
    if unknown.len() > MAX_UNKNOWN {
        return Ok(Tri::Unknown(reason));
    }
    let mut seen: Option<bool> = None;
    for bits in 0u32..(1 << unknown.len()) {
        let v = expr.eval(|p| match predicate(p, t) {
            Ok(b) => b,
            Err(_) => {
                let key = format!("{p:?}");
                let i = unknown.iter().position(|u| *u == key).unwrap_or(0);
                bits & (1 << i) != 0
            }
        });
        match seen {
            None => seen = Some(v),
            Some(prev) if prev != v => return Ok(Tri::Unknown(reason)),
            Some(_) => {}
        }
    }
    Ok(if seen == Some(true) {
        Tri::True
    } else {
        Tri::False
    })
}

/// One predicate: its value, or why it cannot be known.
fn predicate(p: &Predicate<'_>, t: &CfgTarget) -> Result<bool, String> {
    let Some(k) = &t.krate else {
        return Ok(match p {
            Predicate::Target(tp) => t.builtin.is_some_and(|b| tp.matches(b)),
            Predicate::TargetFeature(f) => baseline_feature(t.row, f),
            Predicate::Flag("true") => true,
            _ => false,
        });
    };
    if let Some(v) = crate::cargo::eval_rustc(p, &k.rustc) {
        return Ok(v);
    }
    let name = match p {
        Predicate::Feature(f) => return Ok(k.features.contains(*f)),
        Predicate::ProcMacro => return Ok(k.proc_macro),
        Predicate::Flag(f) => *f,
        Predicate::KeyValue { key, .. } => *key,
        _ => return Ok(false),
    };
    match &k.build_script {
        Some(text) if text.contains(name) => Err(format!(
            "cfg `{name}` may be set by the build script of package `{}`",
            k.package
        )),
        _ => Ok(false),
    }
}

/// The attributes active on this target: `cfg_attr` expanded (nested too), `cfg` itself
/// evaluated and removed. `Ok(None)` when a `cfg` is false, so the item is absent.
pub fn active(attrs: &[Attribute], t: &CfgTarget) -> Result<Option<Vec<Attribute>>, syn::Error> {
    let mut out = Vec::new();
    for a in attrs {
        if !expand_into(a, t, Some(&mut out), 0)? {
            return Ok(None);
        }
    }
    Ok(Some(out))
}

/// Whether the item is present: [`active`] without making the active list.
fn present(attrs: &[Attribute], t: &CfgTarget) -> Result<bool, syn::Error> {
    for a in attrs {
        if !expand_into(a, t, None, 0)? {
            return Ok(false);
        }
    }
    Ok(true)
}

type Active = Result<Option<Vec<Attribute>>, syn::Error>;

/// [`active`] and [`enabled`], memoised per attribute list and target. Keys are the
/// addresses of attribute slices, so a cache must not outlive the syntax trees it was
/// used with: the crate [`crate::index::Index`] owns both.
#[derive(Debug, Default)]
pub struct CfgCache {
    active: RefCell<HashMap<(usize, usize, usize), Active>>,
    enabled: RefCell<HashMap<(usize, usize, usize), bool>>,
    presence: RefCell<HashMap<(usize, usize, usize), Tri>>,
}

fn key(attrs: &[Attribute], t: &CfgTarget) -> (usize, usize, usize) {
    (
        attrs.as_ptr() as usize,
        attrs.len(),
        std::ptr::from_ref(t.row) as usize,
    )
}

fn has_cfg(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
}

impl CfgCache {
    /// Memoised [`active`].
    pub fn active(&self, attrs: &[Attribute], t: &CfgTarget) -> Active {
        if !has_cfg(attrs) {
            return Ok(Some(attrs.to_vec()));
        }
        let k = key(attrs, t);
        if let Some(r) = self.active.borrow().get(&k) {
            return r.clone();
        }
        let r = active(attrs, t);
        self.active.borrow_mut().insert(k, r.clone());
        r
    }

    /// Memoised [`enabled`]; a malformed `cfg` counts as disabled (it is reported
    /// where the item itself is reported).
    pub fn enabled(&self, attrs: &[Attribute], t: &CfgTarget) -> bool {
        if !has_cfg(attrs) {
            return true;
        }
        let k = key(attrs, t);
        if let Some(&r) = self.enabled.borrow().get(&k) {
            return r;
        }
        let r = matches!(present(attrs, t), Ok(true));
        self.enabled.borrow_mut().insert(k, r);
        r
    }

    /// Memoised [`presence`].
    pub fn presence(&self, attrs: &[Attribute], t: &CfgTarget) -> Tri {
        if !has_cfg(attrs) {
            return Tri::True;
        }
        let k = key(attrs, t);
        if let Some(r) = self.presence.borrow().get(&k) {
            return r.clone();
        }
        let r = presence(attrs, t);
        self.presence.borrow_mut().insert(k, r.clone());
        r
    }
}

/// Whether attribute `a` can decide if its item exists: a `cfg`, or a `cfg_attr` that
/// may add something other than [`harmless`] attributes (a `cfg_attr` adding only those
/// is present whatever its predicate, so [`presence`] never needs to read it).
pub fn decides_presence(a: &Attribute) -> bool {
    match &a.meta {
        Meta::List(l) if l.path.is_ident("cfg") => true,
        Meta::List(l) if l.path.is_ident("cfg_attr") => !adds_only_harmless(&l.tokens),
        m => m.path().is_ident("cfg") || m.path().is_ident("cfg_attr"),
    }
}

/// Attributes whose presence cannot change a layout or an item's existence: a
/// `cfg_attr` with an unknown predicate that only adds these is harmless.
fn harmless(path: &syn::Path) -> bool {
    [
        "feature",
        "doc",
        "allow",
        "warn",
        "deny",
        "expect",
        "forbid",
        "must_use",
        "inline",
        "cold",
        "track_caller",
        "derive",
        "deprecated",
        "non_exhaustive",
        "automatically_derived",
        "rustfmt",
        "clippy",
    ]
    .iter()
    .any(|n| path.is_ident(n))
        || path
            .segments
            .first()
            .is_some_and(|s| s.ident == "rustfmt" || s.ident == "clippy")
}

/// Whether an item with these attributes exists, three-valued: `Unknown` when a `cfg`
/// depends on what the tool cannot know, or a `cfg_attr` with such a predicate could add
/// a `cfg`, `repr`, `path` or `layout` attribute. A malformed attribute is `False` (it is
/// reported where the item is).
pub fn presence(attrs: &[Attribute], t: &CfgTarget) -> Tri {
    presence_on(attrs.iter().collect(), std::slice::from_ref(t))
        .next()
        .unwrap_or(Tri::True)
}

/// [`presence`] on each of `targets`, lazily: a `cfg` attribute's predicate is printed
/// once for all of them (printing the tokens costs more than evaluating a memoised text).
pub fn presence_on<'a>(
    attrs: Vec<&'a Attribute>,
    targets: &'a [CfgTarget],
) -> impl Iterator<Item = Tri> + 'a {
    let texts: Vec<Option<String>> = attrs
        .iter()
        .map(|a| match &a.meta {
            Meta::List(l) if l.path.is_ident("cfg") => Some(l.tokens.to_string()),
            _ => None,
        })
        .collect();
    targets.iter().map(move |t| {
        let mut unknown: Option<String> = None;
        for (a, text) in attrs.iter().zip(&texts) {
            let v = match text {
                Some(text) => eval_tri(text, t).unwrap_or(Tri::False),
                None => meta_presence(&a.meta, t, 0),
            };
            match v {
                Tri::False => return Tri::False,
                Tri::Unknown(r) => {
                    unknown.get_or_insert(r);
                }
                Tri::True => {}
            }
        }
        unknown.map_or(Tri::True, Tri::Unknown)
    })
}

fn meta_presence(meta: &Meta, t: &CfgTarget, depth: usize) -> Tri {
    if depth > 32 {
        return Tri::False;
    }
    let path = meta.path();
    if path.is_ident("cfg") {
        let Ok(list) = meta.require_list() else {
            return Tri::False;
        };
        return eval_tri(&list.tokens.to_string(), t).unwrap_or(Tri::False);
    }
    if !path.is_ident("cfg_attr") {
        return Tri::True;
    }
    let Ok(list) = meta.require_list() else {
        return Tri::False;
    };
    if adds_only_harmless(&list.tokens) {
        return Tri::True;
    }
    cfg_attr_presence(list, t, depth)
}

/// [`meta_presence`] of `cfg_attr(...)`, parsed in full.
fn cfg_attr_presence(list: &syn::MetaList, t: &CfgTarget, depth: usize) -> Tri {
    let Ok(metas) = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) else {
        return Tri::False;
    };
    let mut it = metas.into_iter();
    let Some(pred) = it.next() else {
        return Tri::False;
    };
    let text = quote::ToTokens::to_token_stream(&pred).to_string();
    match eval_tri(&text, t) {
        Err(_) | Ok(Tri::False) => Tri::True,
        Ok(Tri::True) => {
            let mut unknown = None;
            for m in it {
                match meta_presence(&m, t, depth + 1) {
                    Tri::False => return Tri::False,
                    Tri::Unknown(r) => {
                        unknown.get_or_insert(r);
                    }
                    Tri::True => {}
                }
            }
            unknown.map_or(Tri::True, Tri::Unknown)
        }
        Ok(Tri::Unknown(r)) => {
            if it.all(|m| harmless(m.path())) {
                Tri::True
            } else {
                Tri::Unknown(r)
            }
        }
    }
}

/// Whether `cfg_attr(PRED, A, B, ...)`'s tokens are, plainly, a predicate and then only
/// [`harmless`] attributes (`cfg_attr(docsrs, doc(cfg(feature = "rt")))`, on most items
/// of some crates): then the item is present whatever the predicate, so neither is
/// parsed. Each part must be one of the shapes `name`, `name(...)`, `name = literal`
/// (which parse as attributes); anything else is left to the full parse.
fn adds_only_harmless(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::{Delimiter, TokenTree as T};
    let mut parts: Vec<Vec<T>> = vec![Vec::new()];
    for t in tokens.clone() {
        match &t {
            T::Punct(p) if p.as_char() == ',' => parts.push(Vec::new()),
            _ => parts.last_mut().map_or((), |p| p.push(t)),
        }
    }
    if parts.last().is_some_and(Vec::is_empty) {
        parts.pop();
    }
    let plain = |part: &[T]| match part {
        [T::Ident(_)] => true,
        [T::Ident(_), T::Group(g)] => g.delimiter() == Delimiter::Parenthesis,
        [T::Ident(_), T::Punct(eq), T::Literal(_)] => eq.as_char() == '=',
        _ => false,
    };
    parts.len() >= 2
        && parts.iter().all(|p| plain(p))
        && parts[1..].iter().all(|p| match &p[0] {
            T::Ident(name) => harmless(&syn::Path::from(name.clone())),
            _ => false,
        })
}

/// Whether the item is present (every `cfg`, also those from `cfg_attr`, holds).
pub fn enabled(attrs: &[Attribute], t: &CfgTarget) -> Result<bool, syn::Error> {
    present(attrs, t)
}

/// Expands `a` on `t` into `out` (when given); `false` when a `cfg` removes the item.
fn expand_into(
    a: &Attribute,
    t: &CfgTarget,
    mut out: Option<&mut Vec<Attribute>>,
    depth: usize,
) -> Result<bool, syn::Error> {
    if depth > 32 {
        return Err(syn::Error::new_spanned(a, "cfg_attr nested too deeply"));
    }
    let path = a.path();
    if path.is_ident("cfg") {
        let list = a.meta.require_list()?;
        let text = list.tokens.to_string();
        return eval_predicate(&text, t).map_err(|m| syn::Error::new_spanned(&list.tokens, m));
    }
    if path.is_ident("cfg_attr") {
        let list = a.meta.require_list()?;
        let metas = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        let mut it = metas.into_iter();
        let Some(pred) = it.next() else {
            return Err(syn::Error::new_spanned(
                list,
                "`cfg_attr` needs a predicate",
            ));
        };
        let text = quote::ToTokens::to_token_stream(&pred).to_string();
        let on = eval_predicate(&text, t).map_err(|m| syn::Error::new_spanned(&pred, m))?;
        if !on {
            return Ok(true);
        }
        for meta in it {
            let inner = Attribute {
                pound_token: a.pound_token,
                style: a.style,
                bracket_token: a.bracket_token,
                meta,
            };
            if !expand_into(&inner, t, out.as_deref_mut(), depth + 1)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(out) = out {
        out.push(a.clone());
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::target::{AARCH64_MACOS, I686_LINUX, X86_64_LINUX, X86_64_WINDOWS_MSVC};

    fn attrs(src: &str) -> Vec<Attribute> {
        let item: syn::ItemStruct = syn::parse_str(&format!("{src} struct S;")).unwrap();
        item.attrs
    }

    #[test]
    fn target_predicates() {
        let lin = CfgTarget::new(&X86_64_LINUX);
        let win = CfgTarget::new(&X86_64_WINDOWS_MSVC);
        let mac = CfgTarget::new(&AARCH64_MACOS);
        let x86 = CfgTarget::new(&I686_LINUX);
        let e = |s: &str, t: &CfgTarget| eval_predicate(s, t).unwrap();
        assert!(e("unix", &lin) && !e("unix", &win) && e("windows", &win));
        assert!(e(r#"target_os = "macos""#, &mac) && !e(r#"target_os = "macos""#, &lin));
        assert!(e("target_pointer_width = \"32\"", &x86));
        assert!(e(r#"all(unix, not(target_arch = "x86"))"#, &lin));
        assert!(!e(r#"feature = "std""#, &lin) && !e("test", &lin) && !e("debug_assertions", &lin));
        assert!(e(r#"target_feature = "sse2""#, &lin) && !e(r#"target_feature = "avx2""#, &lin));
        assert!(e(r#"target_has_atomic = "64""#, &x86));
        assert!(e("true", &lin) && !e("false", &lin));
    }

    #[test]
    fn harmless_cfg_attrs_are_present_without_parsing_and_the_full_parse_agrees() {
        let lin = CfgTarget::new(&X86_64_LINUX);
        let win = CfgTarget::new(&X86_64_WINDOWS_MSVC);
        let list = |src: &str| match &attrs(src)[0].meta {
            Meta::List(l) => l.clone(),
            _ => unreachable!(),
        };
        let shortcut = [
            r#"#[cfg_attr(docsrs, doc(cfg(feature = "rt")))]"#,
            r#"#[cfg_attr(unix, allow(dead_code), doc = "x",)]"#,
            r#"#[cfg_attr(windows, derive(Clone))]"#,
            r#"#[cfg_attr(all(unix, feature = "a"), must_use)]"#,
        ];
        for src in shortcut {
            let l = list(src);
            assert!(adds_only_harmless(&l.tokens), "{src}");
            for t in [&lin, &win] {
                assert_eq!(cfg_attr_presence(&l, t, 0), Tri::True, "{src}");
                assert_eq!(presence(&attrs(src), t), Tri::True, "{src}");
            }
        }
        // Left to the full parse: a cfg or repr inside, a path, a malformed list.
        for (src, on_lin, on_win) in [
            (r#"#[cfg_attr(windows, cfg(any()))]"#, Tri::True, Tri::False),
            (
                r#"#[cfg_attr(unix, doc = "x", cfg(any()))]"#,
                Tri::False,
                Tri::True,
            ),
            (r#"#[cfg_attr(unix, rustfmt::skip)]"#, Tri::True, Tri::True),
            (r#"#[cfg_attr(unix, doc == "x")]"#, Tri::False, Tri::False),
            (r#"#[cfg_attr(unix,, doc)]"#, Tri::False, Tri::False),
        ] {
            assert!(!adds_only_harmless(&list(src).tokens), "{src}");
            assert_eq!(presence(&attrs(src), &lin), on_lin, "{src}");
            assert_eq!(presence(&attrs(src), &win), on_win, "{src}");
        }
    }

    #[test]
    fn cfg_attr_expands_nested() {
        let lin = CfgTarget::new(&X86_64_LINUX);
        let mac = CfgTarget::new(&AARCH64_MACOS);
        let a = attrs(
            r#"#[cfg_attr(unix, cfg_attr(target_os = "macos", repr(C, align(128))), layout(size = 8))]"#,
        );
        let on_lin = active(&a, &lin).unwrap().unwrap();
        assert_eq!(on_lin.len(), 1);
        assert!(on_lin[0].path().is_ident("layout"));
        let on_mac = active(&a, &mac).unwrap().unwrap();
        assert_eq!(on_mac.len(), 2);
        assert!(on_mac[0].path().is_ident("repr"));
        let gone = attrs(r#"#[cfg_attr(windows, cfg(any()))] #[cfg(unix)]"#);
        assert!(active(&gone, &lin).unwrap().is_some());
        assert!(
            active(&gone, &CfgTarget::new(&X86_64_WINDOWS_MSVC))
                .unwrap()
                .is_none()
        );
        assert!(active(&attrs("#[cfg(windows)]"), &lin).unwrap().is_none());
        assert!(active(&attrs("#[cfg_attr()]"), &lin).is_err());
    }
}
