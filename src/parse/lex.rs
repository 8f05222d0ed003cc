//! One linear pass over a file's text before proc-macro2 sees it: where its doc comments are, and the file's
//! nesting score ([`super::depth`]) from the very tokens proc-macro2 would make of it.
//!
//! Doc comments are of no use to the analysis, and in documented crates they are a large share of the text
//! that tokenizing and parsing pay for (tokio: 48% of its bytes): proc-macro2 turns each into a
//! `#[doc = "..."]` attribute with an escaped copy of the text, and syn parses that attribute and copies the
//! literal again. [`prepare`] can strip them before tokenizing, keeping every line and column (a line doc
//! comment is cut up to its line's end, a block one becomes spaces, one per character, newlines kept), so
//! every position the analysis reports is the position in the file as written.
//!
//! The lexer follows the lexical rules proc-macro2's fallback lexer applies (the Rust reference's tokens, as
//! proc-macro2 accepts them: its literals, its `Joint` spacing, a lifetime as `'` and an identifier). Where
//! it meets anything it does not accept token for token, it gives up (`None`): the caller then tokenizes
//! the text as it is and scores the token tree, so a file this lexer does not know costs time, never a
//! wrong answer. `tests/it/fuzz.rs` holds it to proc-macro2 on every generated and mutated case.

use std::borrow::Cow;
use std::ops::Range;

use proc_macro2::{Delimiter, Spacing};

use super::depth::{Macros, Scorer, Tok, TooDeep};

/// What becomes of a file's doc comments (`///`, `//!`, `/** */`, `/*! */`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Docs {
    /// Parsed as the `#[doc]` attributes they are (the file as written; suppression comments need the
    /// items' spans to start at their docs).
    Keep,
    /// Stripped before tokenizing: the analysis has no use for them.
    Strip,
}

/// A file's text ready for proc-macro2, and its nesting score.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The text to tokenize: the file's own, or with its doc comments stripped (same lines and columns).
    pub text: Cow<'a, str>,
    /// The nesting score of `text`'s tokens (macro bodies skipped), or where it first passed the limit.
    pub depth: Result<usize, TooDeep>,
}

/// Lexes `text` once: strips its doc comments when `docs` says so, and scores its nesting against
/// `limit`. `None` when the text holds anything this lexer does not accept exactly as proc-macro2 does
/// (a lexical error, a rare literal form): tokenize `text` itself then.
pub fn prepare(text: &str, docs: Docs, limit: usize) -> Option<Prepared<'_>> {
    // A byte order mark is skipped, as proc-macro2 skips it (still counting it as a column).
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut lexer = Lexer { src: text, i: bom };
    let mut score = Score {
        scorer: Scorer::new(Macros::Skip, limit),
        skipped: 0,
        too_deep: None,
    };
    let mut open: Vec<Delimiter> = Vec::new();
    let mut doc_ranges: Vec<(Range<usize>, bool)> = Vec::new();
    while let Some((at, lexeme)) = lexer.next().ok()? {
        match lexeme {
            Lexeme::Doc {
                inner,
                block,
                range,
            } => match docs {
                Docs::Strip => doc_ranges.push((range, block)),
                Docs::Keep => {
                    // What proc-macro2 makes of it: `# [!] [doc = "..."]`.
                    score.token(Tok::Punct('#', Spacing::Alone), at);
                    if inner {
                        score.token(Tok::Punct('!', Spacing::Alone), at);
                    }
                    score.token(Tok::Open(Delimiter::Bracket), at);
                    score.token(Tok::Ident("doc"), at);
                    score.token(Tok::Punct('=', Spacing::Alone), at);
                    score.token(Tok::Literal, at);
                    score.close();
                }
            },
            Lexeme::Tok(tok) => {
                if let Tok::Open(d) = tok {
                    open.push(d);
                }
                score.token(tok, at);
            }
            Lexeme::Close(d) => {
                if open.pop() != Some(d) {
                    return None;
                }
                score.close();
            }
        }
    }
    if !open.is_empty() {
        return None;
    }
    let depth = match score.too_deep {
        None => Ok(score.scorer.max()),
        Some((score, at)) => {
            let (line, column) = line_column(text, at);
            Err(TooDeep {
                score,
                limit,
                line,
                column,
            })
        }
    };
    let text = if doc_ranges.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(strip(text, &doc_ranges))
    };
    Some(Prepared { text, depth })
}

/// The scorer fed from the lexer: groups it skips (macro bodies) are skipped here, and nothing is scored
/// after the limit is passed (the lexer still runs to the end: a lexical error decides first).
struct Score {
    scorer: Scorer,
    /// Inside a group the scorer skips: how many groups deep.
    skipped: usize,
    /// The first score past the limit and the byte where it was.
    too_deep: Option<(usize, usize)>,
}

impl Score {
    fn token(&mut self, tok: Tok<'_>, at: usize) {
        if self.skipped > 0 {
            if matches!(tok, Tok::Open(_)) {
                self.skipped += 1;
            }
            return;
        }
        if self.too_deep.is_some() {
            return;
        }
        match self.scorer.token(tok) {
            Ok(false) if matches!(tok, Tok::Open(_)) => self.skipped = 1,
            Ok(_) => {}
            Err(score) => self.too_deep = Some((score, at)),
        }
    }

    fn close(&mut self) {
        if self.skipped > 0 {
            self.skipped -= 1;
        } else if self.too_deep.is_none() {
            self.scorer.close();
        }
    }
}

/// How the lexer fared on a text against proc-macro2 ([`compare_with_proc_macro2`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Both modes lexed it; the nesting scores are the token tree's, and the stripped text makes the same
    /// tokens at the same lines and columns as the text minus its doc comments.
    Same,
    /// The lexer gave up on a text proc-macro2 tokenizes (a slower path, not a wrong one).
    GaveUp,
    /// Neither accepts the text.
    BothReject,
    /// A difference: what it is.
    Differs(String),
}

/// Holds [`prepare`] to proc-macro2 on `text` (for tests and the fuzz harness).
#[doc(hidden)]
pub fn compare_with_proc_macro2(text: &str) -> Comparison {
    use proc_macro2::TokenStream;
    let tokenized = text.parse::<TokenStream>();
    let (keep, tokens) = match (prepare(text, Docs::Keep, usize::MAX), tokenized) {
        (None, Ok(_)) => return Comparison::GaveUp,
        (None, Err(_)) => return Comparison::BothReject,
        (Some(_), Err(e)) => return Comparison::Differs(format!("proc-macro2 rejects it: {e}")),
        (Some(keep), Ok(tokens)) => (keep, tokens),
    };
    let tree = super::depth::check(tokens.clone(), Macros::Skip, usize::MAX);
    if keep.depth != tree {
        return Comparison::Differs(format!("score {:?}, token tree {tree:?}", keep.depth));
    }
    let Some(strip) = prepare(text, Docs::Strip, usize::MAX) else {
        return Comparison::Differs("strip mode gave up where keep mode did not".into());
    };
    let Ok(stripped) = strip.text.parse::<TokenStream>() else {
        return Comparison::Differs("proc-macro2 rejects the stripped text".into());
    };
    let tree = super::depth::check(stripped.clone(), Macros::Skip, usize::MAX);
    if strip.depth != tree {
        return Comparison::Differs(format!(
            "stripped: score {:?}, token tree {tree:?}",
            strip.depth
        ));
    }
    let newlines = |t: &str| t.matches('\n').count();
    if newlines(&strip.text) != newlines(text) {
        return Comparison::Differs("stripping changed the number of lines".into());
    }
    let (mut want, mut got) = (Vec::new(), Vec::new());
    token_events(tokens, true, &mut want);
    token_events(stripped, false, &mut got);
    match want.iter().zip(&got).position(|(w, g)| w != g) {
        Some(i) => Comparison::Differs(format!(
            "token {i}: {:?} where proc-macro2 has {:?}",
            got[i], want[i]
        )),
        None if want.len() != got.len() => Comparison::Differs(format!(
            "{} tokens where proc-macro2 has {}",
            got.len(),
            want.len()
        )),
        None => Comparison::Same,
    }
}

/// Each token of `tokens` as text with its start line and column (a group's close with its end), doc-comment
/// attributes left out when `skip_docs` (they are told from a written `#[doc]` by their `#`, which spans
/// the whole comment).
fn token_events(
    tokens: proc_macro2::TokenStream,
    skip_docs: bool,
    out: &mut Vec<(String, usize, usize)>,
) {
    use proc_macro2::TokenTree;
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tts.len() {
        let tt = &tts[i];
        if let (true, TokenTree::Punct(p)) = (skip_docs, tt) {
            let (s, e) = (p.span().start(), p.span().end());
            if p.as_char() == '#' && (s.line != e.line || e.column > s.column + 1) {
                let bang =
                    matches!(tts.get(i + 1), Some(TokenTree::Punct(b)) if b.as_char() == '!');
                i += if bang { 3 } else { 2 };
                continue;
            }
        }
        let start = tt.span().start();
        let at = |text: String| (text, start.line, start.column);
        match tt {
            TokenTree::Group(g) => {
                out.push(at(format!("open {:?}", g.delimiter())));
                token_events(g.stream(), skip_docs, out);
                let end = g.span().end();
                out.push(("close".into(), end.line, end.column));
            }
            TokenTree::Ident(x) => out.push(at(format!("ident {x}"))),
            TokenTree::Literal(x) => out.push(at(format!("literal {x}"))),
            TokenTree::Punct(p) => out.push(at(format!("punct {} {:?}", p.as_char(), p.spacing()))),
        }
        i += 1;
    }
}

/// 1-based line and column (in characters) of byte `at`, as proc-macro2 counts them.
fn line_column(text: &str, at: usize) -> (u32, u32) {
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line as u32, column as u32)
}

/// `text` without the doc comments at `ranges` (sorted, each with whether it is a block comment): a line
/// comment is cut (its line ends right there), a block comment becomes one space per character with its
/// newlines kept, so every line and column after it stays where it was.
fn strip(text: &str, ranges: &[(Range<usize>, bool)]) -> String {
    let removed: usize = ranges
        .iter()
        .filter(|(_, block)| !block)
        .map(|(r, _)| r.len())
        .sum();
    let mut out = String::with_capacity(text.len() - removed);
    let mut at = 0;
    for (range, block) in ranges {
        out.push_str(&text[at..range.start]);
        if *block {
            out.extend(text[range.clone()].chars().map(|c| match c {
                '\n' | '\r' => c,
                _ => ' ',
            }));
        }
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The lexer met something it does not accept exactly as proc-macro2 does.
struct Bail;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme<'a> {
    Tok(Tok<'a>),
    Close(Delimiter),
    /// A doc comment: `inner` (`//!`, `/*!`), `block` (`/** */`, `/*! */`), its bytes.
    Doc {
        inner: bool,
        block: bool,
        range: Range<usize>,
    },
}

/// Characters that make a punctuation token (a `'` also joins the one before it).
fn is_punct(b: u8) -> bool {
    matches!(
        b,
        b'~' | b'!'
            | b'@'
            | b'#'
            | b'$'
            | b'%'
            | b'^'
            | b'&'
            | b'*'
            | b'-'
            | b'='
            | b'+'
            | b'|'
            | b';'
            | b':'
            | b','
            | b'<'
            | b'.'
            | b'>'
            | b'/'
            | b'?'
    )
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || (!c.is_ascii() && unicode_ident::is_xid_start(c))
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric() || (!c.is_ascii() && unicode_ident::is_xid_continue(c))
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

struct Lexer<'a> {
    src: &'a str,
    i: usize,
}

type Lexed<'a> = Result<Option<(usize, Lexeme<'a>)>, Bail>;

impl<'a> Lexer<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..)?.chars().next()
    }

    fn rest(&self, at: usize) -> &'a [u8] {
        &self.src.as_bytes()[at.min(self.src.len())..]
    }

    /// The next token or doc comment and where it starts; `Ok(None)` at the end.
    fn next(&mut self) -> Lexed<'a> {
        loop {
            let Some(b) = self.byte(self.i) else {
                return Ok(None);
            };
            match b {
                b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => self.i += 1,
                b'/' if self.byte(self.i + 1) == Some(b'/') => {
                    let start = self.i;
                    let end = self.line_end(start);
                    self.i = end;
                    let inner = match (self.byte(start + 2), self.byte(start + 3)) {
                        (Some(b'/'), Some(b'/')) => continue,
                        (Some(b'/'), _) => false,
                        (Some(b'!'), _) => true,
                        _ => continue,
                    };
                    // A carriage return in a doc comment that ends no line is an error to proc-macro2.
                    if self.src.as_bytes()[start + 3..end].contains(&b'\r') {
                        return Err(Bail);
                    }
                    return Ok(Some((
                        start,
                        Lexeme::Doc {
                            inner,
                            block: false,
                            range: start..end,
                        },
                    )));
                }
                b'/' if self.byte(self.i + 1) == Some(b'*') => {
                    let start = self.i;
                    let rest = self.rest(start);
                    if rest.starts_with(b"/**/") {
                        self.i += 4;
                        continue;
                    }
                    let doc = if rest.starts_with(b"/*!") {
                        Some(true)
                    } else if rest.starts_with(b"/**") && !rest.starts_with(b"/***") {
                        Some(false)
                    } else {
                        None
                    };
                    let end = start + block_comment_len(rest).ok_or(Bail)?;
                    self.i = end;
                    let Some(inner) = doc else {
                        continue;
                    };
                    if has_bare_cr(&self.src.as_bytes()[start + 3..end - 2]) {
                        return Err(Bail);
                    }
                    return Ok(Some((
                        start,
                        Lexeme::Doc {
                            inner,
                            block: true,
                            range: start..end,
                        },
                    )));
                }
                0x80.. => {
                    let c = self.char_at(self.i).ok_or(Bail)?;
                    if c.is_whitespace() || c == '\u{200e}' || c == '\u{200f}' {
                        self.i += c.len_utf8();
                    } else {
                        return self.token().map(Some);
                    }
                }
                _ => return self.token().map(Some),
            }
        }
    }

    /// Where a line comment starting at `start` ends: before its `\n`, or its `\r\n`, or at the end.
    fn line_end(&self, start: usize) -> usize {
        match self.src[start..].find('\n') {
            Some(n) => {
                let nl = start + n;
                if self.src.as_bytes()[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                }
            }
            None => self.src.len(),
        }
    }

    fn token(&mut self) -> Result<(usize, Lexeme<'a>), Bail> {
        let start = self.i;
        let b = self.byte(start).ok_or(Bail)?;
        let tok = match b {
            b'(' if self.src[start..].starts_with("(/*ERROR*/)") => {
                self.i += "(/*ERROR*/)".len();
                Tok::Literal
            }
            b'(' | b'[' | b'{' => {
                self.i += 1;
                Tok::Open(match b {
                    b'(' => Delimiter::Parenthesis,
                    b'[' => Delimiter::Bracket,
                    _ => Delimiter::Brace,
                })
            }
            b')' | b']' | b'}' => {
                self.i += 1;
                let d = match b {
                    b')' => Delimiter::Parenthesis,
                    b']' => Delimiter::Bracket,
                    _ => Delimiter::Brace,
                };
                return Ok((start, Lexeme::Close(d)));
            }
            b'"' => self.literal(cooked(self.src.as_bytes(), start + 1, Quoted::Str))?,
            b'r' if matches!(self.byte(start + 1), Some(b'"' | b'#')) => {
                match raw(self.src.as_bytes(), start + 1, Quoted::Str) {
                    Some(end) => self.literal(Some(end))?,
                    None if self.rest(start).starts_with(b"r\"")
                        || self.rest(start).starts_with(b"r#\"")
                        || self.rest(start).starts_with(b"r##") =>
                    {
                        return Err(Bail)
                    }
                    None => self.ident(start)?,
                }
            }
            b'b' if self.byte(start + 1) == Some(b'"') => {
                self.literal(cooked(self.src.as_bytes(), start + 2, Quoted::Byte))?
            }
            b'b' if self.byte(start + 1) == Some(b'\'') => {
                self.literal(byte_char(self.src.as_bytes(), start + 2))?
            }
            b'b' | b'c'
                if self.byte(start + 1) == Some(b'r')
                    && matches!(self.byte(start + 2), Some(b'"' | b'#')) =>
            {
                let kind = if b == b'b' { Quoted::Byte } else { Quoted::C };
                self.literal(raw(self.src.as_bytes(), start + 2, kind))?
            }
            b'c' if self.byte(start + 1) == Some(b'"') => {
                self.literal(cooked(self.src.as_bytes(), start + 2, Quoted::C))?
            }
            b'\'' => match self.char_literal(start + 1) {
                Some(end) => self.literal(Some(end))?,
                None => {
                    self.lifetime(start + 1)?;
                    self.i = start + 1;
                    Tok::Punct('\'', Spacing::Joint)
                }
            },
            b'0'..=b'9' => {
                let end = self.number(start).ok_or(Bail)?;
                self.i = end;
                Tok::Literal
            }
            _ if is_punct(b) => {
                self.i += 1;
                let next = self.rest(self.i);
                let joint = next.first().is_some_and(|&n| n == b'\'' || is_punct(n))
                    && !next.starts_with(b"//")
                    && !next.starts_with(b"/*");
                Tok::Punct(
                    b as char,
                    if joint {
                        Spacing::Joint
                    } else {
                        Spacing::Alone
                    },
                )
            }
            _ => self.ident(start)?,
        };
        Ok((start, Lexeme::Tok(tok)))
    }

    /// A literal ending at `end` (after its closing quote): its suffix, if any, is part of it.
    fn literal(&mut self, end: Option<usize>) -> Result<Tok<'a>, Bail> {
        let end = end.ok_or(Bail)?;
        self.i = self.ident_end(end).unwrap_or(end);
        Ok(Tok::Literal)
    }

    /// End of the identifier (not raw) starting at `at`; `None` when none starts there.
    fn ident_end(&self, at: usize) -> Option<usize> {
        let rest = self.src.get(at..)?;
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, c)) if is_ident_start(c) => {}
            _ => return None,
        }
        Some(
            chars
                .find(|&(_, c)| !is_ident_continue(c))
                .map_or(self.src.len(), |(i, _)| at + i),
        )
    }

    /// End of the identifier, raw (`r#name`, not `r#self` and the like) or not, starting at `at`, and
    /// whether it is raw.
    fn any_ident_end(&self, at: usize) -> Result<(usize, bool), Bail> {
        let raw = self.rest(at).starts_with(b"r#");
        let name_at = if raw { at + 2 } else { at };
        let end = self.ident_end(name_at).ok_or(Bail)?;
        match &self.src[name_at..end] {
            "_" | "super" | "self" | "Self" | "crate" if raw => Err(Bail),
            _ => Ok((end, raw)),
        }
    }

    /// An identifier, raw or not, starting at `start`.
    fn ident(&mut self, start: usize) -> Result<Tok<'a>, Bail> {
        let (end, _) = self.any_ident_end(start)?;
        self.i = end;
        Ok(Tok::Ident(&self.src[start..end]))
    }

    /// A character literal whose body starts at `at` (after its `'`): the end after its closing `'`.
    fn char_literal(&self, at: usize) -> Option<usize> {
        let c = self.char_at(at)?;
        let after = if c == '\\' {
            let e = self.byte(at + 1)?;
            match e {
                b'x' => {
                    let (d1, d2) = (self.byte(at + 2)?, self.byte(at + 3)?);
                    (matches!(d1, b'0'..=b'7') && is_hex(d2)).then_some(at + 4)?
                }
                b'u' => unicode_escape(self.src.as_bytes(), at + 2)?.0,
                b'n' | b'r' | b't' | b'\\' | b'0' | b'\'' | b'"' => at + 2,
                _ => return None,
            }
        } else {
            at + c.len_utf8()
        };
        (self.byte(after)? == b'\'').then_some(after + 1)
    }

    /// `'` not starting a character literal: a lifetime or label, whose name is lexed next.
    fn lifetime(&self, at: usize) -> Result<(), Bail> {
        let (end, raw) = self.any_ident_end(at)?;
        match self.byte(end) {
            Some(b'\'') => Err(Bail),
            Some(b'#') if !raw => Err(Bail),
            _ => Ok(()),
        }
    }

    /// A number literal starting at `start` (a digit): a float if it is one, else an integer; with its
    /// suffix. `None` where proc-macro2 would reject it.
    fn number(&self, start: usize) -> Option<usize> {
        let end = match self.float_digits(start) {
            Some(end) => end,
            None => self.int_digits(start)?,
        };
        let end = self.ident_end(end).unwrap_or(end);
        // No identifier character may follow.
        match self.char_at(end) {
            Some(c) if is_ident_continue(c) => None,
            _ => Some(end),
        }
    }

    /// The digits, dot and exponent of a float literal; `None` when there is no float here.
    fn float_digits(&self, start: usize) -> Option<usize> {
        let b = self.src.as_bytes();
        let mut i = start + 1;
        let mut dot = false;
        let mut exp = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' | b'_' => i += 1,
                b'.' if dot => break,
                b'.' => {
                    // `1..2` and `1.max()` are an integer and what follows.
                    match self.char_at(i + 1) {
                        Some(n) if n == '.' || is_ident_start(n) => return None,
                        _ => {}
                    }
                    i += 1;
                    dot = true;
                }
                b'e' | b'E' => {
                    i += 1;
                    exp = true;
                    break;
                }
                _ => break,
            }
        }
        if !exp {
            return dot.then_some(i);
        }
        // Without exponent digits, a float with a dot ends before its `e` (which becomes its suffix).
        let before_exp = dot.then_some(i - 1);
        let mut sign = false;
        let mut value = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'+' | b'-' if value => break,
                b'+' | b'-' if sign => return before_exp,
                b'+' | b'-' => {
                    sign = true;
                    i += 1;
                }
                b'0'..=b'9' => {
                    value = true;
                    i += 1;
                }
                b'_' => i += 1,
                _ => break,
            }
        }
        if value {
            Some(i)
        } else {
            before_exp
        }
    }

    /// The digits of an integer literal (`0x`, `0o`, `0b` prefixes); `None` when a digit is out of its base
    /// or there is none.
    fn int_digits(&self, start: usize) -> Option<usize> {
        let b = self.src.as_bytes();
        let (base, mut i) = match b.get(start..start + 2) {
            Some(b"0x") => (16, start + 2),
            Some(b"0o") => (8, start + 2),
            Some(b"0b") => (2, start + 2),
            _ => (10, start),
        };
        let mut empty = true;
        while let Some(&c) = b.get(i) {
            let digit = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'a'..=b'f' => u32::from(c - b'a') + 10,
                b'A'..=b'F' => u32::from(c - b'A') + 10,
                b'_' if empty && base == 10 => return None,
                b'_' => {
                    i += 1;
                    continue;
                }
                _ => break,
            };
            if digit >= base {
                if c.is_ascii_digit() {
                    return None;
                }
                break;
            }
            i += 1;
            empty = false;
        }
        (!empty).then_some(i)
    }
}

/// Which quoted literal: its allowed characters and escapes differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoted {
    /// `"..."`, `r"..."`.
    Str,
    /// `b"..."`, `br"..."`: ASCII only.
    Byte,
    /// `c"..."`, `cr"..."`: no NUL.
    C,
}

/// A cooked string whose body starts at `at` (after its `"`): the end after its closing `"`.
fn cooked(b: &[u8], mut at: usize, kind: Quoted) -> Option<usize> {
    loop {
        let c = *b.get(at)?;
        match c {
            b'"' => return Some(at + 1),
            b'\r' if b.get(at + 1) != Some(&b'\n') => return None,
            b'\\' => {
                let e = *b.get(at + 1)?;
                at += 2;
                match (e, kind) {
                    (b'x', Quoted::Str) => {
                        let (d1, d2) = (*b.get(at)?, *b.get(at + 1)?);
                        if !(matches!(d1, b'0'..=b'7') && is_hex(d2)) {
                            return None;
                        }
                        at += 2;
                    }
                    (b'x', Quoted::Byte) => {
                        let (d1, d2) = (*b.get(at)?, *b.get(at + 1)?);
                        if !(is_hex(d1) && is_hex(d2)) {
                            return None;
                        }
                        at += 2;
                    }
                    (b'x', Quoted::C) => {
                        let (d1, d2) = (*b.get(at)?, *b.get(at + 1)?);
                        if !(is_hex(d1) && is_hex(d2)) || (d1 == b'0' && d2 == b'0') {
                            return None;
                        }
                        at += 2;
                    }
                    (b'u', Quoted::Str) => at = unicode_escape(b, at)?.0,
                    (b'u', Quoted::C) => {
                        let (end, value) = unicode_escape(b, at)?;
                        if value == '\0' {
                            return None;
                        }
                        at = end;
                    }
                    (b'0', Quoted::C) => return None,
                    (b'n' | b'r' | b't' | b'\\' | b'\'' | b'"' | b'0', _) => {}
                    (b'\n', _) => at = skip_escaped_newline(b, at)?,
                    (b'\r', _) if b.get(at) == Some(&b'\n') => {
                        at = skip_escaped_newline(b, at + 1)?
                    }
                    _ => return None,
                }
            }
            0x80.. if kind == Quoted::Byte => return None,
            0 if kind == Quoted::C => return None,
            _ => at += 1,
        }
    }
}

/// After a `\` and its newline: the whitespace that follows (spaces, tabs, newlines; a `\r` only before
/// `\n`) is skipped; something must follow.
fn skip_escaped_newline(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        match *b.get(at)? {
            b' ' | b'\t' | b'\n' => at += 1,
            b'\r' if b.get(at + 1) == Some(&b'\n') => at += 2,
            b'\r' => return None,
            _ => return Some(at),
        }
    }
}

/// `{...}` of a `\u{...}` escape at `at`: up to six hex digits (`_` after the first), a valid character.
fn unicode_escape(b: &[u8], at: usize) -> Option<(usize, char)> {
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let mut i = at + 1;
    let mut value = 0u32;
    let mut len = 0;
    loop {
        let c = *b.get(i)?;
        i += 1;
        let digit = match c {
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => (c as char).to_digit(16)?,
            b'_' if len > 0 => continue,
            b'}' if len > 0 => return char::from_u32(value).map(|ch| (i, ch)),
            _ => return None,
        };
        if len == 6 {
            return None;
        }
        value = value * 16 + digit;
        len += 1;
    }
}

/// A raw string whose hashes start at `at` (after `r`, `br` or `cr`): the end after its closing `"#..`.
fn raw(b: &[u8], at: usize, kind: Quoted) -> Option<usize> {
    let hashes = b[at..].iter().take_while(|&&c| c == b'#').count();
    if hashes > 255 || b.get(at + hashes) != Some(&b'"') {
        return None;
    }
    let mut i = at + hashes + 1;
    loop {
        let c = *b.get(i)?;
        match c {
            b'"' if b.len() >= i + 1 + hashes
                && b[i + 1..i + 1 + hashes].iter().all(|&h| h == b'#') =>
            {
                return Some(i + 1 + hashes)
            }
            b'\r' if b.get(i + 1) != Some(&b'\n') => return None,
            0x80.. if kind == Quoted::Byte => return None,
            0 if kind == Quoted::C => return None,
            _ => {}
        }
        i += 1;
    }
}

/// A byte literal whose body starts at `at` (after `b'`): the end after its closing `'`.
fn byte_char(b: &[u8], at: usize) -> Option<usize> {
    let after = match *b.get(at)? {
        b'\\' => match *b.get(at + 1)? {
            b'x' => (is_hex(*b.get(at + 2)?) && is_hex(*b.get(at + 3)?)).then_some(at + 4)?,
            b'n' | b'r' | b't' | b'\\' | b'0' | b'\'' | b'"' => at + 2,
            _ => return None,
        },
        0x80.. => return None,
        _ => at + 1,
    };
    (b.get(after) == Some(&b'\'')).then_some(after + 1)
}

/// Length of the (nested) block comment at the start of `b`; `None` when it does not end.
fn block_comment_len(b: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// A `\r` not followed by `\n`.
fn has_bare_cr(b: &[u8]) -> bool {
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

#[cfg(test)]
mod tests;
