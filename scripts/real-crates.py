#!/usr/bin/env python3
"""Judge `layout-cli report` by rustc on real crates from crates.io.

Builds a scratch cargo workspace whose one crate depends on exact versions of tokio
(`full`), crossbeam-channel, hashbrown, mio (`os-poll`, `net`) and rayon-core, copies
their sources out of the cargo registry and `[patch.crates-io]`es them to the copies,
then for each of the four CI targets:

* phase 1, presence: after every struct declared at module level (found by a scan of
  the source, outside macro invocations) a `const` that panics on purpose is inserted in
  the same module, wearing the struct's own `#[cfg]`s. It names nothing, so rustc never
  stops at name resolution; the panics rustc reports under `cargo check --target T` are
  exactly the structs it compiled for T.
* phase 2, numbers: every size, alignment and field offset the CLI claims for a struct
  rustc compiled becomes one `const` assertion in the struct's own module (so every
  field is visible to `offset_of!`), gated by a cfg for T; the assertions rustc reports
  as failing are the refuted claims.

Prints one table row per crate and target and the unknown reasons with counts; exits 1
on any refuted claim, any struct reported but not compiled, or any compiled
module-level struct the CLI did not report; 2 on a harness error (a cargo or CLI
failure that is not one of the inserted consts).

Usage (CI runs the same, after `cargo build --release -p layout-cli`):
    python3 scripts/real-crates.py --cli target/release/layout-cli --min-coverage 90
Options: --dir DIR (scratch, default target/real-crates; keep it between runs: its
target dir is reused), --json FILE (every failure and count), --show N, --mode
cargo|plain (default: cargo mode when `report --help` offers --manifest-path),
--exact (judge `report --exact`, every number from rustc, instead of the static
report; the judging is the same), --self-test (only the source scanner, no cargo).

Columns: compiled (module-level structs rustc compiled on T), reported (of those
scanned, the ones the CLI reported on T), maybe (reported with `present: "unknown"`),
rep!comp and comp!rep (the failures), sized, cover% (sized / compiled non-generic),
claims (assertions), inst (of those, claims of generic instantiations' entries: size,
align and, where the generic struct is in the file that names it, field offsets, asserted
in the module that names the instantiation), inst-skip (instantiation entries with
numbers but no place to check them: listed in a Cargo.toml, or named where rustc did not
compile), refuted, unchecked (numbers the CLI left null in a sized struct),
generic (compiled generic structs: presence checked, numbers not), in-macro (structs
inside macros other than cfg_*!, not checked), outside (CLI reports matching no
scanned struct, not checked), inst-entries (the CLI's instantiation entries on T) and
inst-rustc (of those, the ones whose numbers came from rustc, with --exact). With
--exact the instantiation claims are judged the same way: an implied one (`via`) is
not, even when rustc gave its numbers (the CLI may have asked through the one implying
it, with a trait its shadow copy adds; no text of the published crate checks that).

Structs inside other macro invocations (`pin_project!`) and generic structs' numbers
are not checked; they are counted in the table. Needs crates.io (cargo fetch) and the
four targets' standard libraries (rustup target add). Run time on a 2-core machine
shared with other builds: about 8 minutes cold, 3 to 4 minutes warm; the four
`cargo check`s of tokio per phase dominate. With --exact the CLI's own `cargo check`s
come on top: 516 s in all with cargo's target dir warm and the CLI's result cache
empty (303 s of it the five `report --exact` runs), about 600 s more for those runs
when cargo's target dir is cold too; again on unchanged crates (the CLI's cache hits):
223 s, 35 s of it the CLI.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

# (package, exact version, features): the newest releases by `cargo info` on 2026-12-01.
CRATES = [
    ("tokio", "1.54.1", ["full"]),
    ("crossbeam-channel", "0.5.17", []),
    ("hashbrown", "0.17.2", []),
    ("mio", "1.2.5", ["os-poll", "net"]),
    ("rayon-core", "1.13.0", []),
]

# (triple, cfg predicate that selects exactly it).
TARGETS = [
    ("x86_64-unknown-linux-gnu", 'all(target_arch = "x86_64", target_os = "linux")'),
    ("aarch64-unknown-linux-gnu", 'all(target_arch = "aarch64", target_os = "linux")'),
    ("x86_64-pc-windows-msvc", 'all(target_arch = "x86_64", target_os = "windows")'),
    ("aarch64-apple-darwin", 'all(target_arch = "aarch64", target_os = "macos")'),
]

CONSUMER = "real-crates-consumer"
SENTINEL = "LAYOUT-SENTINEL-"
CLAIM = "LAYOUT-CLAIM-"
# Lints of the patched (now local) crates must not turn into errors: only the inserted
# consts may fail. The same flags on every run keep one target dir valid across phases.
RUSTFLAGS = "--cap-lints=warn"

KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual",
    "yield", "try", "gen",
}


class HarnessError(Exception):
    """Something other than an inserted const went wrong."""


# ---------------------------------------------------------------------------------
# A small Rust tokenizer: enough to find items, never to understand expressions.


@dataclasses.dataclass
class Tok:
    kind: str  # "ident", "lifetime", "lit", "punct"
    text: str
    start: int
    end: int
    line: int


_IDENT = re.compile(r"(?:r#)?[A-Za-z_][A-Za-z0-9_]*")
_RAW_STR = re.compile(r'(?:br|cr|r)(#*)"')
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_]*(?:\.[0-9][0-9A-Za-z_]*)?")


def tokenize(src: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            line += src.count("\n", i, j)
            i = j
            continue
        start = i
        m = _RAW_STR.match(src, i)
        if m:
            close = '"' + m.group(1)
            j = src.find(close, m.end())
            j = n if j < 0 else j + len(close)
            toks.append(Tok("lit", src[i:j], i, j, line))
            line += src.count("\n", i, j)
            i = j
            continue
        if c == '"' or (c in "bc" and src.startswith('"', i + 1)):
            j = i + (1 if c == '"' else 2)
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            toks.append(Tok("lit", src[i:j], i, j, line))
            line += src.count("\n", i, j)
            i = j
            continue
        if c == "b" and src.startswith("'", i + 1):
            i += 1  # b'x': a byte literal; fall through to the char case
            c = "'"
        if c == "'":
            if src.startswith("\\", i + 1):
                j = i + 2
                while j < n and src[j] != "'":
                    j += 2 if src[j] == "\\" else 1
                toks.append(Tok("lit", src[start : j + 1], start, j + 1, line))
                i = j + 1
                continue
            if i + 2 < n and src[i + 2] == "'":
                toks.append(Tok("lit", src[start : i + 3], start, i + 3, line))
                i += 3
                continue
            m = _IDENT.match(src, i + 1)
            if m:
                toks.append(Tok("lifetime", src[i : m.end()], i, m.end(), line))
                i = m.end()
                continue
            toks.append(Tok("punct", "'", i, i + 1, line))
            i += 1
            continue
        m = _IDENT.match(src, i)
        if m:
            toks.append(Tok("ident", m.group(0), i, m.end(), line))
            i = m.end()
            continue
        m = _NUMBER.match(src, i)
        if m:
            toks.append(Tok("lit", m.group(0), i, m.end(), line))
            i = m.end()
            continue
        toks.append(Tok("punct", c, i, i + 1, line))
        i += 1
    return toks


def match_groups(toks: list[Tok]) -> dict[int, int]:
    """Index of each opening delimiter -> index of its closing one."""
    pairs, stack = {}, []
    closer = {")": "(", "]": "[", "}": "{"}
    for k, t in enumerate(toks):
        if t.kind != "punct":
            continue
        if t.text in "([{":
            stack.append(k)
        elif t.text in closer:
            while stack and toks[stack[-1]].text != closer[t.text]:
                stack.pop()  # unbalanced input: drop the stray opener
            if stack:
                pairs[stack.pop()] = k
    return pairs


# ---------------------------------------------------------------------------------
# Module-level structs.


@dataclasses.dataclass
class Struct:
    sid: int
    crate: str
    file: str  # relative to the crate dir, "/"-separated
    name: str
    line: int  # line of the name
    first_line: int  # line of the first outer attribute
    generic: bool
    cfgs: list[str]  # the struct's own #[cfg(...)] attributes, verbatim
    insert_at: int  # source offset its consts go to: the end of its module, or right
    # after the struct inside a `cfg_*!` macro, so they get the macro's cfg too


@dataclasses.dataclass
class FileScan:
    path: Path
    rel: str
    text: str
    structs: list[Struct]
    in_macro: int  # `struct` items inside macro invocations (not instrumented)


# tokio's and mio's convention: `cfg_rt! { items }` puts a `#[cfg]` on each item, so the
# structs inside count as module-level and a const inserted next to one gets its cfg.
CFG_MACRO = re.compile(r"cfg_[a-z0-9_]+")

ITEM_ENDS_AT_SEMI = {"use", "static", "type", "const", "let"}


def scan_file(crate: str, root: Path, path: Path, next_id, copy: Path | None = None) -> FileScan:
    """The structs of the pristine file `path`; the consts go into `copy` (default: path)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    toks = tokenize(text)
    pairs = match_groups(toks)
    rel = path.relative_to(root).as_posix()
    scan = FileScan(copy or path, rel, text, [], 0)

    def count_macro_structs(a: int, b: int) -> None:
        for k in range(a, b - 1):
            if toks[k].text == "struct" and toks[k + 1].kind == "ident":
                scan.in_macro += 1

    def skip_to_end(k: int, end: int, semi_only: bool) -> int:
        """Index after the item starting at k: its `;` or its `{...}` body."""
        while k < end:
            t = toks[k]
            if t.kind == "punct" and t.text == ";":
                return k + 1
            if t.kind == "punct" and t.text in "([{" and k in pairs:
                if t.text == "{" and not semi_only:
                    return pairs[k] + 1
                k = pairs[k] + 1
                continue
            k += 1
        return end

    def walk(k: int, end: int, module_end: int, in_cfg_macro: bool = False) -> None:
        while k < end:
            attrs: list[tuple[int, int]] = []
            first_line = toks[k].line
            # outer attributes; inner ones (#![...]) are skipped the same way
            while k + 1 < end and toks[k].text == "#":
                j = k + 1
                inner = toks[j].text == "!"
                if inner:
                    j += 1
                if j < end and toks[j].text == "[" and j in pairs:
                    if not inner:
                        attrs.append((j, pairs[j]))
                    k = pairs[j] + 1
                else:
                    break
            if k >= end:
                return
            t = toks[k]
            if t.text == "pub":
                k += 1
                if k < end and toks[k].text == "(" and k in pairs:
                    k = pairs[k] + 1
                if k >= end:
                    return
                t = toks[k]
            if t.kind == "ident" and k + 1 < end and toks[k + 1].text == "!":
                # macro invocation or macro_rules! definition
                j = k + 2
                if j < end and toks[j].kind == "ident":
                    j += 1
                if j < end and toks[j].text in "([{" and j in pairs:
                    if CFG_MACRO.fullmatch(t.text) and toks[j].text == "{":
                        walk(j + 1, pairs[j], module_end, in_cfg_macro=True)
                    else:
                        count_macro_structs(j + 1, pairs[j])
                    k = pairs[j] + 1
                    if k < end and toks[k].text == ";":
                        k += 1
                else:
                    k = j
                continue
            if t.text == "struct" and k + 1 < end and toks[k + 1].kind == "ident":
                name_tok = toks[k + 1]
                generic = k + 2 < end and toks[k + 2].text == "<"
                cfgs = []
                for a, b in attrs:
                    if toks[a + 1].text == "cfg" and toks[a + 2].text == "(":
                        cfgs.append(text[toks[a - 1].start : toks[b].end])
                # a tuple struct's `(...)` is a group, so skip_to_end stops at `;`
                after = skip_to_end(k + 2, end, semi_only=False)
                scan.structs.append(
                    Struct(
                        next_id(), crate, rel, name_tok.text.removeprefix("r#"),
                        name_tok.line, first_line, generic, cfgs,
                        toks[after - 1].end if in_cfg_macro else module_end,
                    )
                )
                k = after
                continue
            if t.text == "mod" and k + 2 < end and toks[k + 1].kind == "ident":
                j = k + 2
                if toks[j].text == "{" and j in pairs:
                    walk(j + 1, pairs[j], toks[pairs[j]].start)
                    k = pairs[j] + 1
                else:
                    k = skip_to_end(j, end, semi_only=True)
                continue
            if t.kind == "punct" and t.text in ";":
                k += 1
                continue
            # any other item: find its keyword
            j = k
            semi_only = False
            while j < end and toks[j].kind in ("ident", "lit"):
                w = toks[j].text
                if w in ITEM_ENDS_AT_SEMI and not (
                    w == "const" and j + 1 < end and toks[j + 1].text in ("fn", "unsafe", "async", "extern")
                ):
                    semi_only = True
                    break
                if w == "crate" and j > k and toks[j - 1].text == "extern":
                    semi_only = True
                    break
                if w in ("fn", "impl", "trait", "enum", "union", "extern", "macro"):
                    break
                j += 1
            k = skip_to_end(j if j > k else k + 1, end, semi_only)

    walk(0, len(toks), len(text))
    return scan


def scan_crate(name: str, registry: Path, copy: Path, src_dir: Path, ids) -> list[FileScan]:
    """Every .rs file under the lib's dir, read from the registry (never from the copy,
    which an interrupted run may have left instrumented)."""
    scans = []
    for path in sorted((registry / src_dir.relative_to(copy)).rglob("*.rs")):
        scans.append(scan_file(name, registry, path, ids, copy / path.relative_to(registry)))
    return scans


SELF_TEST_SRC = r"""
#![cfg_attr(docsrs, feature(doc_cfg))]
//! struct InDocComment;
/* struct InBlock { /* nested */ } */
const S: &str = "struct InString {";
const R: &str = r#"struct InRaw " {"#;
const C: char = '{';
fn f<'a>(x: &'a u8) -> u8 { struct InFn; *x }
#[cfg(unix)]
#[cfg_attr(test, derive(Debug))]
/// doc
pub(crate) struct Plain { a: u8, b: u64 }
pub struct Tuple(u8, u32);
struct Unit;
struct Gen<T> where T: Copy { t: T }
struct Life<'a>(&'a u8);
impl Plain { const X: u8 = 1; }
mod inner {
    #[cfg(all(unix, not(miri)))]
    pub struct Nested { x: u16 }
}
thing! { struct InMacro1 { a: u8 } struct InMacro2; }
cfg_rt! { #[cfg(unix)] pub struct InCfgMacro(u8); impl X {} }
macro_rules! m { () => { struct InMacroRules; } }
enum E { A { x: u8 }, B }
const K: [u8; 2] = { struct InConst; [0; 2] };
struct After;
"""


def self_test() -> None:
    """The scanner on a snippet of known answers; raises AssertionError on a difference."""
    ids = iter(range(1, 100))
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"real-crates-self-test-{os.getpid()}.rs"
    tmp.write_text(SELF_TEST_SRC)
    try:
        fs = scan_file("t", tmp.parent, tmp, lambda: next(ids))
    finally:
        tmp.unlink()
    got = [(s.name, s.generic, s.cfgs) for s in fs.structs]
    want = [
        ("Plain", False, ["#[cfg(unix)]"]),
        ("Tuple", False, []),
        ("Unit", False, []),
        ("Gen", True, []),
        ("Life", True, []),
        ("Nested", False, ["#[cfg(all(unix, not(miri)))]"]),
        ("InCfgMacro", False, ["#[cfg(unix)]"]),
        ("After", False, []),
    ]
    assert got == want, f"scanned {got}, want {want}"
    assert fs.in_macro == 3, f"{fs.in_macro} structs in macros, want 3"
    nested = fs.structs[5]
    assert SELF_TEST_SRC[nested.insert_at] == "}" and "Nested" in SELF_TEST_SRC[: nested.insert_at]
    in_cfg = fs.structs[6]
    assert SELF_TEST_SRC[: in_cfg.insert_at].endswith("struct InCfgMacro(u8);"), in_cfg
    assert all(s.insert_at == len(SELF_TEST_SRC) for s in fs.structs if s.name not in ("Nested", "InCfgMacro"))
    plain = fs.structs[0]
    assert (plain.first_line, plain.line) == (9, 12), (plain.first_line, plain.line)
    print("real-crates: self-test passed (8 structs, 3 in macros)")


# ---------------------------------------------------------------------------------
# Scratch workspace.


def run(cmd: list[str], cwd: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise HarnessError(f"`{' '.join(cmd)}` failed ({p.returncode}):\n{p.stderr[-4000:]}")
    return p


def consumer_manifest(patches: dict[str, Path]) -> str:
    lines = [
        "[package]",
        f'name = "{CONSUMER}"',
        'version = "0.0.0"',
        'edition = "2021"',
        "publish = false",
        "",
        "[lib]",
        'path = "lib.rs"',
        "",
        "[dependencies]",
    ]
    for name, ver, feats in CRATES:
        f = ", ".join(f'"{x}"' for x in feats)
        lines.append(f'{name} = {{ version = "={ver}", features = [{f}] }}')
    lines += ["", "[workspace]", ""]
    if patches:
        lines.append("[patch.crates-io]")
        for name, path in patches.items():
            lines.append(f'{name} = {{ path = "{path.as_posix()}" }}')
    return "\n".join(lines) + "\n"


def metadata(scratch: Path) -> dict:
    p = run(["cargo", "metadata", "--format-version", "1", "--manifest-path", str(scratch / "Cargo.toml")], scratch)
    return json.loads(p.stdout)


def setup(scratch: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """The scratch workspace with each crate copied and patched: name -> copy, and
    name -> its dir in the cargo registry. An existing copy is kept (its files are
    rewritten from the registry where they differ), so a warm run rebuilds less."""
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "lib.rs").write_text("//! Depends on the crates under test; holds nothing.\n")
    (scratch / "Cargo.toml").write_text(consumer_manifest({}))
    run(["cargo", "fetch"], scratch)
    meta = metadata(scratch)
    wanted = {n: v for n, v, _ in CRATES}
    copies: dict[str, Path] = {}
    sources: dict[str, Path] = {}
    for pkg in meta["packages"]:
        name = pkg["name"]
        if wanted.get(name) != pkg["version"]:
            continue
        src = Path(pkg["manifest_path"]).parent
        dst = scratch / "crates" / f"{name}-{pkg['version']}"
        marker = dst / ".real-crates-copy"
        if not marker.exists():
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
            marker.write_text(str(src))
        copies[name] = dst
        sources[name] = src
    missing = set(wanted) - set(copies)
    if missing:
        raise HarnessError(f"cargo did not resolve {sorted(missing)} at the pinned versions")
    (scratch / "Cargo.toml").write_text(
        consumer_manifest({n: copies[n].relative_to(scratch) for n in wanted})
    )
    meta = metadata(scratch)
    for pkg in meta["packages"]:
        if pkg["name"] in wanted and pkg["source"] is not None:
            raise HarnessError(f"{pkg['name']} still comes from {pkg['source']}: the patch did not apply")
    return copies, sources


def lib_src_dir(meta: dict, name: str) -> Path:
    for pkg in meta["packages"]:
        if pkg["name"] == name:
            for t in pkg["targets"]:
                if "lib" in t["kind"] or "rlib" in t["kind"]:
                    return Path(t["src_path"]).parent
    raise HarnessError(f"{name} has no lib target")


def rounds(meta: dict, names: list[str]) -> list[list[str]]:
    """Groups of crates that can be instrumented together: a crate whose inserted consts
    fail stops every crate depending on it, so no group holds a crate and its dependent."""
    ids = {p["id"]: p["name"] for p in meta["packages"]}
    deps = {ids[n["id"]]: {ids[d["pkg"]] for d in n["deps"]} for n in meta["resolve"]["nodes"]}

    def closure(n: str) -> set[str]:
        seen, todo = set(), [n]
        while todo:
            for d in deps.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    below = {n: closure(n) for n in names}
    groups: list[list[str]] = []
    for n in names:
        for g in groups:
            if all(n not in below[m] and m not in below[n] for m in g):
                g.append(n)
                break
        else:
            groups.append([n])
    return groups


# ---------------------------------------------------------------------------------
# Instrumenting and checking.


def write_instrumented(scans: list[FileScan], inserts: dict[int, list[str]]) -> None:
    """Each file's text with the consts of `inserts` (by struct id) at the end of each
    struct's module; files whose content does not change are not rewritten, so cargo
    does not rebuild what did not change."""
    for fs in scans:
        at: dict[int, list[str]] = collections.defaultdict(list)
        for s in fs.structs:
            if s.sid in inserts:
                at[s.insert_at].extend(inserts[s.sid])
        text = fs.text
        for off in sorted(at, reverse=True):
            text = text[:off] + "\n" + "".join(at[off]) + text[off:]
        if fs.path.read_text(encoding="utf-8", errors="replace") != text:
            fs.path.write_text(text, encoding="utf-8")


def cargo_check(scratch: Path, target: str) -> list[dict]:
    """Every error rustc reported, as cargo's JSON messages."""
    env = dict(os.environ, RUSTFLAGS=RUSTFLAGS, CARGO_TARGET_DIR=str(scratch / "target"))
    env.pop("CARGO_ENCODED_RUSTFLAGS", None)
    p = run(
        ["cargo", "check", "--keep-going", "--message-format=json", "--target", target, "-p", CONSUMER],
        scratch, env, check=False,
    )
    errors = []
    for line in p.stdout.splitlines():
        try:
            m = json.loads(line)
        except json.JSONDecodeError:
            continue
        if m.get("reason") == "compiler-message" and m["message"]["level"] == "error":
            errors.append(m["message"])
    if p.returncode != 0 and not errors:
        raise HarnessError(f"cargo check --target {target} failed without compiler errors:\n{p.stderr[-4000:]}")
    return errors


def marked_ids(errors: list[dict], mark: str, root: Path | None = None) -> tuple[set[int], list[str]]:
    """Ids named by the inserted consts' panics, and the errors that are not ours. With
    `root` (the workspace the spans are relative to), an error whose rendering cut the id
    off a long line gets the id of the const on its primary span's line appended."""
    pat = re.compile(re.escape(mark) + r"(\d+)")
    found, other = set(), []
    for e in errors:
        msg = e["message"]
        if msg.startswith("aborting due to"):
            continue
        rendered = e.get("rendered") or msg
        hits = pat.findall(msg) or pat.findall(rendered)
        if hits and "evaluat" in msg:
            found.update(int(h) for h in hits)
            continue
        if not hits and root is not None:
            for sp in e.get("spans", []):
                if not sp.get("is_primary"):
                    continue
                try:
                    lines = (root / sp["file_name"]).read_text(encoding="utf-8", errors="replace").splitlines()
                    hits = pat.findall(lines[sp["line_start"] - 1])
                except (OSError, IndexError, KeyError):
                    hits = []
                rendered += "".join(f" [{mark}{h}]" for h in hits)
        other.append(rendered)
    return found, other


def sentinel(s: Struct) -> str:
    cfg = "".join(c + "\n" for c in s.cfgs)
    return f'{cfg}const _: () = panic!("{SENTINEL}{s.sid}");\n'


def field_expr(name: str) -> str:
    return f"r#{name}" if name in KEYWORDS and name not in ("self", "Self", "super", "crate") else name


# ---------------------------------------------------------------------------------
# The CLI.


def cli_has_cargo_mode(cli: Path) -> bool:
    p = run([str(cli), "report", "--help"], Path.cwd(), check=False)
    return "--manifest-path" in p.stdout


def cli_report(cli: Path, scratch: Path, name: str, crate_dir: Path, cargo_mode: bool,
               exact: bool = False) -> dict:
    """`layout-cli report` of one crate for the four targets, as the consumer builds it:
    with cargo's resolved features when the CLI reads cargo's model, else plain mode;
    with `exact`, `report --exact` (every number from rustc)."""
    if cargo_mode:
        # --check-features: the features computed from cargo metadata must be cargo tree's.
        args = ["report", "--manifest-path", str(scratch / "Cargo.toml"), "-p", name, "--check-features"]
    else:
        args = ["report", str(crate_dir)]
    args += exact_args(exact)
    args += ["--format", "json"]
    for t, _ in TARGETS:
        args += ["--target", t]
    p = run([str(cli)] + args, scratch, check=False)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise HarnessError(f"`layout-cli {' '.join(args)}` gave no JSON ({p.returncode}):\n{p.stderr[-4000:]}")
    if cargo_mode and not exact:
        # Dependencies are read as needed (only the definitions names reach are parsed):
        # the report must be the one parsing every dependency file whole gives.
        w = run([str(cli)] + args + ["--read-whole"], scratch, check=False)
        if (w.stdout, w.stderr, w.returncode) != (p.stdout, p.stderr, p.returncode):
            raise HarnessError(f"`layout-cli {' '.join(args)}` differs from its --read-whole run "
                               f"(exit {p.returncode} vs {w.returncode})")
    return doc


def exact_args(exact: bool) -> list[str]:
    """`--exact`: the CLI asks rustc for every number (its own `cargo check` per target,
    into its own target dir, `target/layout-exact` of the scratch workspace). Judged as
    the static numbers are."""
    return ["--exact"] if exact else []


def check_exact_mode(cli: Path, cargo_mode: bool) -> None:
    """`--exact` needs a CLI that has it, in cargo mode."""
    p = run([str(cli), "report", "--help"], Path.cwd(), check=False)
    if "--exact" not in p.stdout:
        raise HarnessError(f"{cli} has no `report --exact`")
    if not cargo_mode:
        raise HarnessError("--exact needs cargo mode (--mode cargo)")


def rel_to(crate_dir: Path, file: str, scratch: Path) -> str | None:
    p = Path(file)
    if not p.is_absolute():
        for base in (crate_dir, scratch):
            if (base / p).exists():
                p = base / p
                break
    try:
        return p.resolve().relative_to(crate_dir.resolve()).as_posix()
    except ValueError:
        return None


def match_reports(doc: dict, scans: list[FileScan], crate_dir: Path, scratch: Path):
    """(struct id, target) -> report; and the reports matching no scanned struct."""
    by_file_name: dict[tuple[str, str], list[Struct]] = collections.defaultdict(list)
    for fs in scans:
        for s in fs.structs:
            by_file_name[(s.file, s.name)].append(s)
    matched: dict[tuple[int, str], dict] = {}
    unmatched: list[dict] = []
    for r in doc.get("structs", []):
        if r.get("instance_of"):
            continue  # an instantiation's entry: see instance_claims
        rel = rel_to(crate_dir, r["file"], scratch)
        cands = by_file_name.get((rel, r["name"]), []) if rel else []
        exact = [s for s in cands if s.first_line <= r["line"] <= s.line]
        pick = exact or sorted(cands, key=lambda s: abs(s.line - r["line"]))[:1]
        if pick:
            matched[(pick[0].sid, r["target"])] = r
        else:
            unmatched.append(r)
    return matched, unmatched


def no_reason(r: dict) -> str:
    """A stand-in when the JSON gives no `unknown_reason`: the first field of unknown size."""
    for f in r.get("fields", []):
        if f.get("size") is None:
            return f"(no unknown_reason) a field of type `{f.get('type')}`"
    return "(no unknown_reason) no field of unknown size"


def claims_for(s: Struct, r: dict, cfg: str, claims: list[tuple]) -> tuple[list[tuple[int, str]], int]:
    """The assertions of one report as (claim id, const); appends (id, struct, target,
    what, claimed) to claims."""
    out, unchecked = [], 0
    own = "".join(c + "\n" for c in s.cfgs)

    def add(expr: str, value: int, what: str) -> None:
        cid = len(claims)
        claims.append((cid, s, r["target"], what, value))
        out.append((cid, f'#[cfg({cfg})]\n{own}const _: () = assert!({expr} == {value}, "{CLAIM}{cid}");\n'))

    add(f"::core::mem::size_of::<{s.name}>()", r["size"], "size")
    if r.get("align") is not None:
        add(f"::core::mem::align_of::<{s.name}>()", r["align"], "align")
    else:
        unchecked += 1
    for f in r.get("fields", []):
        if f.get("offset") is None:
            unchecked += 1
            continue
        add(f"::core::mem::offset_of!({s.name}, {field_expr(f['name'])})", f["offset"], f"offset of {f['name']}")
    return out, unchecked


_LIFETIME = re.compile(r"'(?!static\b)[A-Za-z_][A-Za-z0-9_]*\b(?!')")


def instance_claims(doc: dict, scans: list[FileScan], crate_dir: Path, scratch: Path,
                    compiled: dict[str, set[int]], claims: list[tuple],
                    consts: dict[int, list[tuple[int, str]]], inst_ids: set[int],
                    skipped: collections.Counter) -> None:
    """The claims of a crate's instantiation entries (`instance_of`, schema 2): size,
    align and, where the generic struct is in the file that names it (so its fields are
    visible there), every field offset, asserted on the type as written there
    (`named_at.written`) in the module that names the instantiation: the consts go with
    the struct whose definition names it, wearing that struct's cfgs and the target's gate. The claim ids go into
    inst_ids. Counted in skipped: an entry listed in a Cargo.toml or implied by another
    (`via`), or whose generic struct or naming struct rustc did not compile on the
    target."""
    structs = [st for fs in scans for st in fs.structs]
    by_file: dict[str, list[Struct]] = collections.defaultdict(list)
    for st in structs:
        by_file[st.file].append(st)
    entries = [r for r in doc.get("structs", []) if r.get("instance_of")]
    for r in entries:
        t = r["target"]
        cfg = next((c for tt, c in TARGETS if tt == t), None)
        if cfg is None or r.get("size") is None or r.get("present", "yes") != "yes":
            continue
        # the generic struct: its definition is the entry's position
        rel = rel_to(crate_dir, r["file"], scratch)
        base = r["instance_of"].rsplit("::", 1)[-1]
        gen = [st for st in by_file.get(rel or "", []) if st.name == base and st.first_line <= r["line"] <= st.line]
        # One implied by another (`via`) reads with names of two scopes (the generic
        # definition's and the first one's arguments): no module can check its text.
        at = r.get("named_at") or {}
        host = None
        if at and not at.get("listed") and not at.get("via"):
            here = rel_to(crate_dir, at["file"], scratch)
            before = [st for st in by_file.get(here or "", []) if st.first_line <= at["line"]]
            host = max(before, key=lambda st: st.first_line, default=None)
        if not gen or host is None or gen[0].sid not in compiled[t] or host.sid not in compiled[t]:
            skipped[t] += 1
            continue
        g = gen[0]
        name = r["name"]
        # as written where it is named: its path resolves there (the definition's module
        # path may be private to that module)
        ty = _LIFETIME.sub("'static", at.get("written") or r["instance_of"] + name[name.index("<"):])
        own = "".join(c + "\n" for c in host.cfgs)

        def add(expr: str, value: int, what: str) -> None:
            cid = len(claims)
            claims.append((cid, g, t, f"{name}: {what}", value))
            inst_ids.add(cid)
            consts[host.sid].append(
                (cid, f'#[cfg({cfg})]\n{own}const _: () = assert!({expr} == {value}, "{CLAIM}{cid}");\n'))

        add(f"::core::mem::size_of::<{ty}>()", r["size"], "size")
        if r.get("align") is not None:
            add(f"::core::mem::align_of::<{ty}>()", r["align"], "align")
        if host.file == g.file:
            for f in r.get("fields", []):
                if f.get("offset") is not None:
                    add(f"::core::mem::offset_of!({ty}, {field_expr(f['name'])})", f["offset"],
                        f"offset of {f['name']}")


# ---------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", type=Path, help="the layout-cli binary")
    ap.add_argument("--self-test", action="store_true", help="only test the source scanner and exit")
    ap.add_argument("--dir", type=Path, default=Path("target/real-crates"), help="scratch dir (default target/real-crates)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--show", type=int, default=10, help="failures listed per kind, crate and target (default 10)")
    ap.add_argument("--min-coverage", type=float, metavar="PCT",
                    help="also fail when a crate's share of sized structs on a target is below PCT")
    ap.add_argument("--mode", choices=["auto", "cargo", "plain"], default="auto",
                    help="how to call the CLI: cargo's model (--manifest-path -p) or a plain directory")
    ap.add_argument("--exact", action="store_true",
                    help="judge `report --exact` (rustc's numbers) instead of the static report")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return 0
    if args.cli is None:
        ap.error("--cli is required")
    t0 = time.monotonic()
    cli = args.cli.resolve()
    scratch = args.dir.resolve()
    cargo_mode = cli_has_cargo_mode(cli) if args.mode == "auto" else args.mode == "cargo"
    if args.exact:
        check_exact_mode(cli, cargo_mode)
    print(f"real-crates: CLI {cli} in {'cargo' if cargo_mode else 'plain-directory'} mode"
          f"{' with --exact' if args.exact else ''}; scratch {scratch}", flush=True)

    copies, sources = setup(scratch)
    meta = metadata(scratch)
    names = [n for n, _, _ in CRATES]
    sids = iter(range(1, 10**9))
    scans = {n: scan_crate(n, sources[n], copies[n], lib_src_dir(meta, n), lambda: next(sids)) for n in names}
    structs = {s.sid: s for n in names for fs in scans[n] for s in fs.structs}
    groups = rounds(meta, names)
    print(f"real-crates: set up in {time.monotonic() - t0:.0f} s; instrumenting in rounds {groups}", flush=True)

    def instrument(group: list[str], inserts: dict[int, list[str]]) -> None:
        for n in names:
            write_instrumented(scans[n], inserts if n in group else {})

    # phase 1: presence
    compiled: dict[str, set[int]] = {t: set() for t, _ in TARGETS}
    for group in groups:
        instrument(group, {s.sid: [sentinel(s)] for s in structs.values() if s.crate in group})
        for t, _ in TARGETS:
            found, other = marked_ids(cargo_check(scratch, t), SENTINEL)
            if other:
                raise HarnessError(f"phase 1 on {t}: errors that are not sentinels:\n" + "\n".join(other[:10]))
            compiled[t] |= found
    print(f"real-crates: phase 1 done at {time.monotonic() - t0:.0f} s", flush=True)

    # the CLI's claims
    reports: dict[tuple[int, str], dict] = {}
    docs: dict[str, dict] = {}
    outside: dict[str, list[dict]] = {}
    cli_errors: dict[str, list] = {}
    if args.exact:
        instrument([], {})  # rustc must see the crates as published, without sentinels
    t_cli = time.monotonic()
    for n in names:
        doc = cli_report(cli, scratch, n, copies[n], cargo_mode, args.exact)
        docs[n] = doc
        cli_errors[n] = doc.get("errors", [])
        if cli_errors[n]:
            print(f"real-crates: layout-cli reported {len(cli_errors[n])} input error(s) on {n}, first: {cli_errors[n][0]}")
        m, u = match_reports(doc, scans[n], copies[n], scratch)
        reports.update(m)
        outside[n] = u
    print(f"real-crates: layout-cli report{' --exact' if args.exact else ''} of {len(names)} crates took "
          f"{time.monotonic() - t_cli:.1f} s", flush=True)

    # phase 2: numbers
    claims: list[tuple] = []
    unchecked: collections.Counter = collections.Counter()
    refuted_ids: set[int] = set()
    # claims rustc cannot even type-check (say, size_of of a type it finds unsized):
    # dropped and counted, so one of them does not hide every other claim
    untypable: set[int] = set()
    inst_ids: set[int] = set()
    inst_skipped: dict[str, collections.Counter] = {n: collections.Counter() for n in names}
    for group in groups:
        consts: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
        for t, cfg in TARGETS:
            for sid in compiled[t]:
                s = structs[sid]
                r = reports.get((sid, t))
                if s.crate not in group or s.generic or r is None or r.get("size") is None:
                    continue
                text, u = claims_for(s, r, cfg, claims)
                consts[sid].extend(text)
                unchecked[(s.crate, t)] += u
        for n in group:
            instance_claims(docs[n], scans[n], copies[n], scratch, compiled, claims, consts, inst_ids,
                            inst_skipped[n])
        for attempt in range(4):
            instrument(group, {sid: [c for cid, c in cs if cid not in untypable] for sid, cs in consts.items()})
            found_all, bad, other_all = set(), set(), []
            for t, _ in TARGETS:
                found, other = marked_ids(cargo_check(scratch, t), CLAIM, scratch)
                other_all += other
                named = [set(map(int, re.findall(re.escape(CLAIM) + r"(\d+)", o))) for o in other]
                if any(not ids for ids in named) or attempt == 3:
                    raise HarnessError(f"phase 2 on {t}: errors that are not claims:\n" + "\n".join(other[:10]))
                bad |= set().union(*named) if named else set()
                found_all |= found
            if not bad:
                refuted_ids |= found_all
                break
            untypable |= bad
            print(f"real-crates: {len(bad)} claim(s) rustc rejects before evaluating them; checking again without",
                  flush=True)
            for o in [o for o in other_all if re.search(re.escape(CLAIM) + r"\d+", o)][:args.show]:
                print(o, flush=True)
    instrument([], {})  # leave pristine copies behind
    print(f"real-crates: phase 2 done at {time.monotonic() - t0:.0f} s", flush=True)

    # the table
    rows, failures = [], 0
    failed: list[tuple[str, str, Struct, str]] = []
    reasons: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    hdr = ("crate", "target", "compiled", "reported", "maybe", "rep!comp", "comp!rep", "sized", "cover%",
           "claims", "inst", "inst-skip", "refuted", "unchecked", "generic", "in-macro", "outside",
           "inst-entries", "inst-rustc")
    for n in names:
        mine = [s for s in structs.values() if s.crate == n]
        in_macro = sum(fs.in_macro for fs in scans[n])
        insts = [r for r in docs[n].get("structs", []) if r.get("instance_of")]
        for t, _ in TARGETS:
            comp = {s.sid for s in mine if s.sid in compiled[t]}
            rep = {s.sid for s in mine if (s.sid, t) in reports}
            # `present: "unknown"` (schema 2): the CLI does not claim the struct exists
            maybe = {sid for sid in rep if reports[(sid, t)].get("present", "yes") != "yes"}
            nongeneric = {sid for sid in comp if not structs[sid].generic}
            sized = {sid for sid in nongeneric if sid in rep and reports[(sid, t)].get("size") is not None}
            for sid in nongeneric - sized:
                r = reports.get((sid, t))
                reason = "not reported" if r is None else (r.get("unknown") or r.get("unknown_reason") or no_reason(r))
                reasons[t][f"{n}: {reason}"] += 1
            mine_claims = [c for c in claims if c[1].crate == n and c[2] == t]
            # a claim rustc rejects outright (a field it does not compile) is refuted too
            refuted = [c for c in mine_claims if c[0] in refuted_ids or c[0] in untypable]
            cover = f"{100 * len(sized) / len(nongeneric):.1f}" if nongeneric else "-"
            rows.append((n, t, len(comp), len(rep), len(maybe), len(rep - maybe - comp), len(comp - rep),
                         len(sized), cover, len(mine_claims), sum(1 for c in mine_claims if c[0] in inst_ids),
                         inst_skipped[n][t], len(refuted), unchecked[(n, t)],
                         sum(1 for s in comp if structs[s].generic), in_macro,
                         sum(1 for r in outside[n] if r["target"] == t),
                         sum(1 for r in insts if r["target"] == t),
                         sum(1 for r in insts if r["target"] == t and r.get("source") == "rustc")))
            failures += len(refuted) + len(rep - maybe - comp) + len(comp - rep)
            for c in refuted:
                kind = "REFUTED" if c[0] in refuted_ids else "REFUTED (rustc rejects the assertion)"
                if c[0] in inst_ids:
                    kind += " [instantiation]"
                failed.append((kind, t, c[1], f"{c[3]} = {c[4]}"))
            for sid in sorted(rep - maybe - comp):
                failed.append(("REPORTED, NOT COMPILED", t, structs[sid], ""))
            for sid in sorted(comp - rep):
                failed.append(("COMPILED, NOT REPORTED", t, structs[sid], ""))
    shown: collections.Counter = collections.Counter()
    for kind, t, st, what in failed:
        key = (kind, st.crate, t)
        shown[key] += 1
        if shown[key] <= args.show:
            print(f"{kind} {t} {st.crate}/{st.file}:{st.line} {st.name}{': ' + what if what else ''}")
    for key, k in sorted(shown.items()):
        if k > args.show:
            print(f"{key[0]} {key[2]} {key[1]}: {k - args.show} more (--show N, or --json FILE for all)")
    low = [r for r in rows if args.min_coverage is not None and r[8] != "-" and float(r[8]) < args.min_coverage]
    failures += len(low)
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    print()
    for r in [hdr] + rows:
        print("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    print("\nunknown sizes among compiled non-generic structs, by reason:")
    for t, _ in TARGETS:
        print(f"  {t}:")
        for reason, k in reasons[t].most_common(12):
            print(f"    {k:5}  {reason}")
    took = time.monotonic() - t0
    for r in low:
        print(f"COVERAGE {r[1]} {r[0]}: {r[8]}% of compiled non-generic structs sized, below {args.min_coverage}%")
    print(f"\nreal-crates: {failures} failure(s); {took:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "columns": hdr, "rows": rows, "failures": failures, "seconds": round(took),
            "unknown_reasons": {t: dict(c) for t, c in reasons.items()},
            "failed": [
                {"kind": k, "target": t, "crate": st.crate, "file": st.file, "line": st.line, "name": st.name, "claim": w}
                for k, t, st, w in failed
            ],
            "cli_errors": cli_errors,
        }, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as e:
        print(f"real-crates: {e}", file=sys.stderr)
        sys.exit(2)
