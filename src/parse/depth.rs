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

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

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

/// A token as the scorer sees it: what proc-macro2 makes of the text, a group as its opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    Ident(&'a str),
    Literal,
    Punct(char, Spacing),
    /// A group opens; [`Scorer::close`] closes it (when the scorer descended into it).
    Open(Delimiter),
}

struct Level {
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
    fn new(base: usize) -> Level {
        Level {
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

/// The scoring rules over a stream of tokens, whoever makes them (a token tree: [`check`]; a file's text:
/// `super::lex`). Constant stack: the levels are a `Vec`.
pub(crate) struct Scorer {
    levels: Vec<Level>,
    max: usize,
    limit: usize,
    macros: Macros,
}

impl Scorer {
    pub(crate) fn new(macros: Macros, limit: usize) -> Scorer {
        Scorer {
            levels: vec![Level::new(0)],
            max: 0,
            limit,
            macros,
        }
    }

    /// The highest score so far.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Scores one token. For an [`Tok::Open`], `Ok(true)`: its tokens follow, then [`Scorer::close`];
    /// `Ok(false)`: the group is skipped (a macro body in a file's scan), neither its tokens nor its close
    /// are given. `Err(score)` when the token's score passes the limit.
    pub(crate) fn token(&mut self, tok: Tok<'_>) -> Result<bool, usize> {
        let Some(level) = self.levels.last_mut() else {
            return Ok(false);
        };
        // A new item or statement after a `}`: nothing before it encloses what follows.
        if level.after_brace {
            let starts_new = match tok {
                Tok::Ident(word) => word != "else" && word != "as",
                Tok::Literal => true,
                Tok::Punct(c, _) => c == '#' || c == '\'',
                Tok::Open(_) => false,
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
        self.max = self.max.max(score);
        if score > self.limit {
            return Err(score);
        }
        level.prev = Prev::Start;
        match tok {
            Tok::Ident(word) => {
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
            Tok::Literal => level.prev = Prev::Operand,
            Tok::Punct(c, spacing) => match c {
                ';' => level.hard_reset(),
                ',' => level.chain = level.anchor,
                '>' if prev == Prev::EqJoint => level.hard_reset(),
                '=' if spacing == Spacing::Joint => level.prev = Prev::EqJoint,
                '<' => level.anchor = level.chain,
                // A closure's `|` comes where an operand starts; after an operand it is `a | b`.
                '|' if !matches!(prev, Prev::Name | Prev::Operand | Prev::MacroRules) => {
                    level.anchor = level.chain;
                }
                '?' => level.prev = Prev::Operand,
                '!' if spacing == Spacing::Alone && prev == Prev::Name => {
                    level.prev = Prev::MacroBang;
                }
                '!' if spacing == Spacing::Alone && prev == Prev::MacroRules => {
                    level.prev = Prev::RulesBang;
                }
                '#' => {
                    level.before_attr = Some(level.chain - 1);
                    level.prev = Prev::Hash;
                }
                '!' if prev == Prev::Hash => level.prev = Prev::Hash,
                _ => {}
            },
            Tok::Open(delimiter) => {
                let macro_body = matches!(prev, Prev::MacroBang | Prev::RulesName);
                level.prev = Prev::Operand;
                level.after_brace = delimiter == Delimiter::Brace;
                if !(macro_body && self.macros == Macros::Skip) {
                    self.levels.push(Level::new(score));
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The group opened last (and descended into) closes.
    pub(crate) fn close(&mut self) {
        if self.levels.len() > 1 {
            self.levels.pop();
        }
    }
}

/// Scans `tokens`; `Err` at the first token whose score passes `limit`. Linear time, constant stack.
pub fn check(tokens: TokenStream, macros: Macros, limit: usize) -> Result<usize, TooDeep> {
    let mut scorer = Scorer::new(macros, limit);
    let mut groups = vec![tokens.into_iter()];
    while let Some(group) = groups.last_mut() {
        let Some(tt) = group.next() else {
            groups.pop();
            if !groups.is_empty() {
                scorer.close();
            }
            continue;
        };
        let word;
        let tok = match &tt {
            TokenTree::Ident(i) => {
                word = i.to_string();
                Tok::Ident(&word)
            }
            TokenTree::Literal(_) => Tok::Literal,
            TokenTree::Punct(p) => Tok::Punct(p.as_char(), p.spacing()),
            TokenTree::Group(g) => Tok::Open(g.delimiter()),
        };
        match scorer.token(tok) {
            Ok(true) => {
                if let TokenTree::Group(g) = &tt {
                    groups.push(g.stream().into_iter());
                }
            }
            Ok(false) => {}
            Err(score) => {
                let start = tt.span().start();
                return Err(TooDeep {
                    score,
                    limit,
                    line: start.line.max(1) as u32,
                    column: start.column as u32 + 1,
                });
            }
        }
    }
    Ok(scorer.max())
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
