//! The nesting bound: one iterative pass over a file's tokens that bounds how deep syn's parser, the
//! AST and every recursive walk over it (the facts visitor, `ToTokens`, `Drop`) can go, so that a file
//! nested beyond what the thread's stack holds is refused before syn sees it, never aborting the run.
//!
//! The score of a token is an upper bound of the AST depth at that token, in token units: every token
//! since the last point where nothing can nest across (a `;`, a `=>`, the start of a new item or statement
//! after a `}`) counts, plus the score at which each enclosing group opened. A `,` separates siblings,
//! except inside generics and closure parameters (`<`, `|` are not token groups), so after a `,` the count
//! restarts from the number of `<` and `|` seen since the last reset. Macro bodies are opaque to syn and
//! are skipped in a file's scan; [`super::macro_items`] and [`super::macro_exprs`] score a body (with the
//! macros inside it) before reparsing it.
//!
//! The limit comes from the stack of the thread that parses ([`limit_for_stack`]), with the stack cost
//! per score unit measured on the deepest construct (see `BYTES_PER_UNIT`).

use proc_macro2::{Delimiter, Group, Spacing, Span, TokenStream, TokenTree};

/// Stack use per score unit of parse + facts + call graph + drop, twice the worst measured: 31 KiB per
/// unit for nested reference types `& & & u8` in a debug build (the one the tests run; release frames are
/// smaller), 26 KiB for `Result<u8, Result<u8, ..>>`, 22 KiB for nested blocks, 14 KiB for parentheses,
/// under 1 KiB for binary-operator and method chains. Measured by `tests/it/hardening.rs`,
/// `nesting_cost_per_kind`, which fails when this is too small.
pub const BYTES_PER_UNIT: usize = 64 * 1024;

/// The stack of the threads that parse and walk files (the analysis pool, the main work thread): a limit
/// of 8192 per scan, twice the deepest of 13,625 real files (cargo's registry sources here: 4132, a
/// 700-alternative or-pattern in unicode-normalization's tables). Virtual memory: pages are touched only
/// as deep as a file goes.
pub const BIG_STACK: usize = 1 << 30;

std::thread_local! {
    /// The stack of this thread when this crate created it with a known size; `None` on other threads.
    static THREAD_STACK: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Records the stack size of the current thread (called first on every thread this crate spawns with a
/// big stack), so that [`limit`] knows how deep this thread may go.
pub fn set_thread_stack(bytes: usize) {
    THREAD_STACK.with(|s| s.set(Some(bytes)));
}

/// The score limit for one scan on a thread with `stack` bytes: a file's scan and a macro body's scan
/// may add up (a macro body is reparsed and walked at the depth of the macro call), so each gets half.
pub fn limit_for_stack(stack: usize) -> usize {
    stack / BYTES_PER_UNIT / 2
}

/// The score limit on the current thread: from its stack on the threads the tool parses on (the analysis
/// pool, the main work thread); unbounded on threads a library caller (or a unit test) made, whose
/// stacks are theirs to size. `CONCUR_NESTING_LIMIT` overrides it (for measurements).
pub fn limit() -> usize {
    let over = std::env::var("CONCUR_NESTING_LIMIT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    over.unwrap_or_else(|| THREAD_STACK.with(|s| s.get().map_or(usize::MAX, limit_for_stack)))
}

/// Where the limit was first passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub score: usize,
    pub limit: usize,
    pub line: u32,
    pub column: u32,
}

/// Whether macro bodies are skipped (a file: syn keeps them as tokens) or scored (a body to reparse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Macros {
    Skip,
    Score,
}

/// What the previous token of a level was, as far as the rules need.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of the group, or a punctuation that ends no operand.
    Start,
    /// An identifier that may name a macro or end an operand (not a keyword).
    Name,
    /// `macro_rules`.
    MacroRules,
    /// A keyword (`move`, `return`, `if`...): a `|` after it opens a closure.
    Keyword,
    /// A literal, a group or `?`: the end of an operand, so a `|` is an or-pattern or a bit-or.
    Operand,
    /// `name !`: a macro call's body comes next.
    MacroBang,
    /// `macro_rules !`: the name, then the body.
    RulesBang,
    /// `macro_rules ! name`.
    RulesName,
    /// `=` with joint spacing: a `=>` may follow.
    EqJoint,
    /// `#` or `# !`: an attribute's `[...]` comes next.
    Hash,
}

struct Level {
    iter: proc_macro2::token_stream::IntoIter,
    /// With [`check_keep`]: the trees of this level, moved out of `iter` as they are scanned, to be put
    /// back together when the level ends.
    out: Option<Vec<TokenTree>>,
    /// The group this level is the inside of (its delimiter and span), to rebuild it with.
    group: Option<(Delimiter, Span)>,
    /// Score at which this group opened.
    base: usize,
    /// Tokens since the last reset at this level.
    chain: usize,
    /// The chain at the last `<` or closure `|` since the last hard reset: a `,` goes back to it, not
    /// below (the siblings it separates are inside the generics or closure opened there).
    anchor: usize,
    prev: Prev,
    /// The previous token closed a `{}` group.
    after_brace: bool,
    /// The chain before the attribute being read (`#[..]` adds no nesting to what it is attached to).
    before_attr: Option<usize>,
}

impl Level {
    fn new(
        stream: TokenStream,
        base: usize,
        keep: bool,
        group: Option<(Delimiter, Span)>,
    ) -> Level {
        Level {
            iter: stream.into_iter(),
            out: keep.then(Vec::new),
            group,
            base,
            chain: 0,
            anchor: 0,
            prev: Prev::Start,
            after_brace: false,
            before_attr: None,
        }
    }

    fn hard_reset(&mut self) {
        self.chain = 0;
        self.anchor = 0;
    }
}

/// Scans `tokens`; `Err` at the first token whose score passes `limit`, else the highest score. Linear time,
/// constant stack.
pub fn check(tokens: TokenStream, macros: Macros, limit: usize) -> Result<usize, TooDeep> {
    scan(tokens, macros, limit, false).map(|(_, max)| max)
}

/// [`check`], giving the tokens back: the trees are moved out and put back together, never copied. A stream
/// that is only shared would be copied tree by tree as it is iterated (proc-macro2 iterates by value), so a
/// file's tokens are checked this way and then handed to syn.
pub fn check_keep(
    tokens: TokenStream,
    macros: Macros,
    limit: usize,
) -> Result<TokenStream, TooDeep> {
    scan(tokens, macros, limit, true).map(|(t, _)| t)
}

fn scan(
    tokens: TokenStream,
    macros: Macros,
    limit: usize,
    keep: bool,
) -> Result<(TokenStream, usize), TooDeep> {
    let mut stack = vec![Level::new(tokens, 0, keep, None)];
    let mut max = 0usize;
    while let Some(level) = stack.last_mut() {
        let Some(tt) = level.iter.next() else {
            let Some(done) = stack.pop() else { break };
            let stream: TokenStream = done.out.map(TokenStream::from_iter).unwrap_or_default();
            match (done.group, stack.last_mut()) {
                (Some((delimiter, span)), Some(parent)) => {
                    if let Some(out) = &mut parent.out {
                        let mut g = Group::new(delimiter, stream);
                        g.set_span(span);
                        out.push(TokenTree::Group(g));
                    }
                }
                _ => return Ok((stream, max)),
            }
            continue;
        };
        // A new item or statement after a `}`: nothing before it encloses what follows.
        if level.after_brace {
            let starts_new = match &tt {
                TokenTree::Ident(i) => i != "else" && i != "as",
                TokenTree::Literal(_) => true,
                TokenTree::Punct(p) => p.as_char() == '#' || p.as_char() == '\'',
                TokenTree::Group(_) => false,
            };
            if starts_new {
                level.hard_reset();
            }
            level.after_brace = false;
        }
        let prev = level.prev;
        let in_attr = prev == Prev::Hash;
        if !in_attr {
            if let Some(saved) = level.before_attr.take() {
                level.chain = saved;
            }
        }
        level.chain += 1;
        let score = level.base + level.chain;
        max = max.max(score);
        if score > limit {
            let start = tt.span().start();
            return Err(TooDeep {
                score,
                limit,
                line: start.line.max(1) as u32,
                column: start.column as u32 + 1,
            });
        }
        level.prev = Prev::Start;
        match &tt {
            TokenTree::Ident(i) => {
                let mut word = ShortWord::default();
                let short = std::fmt::Write::write_fmt(&mut word, format_args!("{i}")).is_ok();
                let word = if short { word.as_str() } else { "" };
                level.prev = if prev == Prev::RulesBang {
                    Prev::RulesName
                } else if word == "macro_rules" {
                    Prev::MacroRules
                } else if is_keyword(word) {
                    Prev::Keyword
                } else {
                    Prev::Name
                };
            }
            TokenTree::Literal(_) => level.prev = Prev::Operand,
            TokenTree::Punct(p) => match p.as_char() {
                ';' => level.hard_reset(),
                ',' => level.chain = level.anchor,
                '>' if prev == Prev::EqJoint => level.hard_reset(),
                '=' if p.spacing() == Spacing::Joint => level.prev = Prev::EqJoint,
                '<' => level.anchor = level.chain,
                // A closure's `|` comes where an operand starts; after an operand it is `a | b`.
                '|' if !matches!(prev, Prev::Name | Prev::Operand | Prev::MacroRules) => {
                    level.anchor = level.chain;
                }
                '?' => level.prev = Prev::Operand,
                '!' if p.spacing() == Spacing::Alone && prev == Prev::Name => {
                    level.prev = Prev::MacroBang;
                }
                '!' if p.spacing() == Spacing::Alone && prev == Prev::MacroRules => {
                    level.prev = Prev::RulesBang;
                }
                '#' => {
                    level.before_attr = Some(level.chain - 1);
                    level.prev = Prev::Hash;
                }
                '!' if prev == Prev::Hash => level.prev = Prev::Hash,
                _ => {}
            },
            TokenTree::Group(g) => {
                let brace = g.delimiter() == Delimiter::Brace;
                let macro_body = matches!(prev, Prev::MacroBang | Prev::RulesName);
                level.prev = Prev::Operand;
                level.after_brace = brace;
                if !(macro_body && macros == Macros::Skip) {
                    let (delimiter, span, inner) = (g.delimiter(), g.span(), g.stream());
                    // The group goes, so its stream is no longer shared and iterates without a copy.
                    drop(tt);
                    let keep = level.out.is_some();
                    stack.push(Level::new(inner, score, keep, Some((delimiter, span))));
                    continue;
                }
            }
        }
        if let Some(out) = &mut level.out {
            out.push(tt);
        }
    }
    Ok((TokenStream::new(), max))
}

/// An identifier's text when it is short enough to be a keyword or `macro_rules` (at most 16 bytes),
/// formatted without allocating; longer ones fail to write and are neither.
#[derive(Default)]
struct ShortWord {
    buf: [u8; 16],
    len: usize,
}

impl ShortWord {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for ShortWord {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Keywords, after which a `!` is a negation, not a macro call (`if !(x) {}`, `return !y`).
fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "as" | "async"
            | "await"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
            | "become"
            | "try"
            | "gen"
    )
}

/// The score of a whole text (for measurements and tests); `None` when it does not tokenize.
pub fn score_of(text: &str, macros: Macros) -> Option<usize> {
    let tokens: TokenStream = text.parse().ok()?;
    check(tokens, macros, usize::MAX).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(src: &str) -> usize {
        score_of(src, Macros::Skip).unwrap()
    }

    /// A tree's text (a group: its delimiter), start and end (line, column).
    type Flat = (String, (usize, usize), (usize, usize));

    /// Every tree of a stream with its span, depth first.
    fn flatten(stream: TokenStream, out: &mut Vec<Flat>) {
        for tt in stream {
            let (s, e) = (tt.span().start(), tt.span().end());
            let text = match &tt {
                TokenTree::Group(g) => format!("{:?}", g.delimiter()),
                other => other.to_string(),
            };
            out.push((text, (s.line, s.column), (e.line, e.column)));
            if let TokenTree::Group(g) = tt {
                flatten(g.stream(), out);
            }
        }
    }

    #[test]
    fn check_keep_gives_back_the_same_trees_with_their_spans() {
        let src = "#[cfg(x)] fn f<T: A<B>>(x: &[u8]) -> Result<(), E> {\n    m! { (a, [b]) }\n    \
                   let y = |a| { a + (1 * 2) }; match x { _ => {} }\n}\nmacro_rules! r { () => {} }";
        for macros in [Macros::Skip, Macros::Score] {
            let tokens: TokenStream = src.parse().unwrap();
            let mut want = Vec::new();
            flatten(tokens.clone(), &mut want);
            let kept = check_keep(tokens, macros, usize::MAX).unwrap();
            let mut got = Vec::new();
            flatten(kept.clone(), &mut got);
            assert_eq!(got, want);
            assert_eq!(
                kept.to_string(),
                src.parse::<TokenStream>().unwrap().to_string()
            );
            // Parsing the kept trees gives what parsing the text gives.
            let a: syn::File = syn::parse2(kept).unwrap();
            let b: syn::File = syn::parse_str(src).unwrap();
            assert_eq!(a, b);
        }
        let e = check_keep(src.parse().unwrap(), Macros::Skip, 3).unwrap_err();
        assert_eq!(e.limit, 3);
    }

    #[test]
    fn siblings_do_not_add_up() {
        // A long flat array, many items, many statements, many match arms: small scores.
        let array = format!("const A: &[u8] = &[{}];", "1, ".repeat(10_000));
        assert!(score(&array) < 20, "{}", score(&array));
        let items = "fn a() { let x = 1; x; }\n".repeat(5_000);
        assert!(score(&items) < 20, "{}", score(&items));
        let arms = format!(
            "fn f(x: u8) {{ match x {{ {} _ => {{}} }} }}",
            "1 => {},\n".repeat(5_000)
        );
        assert!(score(&arms) < 30, "{}", score(&arms));
        let stmts = format!("fn f() {{ {} }}", "if a {} else {}\n".repeat(5_000));
        assert!(score(&stmts) < 30, "{}", score(&stmts));
        let docs =
            "//! docs\n".repeat(5_000) + &"/// item docs\n#[inline]\n".repeat(5_000) + "fn f() {}";
        assert!(score(&docs) < 20, "{}", score(&docs));
    }

    #[test]
    fn every_kind_of_nesting_adds_up() {
        let n = 1000;
        let cases = [
            format!("fn f() {{ {}x{} }}", "(".repeat(n), ")".repeat(n)),
            format!("fn f() {{ {}x; }}", "!".repeat(n)),
            format!("fn f() {{ let _ = x{}; }}", ".f()".repeat(n)),
            format!("fn f() {{ let _ = x{}; }}", " + x".repeat(n)),
            format!("fn f() {{ {} }}", "|a, b| ".repeat(n) + "x"),
            format!("type T = {}u8{};", "X<A, ".repeat(n), ">".repeat(n)),
            format!("fn f() {{ if a {{}} {} }}", "else if a {} ".repeat(n)),
            format!("fn f() {{ let {}x = y; }}", "&".repeat(n)),
            "mod m { ".repeat(n) + &"}".repeat(n),
            // A `,` inside closure parameters or generics does not forget what encloses them.
            format!("fn f() {{ {} }}", "!|a, b| ".repeat(n) + "x"),
            format!("type T = {}u8{};", "&X<A, ".repeat(n), ">".repeat(n)),
            // Attributes do not hide what follows them.
            format!("fn f() {{ let _ = {}x; }}", "#[a] !".repeat(n)),
        ];
        for c in &cases {
            assert!(score(c) >= n, "{} for {}", score(c), &c[..60.min(c.len())]);
        }
    }

    #[test]
    fn macro_bodies_are_skipped_in_files_and_scored_alone() {
        let body = format!("m! {{ {}x{} }}", "(".repeat(500), ")".repeat(500));
        assert!(score(&body) < 10);
        assert!(score_of(&body, Macros::Score).unwrap() >= 500);
        // `macro_rules! name { ... }` too; `a != (b)` is no macro.
        let rules = format!(
            "macro_rules! m {{ {}x{} }}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(score(&rules) < 10);
        let ne = format!("fn f() {{ a != {}x{}; }}", "(".repeat(500), ")".repeat(500));
        assert!(score(&ne) >= 500);
        let not = format!(
            "fn f() {{ if !{}x{} {{}} }}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(score(&not) >= 500);
        let not_block = format!(
            "fn f() {{ while !x {{ {}y{} }} }}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(score(&not_block) >= 500);
    }

    #[test]
    fn reports_the_position_past_the_limit() {
        let src = format!("fn f() {{\n    {}x{}\n}}", "(".repeat(100), ")".repeat(100));
        let e = check(src.parse().unwrap(), Macros::Skip, 50).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.score > 50 && e.limit == 50, "{e:?}");
    }
}
