//! The lexer against proc-macro2: same tokens, same nesting score, same positions once docs are stripped.

use super::*;
use crate::parse::depth;
use proc_macro2::TokenStream;

fn tokens(text: &str) -> TokenStream {
    text.parse()
        .unwrap_or_else(|e| panic!("proc-macro2 rejects {text:?}: {e}"))
}

/// The lexer accepts `src` and agrees with proc-macro2 ([`compare_with_proc_macro2`]).
fn agrees(src: &str) {
    assert_eq!(compare_with_proc_macro2(src), Comparison::Same, "{src:?}");
    let keep = prepare(src, Docs::Keep, usize::MAX).expect("lexes");
    assert!(
        matches!(keep.text, Cow::Borrowed(_)),
        "keeping docs copies nothing"
    );
}

#[test]
fn agrees_with_proc_macro2_on_tricky_tokens() {
    let cases = [
        "fn f() {}",
        "/// outer\nfn f() {}\n//! inner\n/** block */ fn g() {}\n/*! inner block */",
        "//// not a doc\n/*** not a doc */ /**/ fn f() {}\n///\n///x\n//!\n",
        "/** é ü */ fn after_non_ascii_block_doc() { let x = 1; }",
        "/** multi\n  line é\n */ struct S; /* plain /* nested */ still */ const C: u8 = 1;",
        "fn f() { let s = \"/// not a doc\"; let t = \"// nor this /*\"; }",
        "const R: &str = r#\"raw \" /// \"#; const R2: &str = r##\"a\"#b\"##; const R3: &str = r\"x\";",
        "const B: &[u8] = b\"bytes\\x7f\\n\\\"\"; const BR: &[u8] = br#\"raw\"#; const BC: u8 = b'\\'';",
        "const C: &core::ffi::CStr = c\"cstr\\u{1F600}\"; const CR: &core::ffi::CStr = cr#\"raw\"#;",
        "fn f<'a, 'b: 'a>(x: &'a str) -> &'static str { 'outer: loop { break 'outer; } }",
        "const Q: [char; 6] = ['a', '\\'', '\\\\', '\\u{10FFFF}', '\\x7f', 'é'];",
        "fn f() { let _ = '\"'; let _ = '\\n'; let r#type = 1; let _ = r#type; }",
        "const N: [f64; 9] = [1.0, 1e5, 1.5e-3, 2E+10, 1_000.5, 0.5f64, 1.0e5_f32, 3., 1_2e1_0];",
        "const I: [u64; 7] = [0x1F, 0o17, 0b1010, 1_000, 0xdead_beef, 1u64, 0b1e3];",
        "fn f() { let _ = 1..2; let _ = 1.max(2); let _ = x.0.1; let _ = 1.0.max(2.0); let _ = 2.e5; }",
        "fn f() { a += 1; b <<= 2; c ->d; e => f; g::h; i..=j; k != l; m && n || o; p? ; &&q; }",
        "fn f() { let _ = a/b; let _ = a / /* c */ b; let _ = a+'b'; }",
        "macro_rules! m { ($($t:tt)*) => { $($t)* }; } m! { ((((x)))) } fn g() { m!(a, b); }",
        "#[cfg(test)] #![allow(x)] fn f() { #[inline] || {} ; |a, b| a; }",
        "fn f() { let s = \"line one \\\n    continued\"; let t = \"crlf\\\r\n  next\"; }",
        "fn é_ident() { let 变量 = 1; }",
        "fn f() -> u8 { (/*ERROR*/) }",
        "fn f()\r\n{\r\n    /// crlf doc\r\n    let x = 1;\r\n}\r\n",
        "struct S; impl S { /// a method\n    fn m(&self) {} }",
        "fn f() { let _ = 1e; let _ = 1.0e; let _ = 1.0ef32; let _ = 0x1e+5; }",
        "fn f() { '\\u{0}'; b'\\x00'; \"\\0\"; }",
        "",
        "// only a comment",
        "/// only a doc",
    ];
    for c in cases {
        agrees(c);
    }
}

#[test]
fn strips_docs_and_keeps_lines_and_columns() {
    let src = "/// outer\n//! inner\nfn f() {}\n/** one\ntwo é */ fn g() {}\n";
    let p = prepare(src, Docs::Strip, usize::MAX).expect("lexes");
    assert_eq!(p.text, "\n\nfn f() {}\n       \n         fn g() {}\n");
    // Nothing to strip: the text is borrowed as it is.
    let plain = "fn f() {} // a comment";
    assert!(matches!(
        prepare(plain, Docs::Strip, usize::MAX).map(|p| p.text),
        Some(Cow::Borrowed(_))
    ));
}

#[test]
fn gives_up_where_proc_macro2_does_or_where_it_is_not_sure() {
    for src in [
        "fn f() {",
        "fn f() )",
        "fn f() { \"unterminated }",
        "fn f() { /* unterminated }",
        "/// bare \r carriage return\nfn f() {}",
        "fn f() { ' }",
        "fn f() { 'ab'; }",
        "fn f() { \"\\q\"; }",
        "fn f() { 0b102; }",
        "fn f() { 0x; }",
        "fn f() { r#self; }",
        "fn f() { b'é'; }",
        "fn f() { b\"é\"; }",
        "fn f() { c\"\\0\"; }",
        "fn f() { 😀 }",
        "fn f() { \0 }",
    ] {
        assert!(
            prepare(src, Docs::Strip, usize::MAX).is_none(),
            "the lexer should give up on {src:?}"
        );
    }
}

#[test]
fn too_deep_is_found_at_the_same_place_as_by_the_token_tree() {
    let src = format!("fn f() {{\n    {}x{}\n}}", "(".repeat(100), ")".repeat(100));
    let lexed = prepare(&src, Docs::Strip, 50).expect("lexes").depth;
    let treed = depth::check(tokens(&src), depth::Macros::Skip, 50);
    assert!(lexed.is_err(), "{lexed:?}");
    assert_eq!(lexed, treed);
    // A macro body is skipped in a file's scan, as in the token tree's.
    let body = format!("m! {{ {}x{} }}", "(".repeat(500), ")".repeat(500));
    assert_eq!(prepare(&body, Docs::Keep, 10).expect("lexes").depth, Ok(3));
}

/// Every Rust file of this repository (the tool's own sources, its fixtures, tests and benches): real code,
/// lexed and stripped exactly as proc-macro2 sees it.
#[test]
fn agrees_with_proc_macro2_on_this_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = ["src", "fixtures", "tests", "benches"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() && !path.ends_with("target") {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 100, "{} files", files.len());
    let mut lexed = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        // Files kept on purpose as inputs that do not tokenize (fuzz regressions, broken fixtures).
        if text.parse::<TokenStream>().is_err() {
            assert!(
                prepare(&text, Docs::Strip, usize::MAX).is_none(),
                "{}",
                f.display()
            );
            continue;
        }
        agrees(&text);
        lexed += 1;
    }
    assert!(lexed > 100, "{lexed} files lexed");
}

/// Token soup from fragments where lexers disagree most (quotes of every kind, comments in every form,
/// lifetimes against character literals, number forms, raw identifiers, non-ASCII, stray bytes): on every
/// text proc-macro2 accepts, the lexer either gives up or agrees; it never differs. `CONCUR_LEX_SOUP` sets how
/// many texts (default 3000).
#[test]
fn token_soup_never_differs_from_proc_macro2() {
    const FRAGMENTS: &[&str] = &[
        " ",
        "\n",
        "\r\n",
        "\t",
        "\u{a0}",
        "\u{200e}",
        "a",
        "_",
        "r#a",
        "r#fn",
        "é",
        "变",
        "1",
        "0x1f",
        "0b10",
        "0o7",
        "1.0",
        "1.",
        "1e5",
        "1e+5",
        "1.5e-3f64",
        "1_000",
        "1u8",
        "2.e5",
        "1..2",
        "x.0.1",
        "'",
        "'a",
        "'a'",
        "'\\''",
        "'\\n'",
        "'\\u{10FFFF}'",
        "'\\x7f'",
        "'r#a",
        "b'x'",
        "b'\\x00'",
        "\"",
        "\"s\"",
        "\"a\\\"b\"",
        "\"\\u{1F600}\"",
        "\"\\\n  x\"",
        "r\"x\"",
        "r#\"a\"b\"#",
        "r##\"x\"#\"##",
        "br\"x\"",
        "b\"x\\xff\"",
        "c\"x\"",
        "cr#\"x\"#",
        "//",
        "// c\n",
        "/// d\n",
        "//! d\n",
        "//// n\n",
        "/*",
        "*/",
        "/* c */",
        "/** d */",
        "/*! d */",
        "/**/",
        "/***/",
        "/* /* n */ */",
        "/** é */",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "#",
        "!",
        "#[a]",
        "#![a]",
        "=>",
        "::",
        "->",
        "+=",
        "<<=",
        "..=",
        "&&",
        "||",
        "|",
        "?",
        ";",
        ",",
        ".",
        "<",
        ">",
        "$",
        "@",
        "~",
        "^",
        "%",
        "/",
        "*",
        "-",
        "=",
        "fn",
        "macro_rules",
        "m!",
        "(/*ERROR*/)",
    ];
    let cases: u64 = std::env::var("CONCUR_LEX_SOUP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut same, mut gave_up) = (0, 0);
    for case in 0..cases {
        let pieces = 1 + next() % 24;
        let text: String = (0..pieces)
            .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
            .collect();
        match compare_with_proc_macro2(&text) {
            Comparison::Same => same += 1,
            Comparison::GaveUp => gave_up += 1,
            Comparison::BothReject => {}
            Comparison::Differs(why) => panic!("case {case}: {text:?}: {why}"),
        }
    }
    eprintln!("{cases} texts: {same} lexed as proc-macro2 does, {gave_up} given up, the rest rejected by both");
    assert!(
        same > cases / 10,
        "{same} texts lexed the same, {gave_up} given up"
    );
}
