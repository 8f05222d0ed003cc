//! Work estimation for one function body: the compute score of `rules::compute_hotspot`. The body visitor
//! tells it what it meets (loops with their trip-count estimate, operations, calls, waits); apart from the
//! trip-count estimates of loop headers ([`for_trips`], [`while_trips`]) it never looks at syntax itself.
//!
//! The estimate counts work that repeats: operations weigh by the number of loops of unknown (data-sized)
//! trip count around them. A loop with a small constant trip count (`for i in 0..4`, `for x in [a, b]`,
//! `while i < 8`, a fixed-size array, a counter: `loop { ..; k += 1; if k >= 8 { break; } }`, or
//! `while n > 999 { .. n /= 10_000 }`, a few turns of a machine integer) is
//! no loop for the estimate; operations in assertion, formatting and logging macros are not compute; a loop
//! that waits (I/O, sleep, channel traffic, compare-exchange retries, spinning or parking, `.await`, joins,
//! calls into foreign code or an OS API crate
//! such as `libc` or `windows`) is dominated by the wait, so nothing inside it
//! counts. A direct recursive call counts once. A body with no loop, recursion or CPU-heavy call scores 0, and
//! so does one whose loops all have a constant count (`0..256`, `(0..25).for_each(..)`), at most
//! [`FIXED_WORK_TRIPS`] turns in all: fixed work per call.
//! The body cannot see whether a function it calls waits: it records, for each outermost loop, the work it
//! kept and the calls inside it ([`LoopRegion`]), and whether the body waits anywhere; linking takes back a
//! loop's work when one of its calls reaches a function that waits (see `callgraph`).
//! A branch runs one of its arms: the work of an `if`/`else` or a `match` is that of its heaviest arm, not
//! the sum of all (a loop dispatching over variants does one arm's work per element).
//! The closure of a lazy initialiser (`cache.get_or_insert_with(|| ..)`) on a value declared outside the
//! loops around it runs once for them: inside it, those loops do not count; so does a branch that leaves
//! loops (`if done { ..; return n }`: the body visitor enters it with [`Work::enter_once`]).
//! A read on a reader known only by its trait ([`Work::may_wait`]) makes the loops around it wait, and the
//! body wait for its callers only when it happens in a loop.

/// How many times a loop body runs, as far as the syntax tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trips {
    /// A small constant (at most [`SMALL_TRIPS`]): the body is as cheap as straight-line code.
    Small,
    /// A larger constant the syntax shows (`0..256`, `0..N` with `const N: usize = 288` of the same file): a
    /// loop level like a data-sized loop's, but a body whose loops are all of constant count, at most
    /// [`FIXED_WORK_TRIPS`] turns in all, does fixed work per call and scores 0 (see [`Work::score`]).
    Fixed(u64),
    /// Data-sized or unknown.
    Unknown,
}

/// Constant trip counts up to this are [`Trips::Small`].
pub(super) const SMALL_TRIPS: u64 = 16;

/// Loops of constant trip count ([`Trips::Fixed`]) nested in one another that run at most this many turns in
/// all do fixed work per call: the initialisation of a table of 256 symbols or of 25 x 8 x 8 contexts, not
/// work that grows with the input.
pub(super) const FIXED_WORK_TRIPS: u64 = 1024;

#[derive(Debug, Clone, Copy)]
struct Frame {
    /// [`Trips::Small`] or [`Trips::Unknown`] (a loop level): a [`Trips::Fixed`] count is resolved on entry.
    trips: Trips,
    /// The turns the loops of constant count around here (this one included) run in all, up to the nearest
    /// data-sized loop: 1 in a data-sized loop (a small loop does not multiply it: it is no loop level).
    fixed: u64,
    /// The score when the loop was entered: a waiting loop's own work is taken back to it.
    score_at_entry: u32,
    waits: bool,
    /// An operation or a CPU-heavy call happened inside: a loop that does none is no work.
    worked: bool,
    /// A lazy initialiser's closure: the loop depth inside it starts again from this (the depth where its
    /// receiver was declared), and a wait in it does not dominate the loops around it (it runs once).
    once: Option<u32>,
}

use super::LoopRegion;

/// What [`Work::enter_branches`] saved: the score before the first arm and the heaviest arm so far.
#[derive(Debug, Clone, Copy)]
pub(super) struct Branches {
    start: u32,
    heaviest: u32,
}

/// The running estimate of one body's own work.
#[derive(Debug, Clone, Default)]
pub(super) struct Work {
    /// Enclosing loops (iterator adaptor closures count as loops of unknown trip count).
    frames: Vec<Frame>,
    /// Inside assertion/formatting/logging macros: operations there are not compute.
    quiet: u32,
    score: u32,
    /// Work that grows with the input was counted: a loop (or an adaptor's closure) of unknown trips, or of
    /// more than [`FIXED_WORK_TRIPS`] in all, a CPU-heavy call or a recursion. Without it the body does fixed
    /// work.
    data_sized: bool,
    recursed: bool,
    /// The body waits somewhere (inside a loop or not).
    waited: bool,
    /// Call sites recorded so far ([`call`](Self::call)).
    calls: u32,
    /// Score and call count when the outermost open loop was entered.
    region_entry: (u32, u32),
    regions: Vec<LoopRegion>,
}

impl Work {
    /// The score so far: 0 for a body that does fixed work per call (its loops all of constant count, at most
    /// [`FIXED_WORK_TRIPS`] turns in all: zopfli's `calculate_block_symbol_size_given_counts` over the 286
    /// literal/length and 30 distance symbols, ppmd7's model reset over 256 symbols).
    pub fn score(&self) -> u32 {
        if self.data_sized {
            self.score
        } else {
            0
        }
    }

    /// Loops of unknown trip count around here (counted from the innermost lazy initialiser's own depth).
    fn depth(&self) -> u32 {
        self.frames.iter().fold(0, |d, f| match (f.once, f.trips) {
            (Some(base), _) => base,
            (None, Trips::Small) => d,
            (None, _) => d + 1,
        })
    }

    /// A call site was recorded (the body's next call index).
    pub fn call(&mut self) {
        self.calls += 1;
    }

    /// True when the body waits somewhere.
    pub fn waited(&self) -> bool {
        self.waited
    }

    /// The outermost loops that kept work, with their calls (none in a body of fixed work: see
    /// [`score`](Self::score)).
    pub fn regions(&self) -> &[LoopRegion] {
        if self.data_sized {
            &self.regions
        } else {
            &[]
        }
    }

    /// A loop's trip count as a frame has it ([`Trips::Small`] or a loop level), with the turns the loops of
    /// constant count around it run in all (see [`Frame`]); a loop of unknown count, or of a constant count
    /// beyond [`FIXED_WORK_TRIPS`] turns in all, makes the body's work data-sized.
    fn resolve(&mut self, trips: Trips) -> (Trips, u64) {
        let outer = self.frames.last().map_or(1, |f| f.fixed);
        let fixed = match trips {
            Trips::Small => return (Trips::Small, outer),
            Trips::Fixed(n) => outer.checked_mul(n).filter(|&all| all <= FIXED_WORK_TRIPS),
            Trips::Unknown => None,
        };
        self.data_sized |= fixed.is_none();
        (Trips::Unknown, fixed.unwrap_or(1))
    }

    fn push_frame(&mut self, frame: Frame) {
        if self.frames.is_empty() {
            self.region_entry = (self.score, self.calls);
        }
        self.frames.push(frame);
    }

    /// How many frames (loops and adaptor closures) are around here: what a local declared here records.
    pub fn loops(&self) -> usize {
        self.frames.len()
    }

    /// Enters code that runs once for the frames entered since `loops` (see [`loops`](Self::loops)), so they
    /// do not weigh its work and its waits do not dominate them: the closure of a lazy initialiser whose
    /// receiver was declared inside `loops` frames, or a branch that leaves the loops entered since.
    pub fn enter_once(&mut self, loops: usize) {
        let outer = Work {
            frames: self.frames[..loops.min(self.frames.len())].to_vec(),
            ..Work::default()
        };
        self.push_frame(Frame {
            trips: Trips::Small,
            fixed: 1,
            score_at_entry: self.score,
            waits: false,
            worked: false,
            once: Some(outer.depth()),
        });
    }

    /// Enters a `for`/`while`/`loop` body: `2 x d` at depth `d` when it is a loop level (its trip count is not
    /// small).
    pub fn enter_loop(&mut self, trips: Trips) {
        let (trips, fixed) = self.resolve(trips);
        self.push_frame(Frame {
            trips,
            fixed,
            score_at_entry: self.score,
            waits: false,
            worked: false,
            once: None,
        });
        if trips != Trips::Small {
            self.score += 2 * self.depth();
        }
    }

    /// Enters a closure passed to an iterator adaptor: one loop level deeper, no loop cost of its own; none
    /// deeper when the iterator's trip count is small (`(0..8).for_each(|k| ..)`, see [`for_trips`]).
    pub fn enter_adaptor(&mut self, trips: Trips) {
        let (trips, fixed) = self.resolve(trips);
        self.push_frame(Frame {
            trips,
            fixed,
            score_at_entry: self.score,
            waits: false,
            worked: false,
            once: None,
        });
    }

    /// Leaves what [`enter_loop`](Self::enter_loop) or [`enter_adaptor`](Self::enter_adaptor) entered; a
    /// loop that waited (its enclosing loops wait too) or did no operation keeps none of its work.
    pub fn leave_loop(&mut self) {
        let Some(f) = self.frames.pop() else {
            return;
        };
        if f.waits || !f.worked {
            self.score = f.score_at_entry;
        }
        if self.frames.is_empty() {
            let (score, calls) = self.region_entry;
            let kept = self.score.saturating_sub(score);
            if kept > 0 {
                self.regions.push(LoopRegion {
                    kept,
                    calls: (calls, self.calls),
                });
            }
        }
        if let Some(outer) = self.frames.last_mut() {
            outer.waits |= f.waits && f.once.is_none();
            outer.worked |= f.worked && !f.waits;
        }
    }

    fn worked(&mut self) {
        if let Some(f) = self.frames.last_mut() {
            f.worked = true;
        }
    }

    /// Before the first arm of a branch (`if`/`else`, `match`).
    pub fn enter_branches(&self) -> Branches {
        Branches {
            start: self.score,
            heaviest: 0,
        }
    }

    /// After one arm: its work is kept aside, and the next arm starts from the score before the first.
    pub fn end_arm(&mut self, b: &mut Branches) {
        b.heaviest = b.heaviest.max(self.score.saturating_sub(b.start));
        self.score = b.start;
    }

    /// After the last arm (each ended with [`end_arm`](Self::end_arm)): the heaviest arm's work counts.
    pub fn leave_branches(&mut self, b: Branches) {
        self.score = b.start + b.heaviest;
    }

    /// Enters the arguments of an assertion, formatting or logging macro.
    pub fn enter_quiet(&mut self) {
        self.quiet += 1;
    }

    pub fn leave_quiet(&mut self) {
        self.quiet = self.quiet.saturating_sub(1);
    }

    /// An iterator adaptor call (`map`, `fold`...).
    pub fn adaptor_call(&mut self) {
        if self.quiet == 0 {
            self.score += 1;
        }
    }

    /// An arithmetic operator or method, a cast or an index: `d` inside loops, nothing outside.
    pub fn operation(&mut self) {
        if self.quiet == 0 && self.depth() > 0 {
            self.score += self.depth();
            self.worked();
        }
    }

    /// A call of a CPU-heavy library API: `6 x (d + 1)`.
    pub fn heavy_call(&mut self) {
        self.score += 6 * (self.depth() + 1);
        self.data_sized = true;
        self.worked();
    }

    /// A direct recursive call (counted once per body).
    pub fn recursion(&mut self) {
        if !std::mem::replace(&mut self.recursed, true) {
            self.score += 10;
            self.data_sized = true;
        }
    }

    /// A wait (blocking I/O, sleep, channel send or receive, join, `.await`): the enclosing loops are
    /// dominated by it.
    pub fn wait(&mut self) {
        self.waited = true;
        if let Some(f) = self.frames.last_mut() {
            f.waits = true;
        }
    }

    /// A call that may wait, or return at once, as the value it is called on decides (a read on a reader known
    /// only by its trait: a file, or a slice): the loops around it wait; the body waits for its callers only
    /// when it calls it in a loop (a read loop), not for one call (a buffer flush, a one-byte read helper),
    /// whose callers' loops keep their work.
    pub fn may_wait(&mut self) {
        if let Some(f) = self.frames.last_mut() {
            f.waits = true;
            self.waited = true;
        }
    }

    /// True inside a loop or an adaptor closure.
    pub fn in_loop(&self) -> bool {
        !self.frames.is_empty()
    }
}

/// What the body knows of a name: an upper bound on an integer's value (from an immutable local's
/// initialiser or a constant's value), or a fixed-size array's length (from its type or its initialiser). One
/// name is one or the other, so `0..n` asks for the value and `arr.len()` or `for x in arr` for the length.
pub(super) type Bounds<'b> = &'b dyn Fn(&syn::Path) -> Option<u64>;

/// An upper bound on the integer value of `e`, from its syntax: a literal, a mask (`flags & 0x03`), a
/// remainder (`x % 4`), `x.min(8)` or `cmp::min(x, 8)`, sums, products, shifts and divisions of bounded
/// values, casts and parentheses, and names `bounds` knows (immutable locals, constants). `None` when nothing bounds it (a subtraction
/// may wrap).
pub(super) fn upper_bound(e: &syn::Expr, bounds: Bounds) -> Option<u64> {
    let ub = |e: &syn::Expr| upper_bound(e, bounds);
    let either = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match e {
        syn::Expr::Lit(_) => int_literal(e),
        syn::Expr::Paren(p) => ub(&p.expr),
        syn::Expr::Group(g) => ub(&g.expr),
        syn::Expr::Cast(c) => ub(&c.expr),
        syn::Expr::Path(p) if p.qself.is_none() => bounds(&p.path),
        syn::Expr::Binary(b) => {
            let (l, r) = (ub(&b.left), ub(&b.right));
            match b.op {
                syn::BinOp::BitAnd(_) => either(l, r),
                syn::BinOp::Rem(_) => either(l, r.map(|r| r.saturating_sub(1))),
                syn::BinOp::Add(_) => Some(l?.saturating_add(r?)),
                syn::BinOp::Mul(_) => Some(l?.saturating_mul(r?)),
                syn::BinOp::Shr(_) => Some(l? >> int_literal(&b.right)?.min(63)),
                syn::BinOp::Shl(_) => l?.checked_mul(1u64.checked_shl(u32::try_from(r?).ok()?)?),
                syn::BinOp::Div(_) => Some(l? / int_literal(&b.right)?.max(1)),
                _ => None,
            }
        }
        syn::Expr::MethodCall(mc) if mc.method == "min" && mc.args.len() == 1 => {
            either(ub(&mc.receiver), ub(&mc.args[0]))
        }
        // `lanes.len()` of a fixed-size array `lanes: [u32; 8]`: its length, what `bounds` knows of it.
        syn::Expr::MethodCall(mc) if mc.method == "len" && mc.args.is_empty() => {
            match super::infer::strip_refs(&mc.receiver) {
                syn::Expr::Path(p) if p.qself.is_none() => bounds(&p.path),
                _ => None,
            }
        }
        syn::Expr::Call(c) if c.args.len() == 2 => {
            let syn::Expr::Path(f) = &*c.func else {
                return None;
            };
            let segs = super::resolve::segments(&f.path);
            let is_min = match segs.as_slice() {
                [.., m, last] => m == "cmp" && last == "min",
                [last] => last == "min",
                [] => false,
            };
            if is_min {
                either(ub(&c.args[0]), ub(&c.args[1]))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The length of a fixed-size array type (`[T; 8]`, `&mut [T; LANES]`, through references), when
/// [`upper_bound`] bounds it.
pub(super) fn array_len(ty: &syn::Type, bounds: Bounds) -> Option<u64> {
    match ty {
        syn::Type::Array(a) => upper_bound(&a.len, bounds),
        syn::Type::Reference(r) => array_len(&r.elem, bounds),
        syn::Type::Paren(p) => array_len(&p.elem, bounds),
        syn::Type::Group(g) => array_len(&g.elem, bounds),
        _ => None,
    }
}

/// The length of an array expression (`[a, b, c]`, `[0u8; 8]`), when [`upper_bound`] bounds it.
pub(super) fn array_expr_len(e: &syn::Expr, bounds: Bounds) -> Option<u64> {
    match e {
        syn::Expr::Array(a) => Some(a.elems.len() as u64),
        syn::Expr::Repeat(r) => upper_bound(&r.len, bounds),
        syn::Expr::Paren(p) => array_expr_len(&p.expr, bounds),
        _ => None,
    }
}

/// The trip-count estimate of a `for` loop over `iter`: ranges whose end is bounded (a constant, a mask, a
/// `min`: see [`upper_bound`]), array literals of at most [`SMALL_TRIPS`] elements, and a fixed-size array
/// that `bounds` knows the length of (`for [a, b] in blocks.iter_mut()` with `blocks: &mut [[u32; 2]; 4]`)
/// are small.
pub(super) fn for_trips(iter: &syn::Expr, bounds: Bounds) -> Trips {
    let small = |n: Option<u64>| match n {
        Some(n) if n <= SMALL_TRIPS => Trips::Small,
        Some(n) => Trips::Fixed(n),
        None => Trips::Unknown,
    };
    match iter {
        syn::Expr::Paren(p) => for_trips(&p.expr, bounds),
        syn::Expr::Reference(r) => for_trips(&r.expr, bounds),
        syn::Expr::Array(a) => small(Some(a.elems.len() as u64)),
        syn::Expr::Repeat(r) => small(int_literal(&r.len)),
        syn::Expr::Range(r) => {
            let start = match &r.start {
                Some(s) => int_literal(s),
                None => Some(0),
            };
            let end = r.end.as_deref().and_then(|e| upper_bound(e, bounds));
            let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
            match (start, end) {
                (Some(s), Some(e)) => small(Some(e.saturating_sub(s) + u64::from(inclusive))),
                _ => Trips::Unknown,
            }
        }
        // `(0..64).step_by(8)`: the receiver's count over the step.
        syn::Expr::MethodCall(mc) if mc.method == "step_by" && mc.args.len() == 1 => {
            match (for_trips(&mc.receiver, bounds), int_literal(&mc.args[0])) {
                (Trips::Fixed(n), Some(step)) => small(Some(n.div_ceil(step.max(1)))),
                (Trips::Small, _) => Trips::Small,
                _ => Trips::Unknown,
            }
        }
        // `[a, b].iter()`, `(0..4).rev()`: the receiver decides.
        syn::Expr::MethodCall(mc) if mc.args.is_empty() => for_trips(&mc.receiver, bounds),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => for_trips(&u.expr, bounds),
        // A fixed-size array local or parameter: its length.
        syn::Expr::Path(p) if p.qself.is_none() => small(bounds(&p.path)),
        _ => Trips::Unknown,
    }
}

/// The trip-count estimate of a `while` loop with condition `cond` and body `body`; small when:
/// - the condition is `i < 8` (or `<=`, or `8 > i`) against a bound of at most [`SMALL_TRIPS`] (a literal, or
///   what [`upper_bound`] gives);
/// - the condition compares a variable with an integer literal (`n > 999`, `n != 0`: a machine integer, at most
///   [`MAX_INT_BITS`] bits) and every turn divides the variable by a constant (`n /= 10_000`, `n = n >> 8`) in
///   a statement of the body itself, which assigns it nowhere else and has no `continue`: the loop runs at most
///   `MAX_INT_BITS / (bits removed per turn)` times (itoa's `while remain > 999 { .. remain /= 10000 }`, at most
///   ten), small when that is at most [`SMALL_TRIPS`];
/// - either side of a `&&` is (the loop stops when one side fails).
///
/// Anything else is unknown.
pub(super) fn while_trips(cond: &syn::Expr, body: &syn::Block, bounds: Bounds) -> Trips {
    let b = match cond {
        syn::Expr::Paren(p) => return while_trips(&p.expr, body, bounds),
        syn::Expr::Binary(b) => b,
        _ => return Trips::Unknown,
    };
    if matches!(b.op, syn::BinOp::And(_)) {
        return fewer(
            while_trips(&b.left, body, bounds),
            while_trips(&b.right, body, bounds),
        );
    }
    // The limit: a literal, or a bounded value against a counter that is a name (`i < n`, not `x & 7 > 0`).
    let limit = |limit: &syn::Expr, counter: &syn::Expr| {
        int_literal(limit).or_else(|| ident_of(counter).and(upper_bound(limit, bounds)))
    };
    let bound = match b.op {
        syn::BinOp::Lt(_) => limit(&b.right, &b.left),
        syn::BinOp::Le(_) => limit(&b.right, &b.left).map(|n| n + 1),
        syn::BinOp::Gt(_) => limit(&b.left, &b.right),
        syn::BinOp::Ge(_) => limit(&b.left, &b.right).map(|n| n + 1),
        _ => None,
    };
    match bound.or_else(|| shrinking_bound(b, body)) {
        Some(n) if n <= SMALL_TRIPS => Trips::Small,
        Some(n) => Trips::Fixed(n),
        None => Trips::Unknown,
    }
}

/// The smaller of two trip-count estimates of one loop (it stops when either bound is reached).
pub(super) fn fewer(a: Trips, b: Trips) -> Trips {
    match (a, b) {
        (Trips::Small, _) | (_, Trips::Small) => Trips::Small,
        (Trips::Fixed(a), Trips::Fixed(b)) => Trips::Fixed(a.min(b)),
        (Trips::Fixed(n), Trips::Unknown) | (Trips::Unknown, Trips::Fixed(n)) => Trips::Fixed(n),
        (Trips::Unknown, Trips::Unknown) => Trips::Unknown,
    }
}

/// The trip-count estimate of a loop counted to a bound (`loop { ..; rcon += 1; if rcon >= 8 { break; } .. }`):
/// small when, among the body's own statements, an `if` without `else` leaves the loop (a `break` or `return`
/// among its own statements) when a counter reaches a bound (`c >= K`, `c > K`, or `c == K` against a literal
/// when the counter grows by exactly one a turn), and the counter grows by a literal every turn (`c += 1`, in
/// statements of the body itself, which writes it nowhere else and has no `continue`), from a value `start`
/// knows (`let mut rcon = 0;` re-declared each time the loop is reached, not written since), with `K + step`
/// at most 127 (no integer type wraps before): it then runs at most `(K - start) / step + 1` turns (aes' key
/// schedules, eight rounds a key).
pub(super) fn counted_trips(
    body: &syn::Block,
    start: &dyn Fn(&syn::Ident) -> Option<u64>,
    bounds: Bounds,
) -> Trips {
    let stmts = body.stmts.iter().filter_map(|s| match s {
        syn::Stmt::Expr(e, _) => Some(e),
        _ => None,
    });
    let exits = stmts.clone().filter_map(|e| match e {
        syn::Expr::If(i) if i.else_branch.is_none() && leaves(&i.then_branch) => {
            counter_exit(&i.cond, bounds)
        }
        _ => None,
    });
    for (var, limit, exact) in exits {
        let steps: Vec<u64> = stmts
            .clone()
            .filter_map(|e| match e {
                syn::Expr::Binary(b)
                    if matches!(b.op, syn::BinOp::AddAssign(_))
                        && ident_of(&b.left) == Some(var) =>
                {
                    int_literal(&b.right).filter(|&k| k >= 1)
                }
                _ => None,
            })
            .collect();
        let step: u64 = steps.iter().sum();
        if step == 0 || (exact && step != 1) {
            continue;
        }
        let mut writes = Writes {
            var,
            writes: 0,
            continues: false,
        };
        syn::visit::Visit::visit_block(&mut writes, body);
        if writes.writes != steps.len() || writes.continues {
            continue;
        }
        let Some(from) = start(var) else {
            continue;
        };
        // No integer type wraps before the counter passes the bound (`i8` holds up to 127).
        if (exact && from > limit) || limit + step > 127 {
            continue;
        }
        if limit.saturating_sub(from).div_ceil(step) < SMALL_TRIPS {
            return Trips::Small;
        }
    }
    Trips::Unknown
}

/// The counter, the bound it leaves at and whether only that exact value leaves (`==`), of a condition
/// `c >= K`, `c > K` (as `c >= K + 1`), `c == K` (a literal), or the same with the sides swapped.
fn counter_exit<'e>(cond: &'e syn::Expr, bounds: Bounds) -> Option<(&'e syn::Ident, u64, bool)> {
    let b = match cond {
        syn::Expr::Binary(b) => b,
        syn::Expr::Paren(p) => return counter_exit(&p.expr, bounds),
        _ => return None,
    };
    let (counter, limit) = match b.op {
        syn::BinOp::Ge(_) | syn::BinOp::Gt(_) | syn::BinOp::Eq(_)
            if ident_of(&b.left).is_some() =>
        {
            (&b.left, &b.right)
        }
        syn::BinOp::Le(_) | syn::BinOp::Lt(_) | syn::BinOp::Eq(_) => (&b.right, &b.left),
        _ => return None,
    };
    let var = ident_of(counter)?;
    match b.op {
        syn::BinOp::Eq(_) => Some((var, int_literal(limit)?, true)),
        syn::BinOp::Ge(_) | syn::BinOp::Le(_) => Some((var, upper_bound(limit, bounds)?, false)),
        _ => Some((var, upper_bound(limit, bounds)?.checked_add(1)?, false)),
    }
}

/// True when one of the block's own statements is a `break` or a `return`.
fn leaves(b: &syn::Block) -> bool {
    b.stmts.iter().any(|s| {
        matches!(
            s,
            syn::Stmt::Expr(syn::Expr::Break(_) | syn::Expr::Return(_), _)
        )
    })
}

/// The widest machine integer, in bits: what a loop that shrinks its controlling integer each turn is bounded by.
pub(super) const MAX_INT_BITS: u64 = 128;

/// For a condition `n > LIT` / `n >= LIT` / `n != LIT` (or the same with the sides swapped) on a variable `n`
/// that each turn of `body` loses bits of (see [`while_trips`]): the most turns the loop can run.
fn shrinking_bound(cond: &syn::ExprBinary, body: &syn::Block) -> Option<u64> {
    let var = match cond.op {
        syn::BinOp::Gt(_) | syn::BinOp::Ge(_) | syn::BinOp::Ne(_)
            if int_literal(&cond.right).is_some() =>
        {
            ident_of(&cond.left)?
        }
        syn::BinOp::Lt(_) | syn::BinOp::Le(_) | syn::BinOp::Ne(_)
            if int_literal(&cond.left).is_some() =>
        {
            ident_of(&cond.right)?
        }
        _ => return None,
    };
    let mut bits = 0;
    let mut shrinks = 0;
    for stmt in &body.stmts {
        if let syn::Stmt::Expr(e, _) = stmt {
            if let Some(b) = bits_removed(e, var) {
                bits += b;
                shrinks += 1;
            }
        }
    }
    if bits == 0 {
        return None;
    }
    let mut writes = Writes {
        var,
        writes: 0,
        continues: false,
    };
    syn::visit::Visit::visit_block(&mut writes, body);
    (writes.writes == shrinks && !writes.continues).then(|| MAX_INT_BITS.div_ceil(bits))
}

/// The bits a statement `n /= k`, `n >>= s`, `n = n / k` or `n = n >> s` (constant `k` of at least 2, `s` of
/// at least 1) removes from `var`: `floor(log2 k)` or `s`.
fn bits_removed(e: &syn::Expr, var: &syn::Ident) -> Option<u64> {
    let (op, by) = match e {
        syn::Expr::Binary(b) if ident_of(&b.left) == Some(var) => (&b.op, &*b.right),
        syn::Expr::Assign(a) if ident_of(&a.left) == Some(var) => match &*a.right {
            syn::Expr::Binary(b) if ident_of(&b.left) == Some(var) => (&b.op, &*b.right),
            _ => return None,
        },
        _ => return None,
    };
    let by = int_literal(by)?;
    match op {
        syn::BinOp::DivAssign(_) | syn::BinOp::Div(_) if by >= 2 => Some(u64::from(by.ilog2())),
        syn::BinOp::ShrAssign(_) | syn::BinOp::Shr(_) if by >= 1 => Some(by),
        _ => None,
    }
}

/// A compound assignment operator (`+=`, `>>=`...).
pub(super) fn is_compound_assign(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

/// The single name `e` is (`n`, `(n)`).
fn ident_of(e: &syn::Expr) -> Option<&syn::Ident> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        syn::Expr::Paren(p) => ident_of(&p.expr),
        _ => None,
    }
}

/// Counts the places a loop body writes `var` (assignments, compound assignments, `&mut var`), and whether it
/// has a `continue` (which may skip the statement that shrinks it).
struct Writes<'v> {
    var: &'v syn::Ident,
    writes: usize,
    continues: bool,
}

impl<'ast> syn::visit::Visit<'ast> for Writes<'_> {
    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        self.writes += usize::from(ident_of(&a.left) == Some(self.var));
        syn::visit::visit_expr_assign(self, a);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        let compound = is_compound_assign(&b.op);
        self.writes += usize::from(compound && ident_of(&b.left) == Some(self.var));
        syn::visit::visit_expr_binary(self, b);
    }

    fn visit_expr_reference(&mut self, r: &'ast syn::ExprReference) {
        self.writes += usize::from(r.mutability.is_some() && ident_of(&r.expr) == Some(self.var));
        syn::visit::visit_expr_reference(self, r);
    }

    fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
        self.continues = true;
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // A macro's tokens may write the variable: count a mention as a write, except in assertions,
        // formatting and logging, which only read their arguments.
        let name = m.path.segments.last().map(|s| s.ident.to_string());
        if name.is_some_and(|n| crate::rules::apis::QUIET_MACROS.contains(&n.as_str())) {
            return;
        }
        let mentions = m
            .tokens
            .clone()
            .into_iter()
            .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == self.var));
        self.writes += usize::from(mentions);
    }
}

/// The value of an integer literal (through parentheses).
pub(super) fn int_literal(e: &syn::Expr) -> Option<u64> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        syn::Expr::Paren(p) => int_literal(&p.expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Knows that `four` is at most 4 (an immutable local bound from `flags & 3`, or a constant), or an array of
    /// four elements.
    fn four(p: &syn::Path) -> Option<u64> {
        p.is_ident("four").then_some(4)
    }

    /// Each `small` case is [`Trips::Small`], each `fixed` one the constant count it is paired with, each
    /// `unknown` one [`Trips::Unknown`], as `trips` estimates the source.
    fn expect_trips(
        trips: impl Fn(&str) -> Trips,
        small: &[&str],
        fixed: &[(&str, u64)],
        unknown: &[&str],
    ) {
        let cases = small.iter().map(|s| (*s, Trips::Small));
        let cases = cases.chain(fixed.iter().map(|&(s, n)| (s, Trips::Fixed(n))));
        for (src, want) in cases.chain(unknown.iter().map(|s| (*s, Trips::Unknown))) {
            assert_eq!(trips(src), want, "{src}");
        }
    }

    /// `for_trips` of each iterator expression (see [`expect_trips`]).
    fn check(small: &[&str], fixed: &[(&str, u64)], unknown: &[&str]) {
        let trips = |src: &str| {
            let e: syn::Expr = syn::parse_str(src).expect("expression");
            for_trips(&e, &four)
        };
        expect_trips(trips, small, fixed, unknown);
    }

    #[test]
    fn trip_counts_from_the_syntax() {
        check(
            &[
                "0..4",
                "1..=16",
                "[a, b, c]",
                "&[1, 2]",
                "(0..8).rev()",
                "[x; 0].iter()",
                // Bounded ends (seed 12: lzma-rust2's filters of an XZ block header, `(flags & 0x03) + 1`).
                "0..(flags & 0x03) + 1",
                "0..=(b & 0xF)",
                "0..n.min(8)",
                "0..std::cmp::min(n, 8)",
                "1..four",
                "0..(x % 16) as usize",
                "0..four * 4",
                "0..(1 << 3)",
                // `four` as a fixed-size array of four elements.
                "four",
                "four.iter_mut().enumerate()",
                "&mut *four",
                "0..four.len()",
                "(0..64).step_by(8)",
                "(0..four).step_by(2)",
            ],
            // Larger constants (seed 15: zopfli's `0..ZOPFLI_NUM_LL`, ppmd's `(0..256).for_each(..)`).
            &[
                ("0..100", 100),
                ("0..=255", 256),
                ("(0..256).step_by(2)", 128),
                ("0..(flags & 0x3F)", 63),
                ("0..(1 << 5)", 32),
                ("[0u8; 17]", 17),
            ],
            &[
                "0..n",
                "(0..n).step_by(2)",
                "(0..256).step_by(k)",
                "v.iter()",
                "data",
                "1..=usize::MAX",
                "..n",
                "0..four - 1",
                "0..flags as usize + 1",
                "0..n.max(8)",
                "0..four * n",
                "0..(w >> 4)",
                "0..(1 << 70)",
                "v.iter_mut()",
                "0..v.len()",
                "four.chunks(2)",
            ],
        );
    }

    /// `while_trips` of each `while` loop (see [`expect_trips`]).
    fn check_while(small: &[&str], fixed: &[(&str, u64)], unknown: &[&str]) {
        let trips = |src: &str| {
            let w: syn::ExprWhile = syn::parse_str(src).expect("while loop");
            while_trips(&w.cond, &w.body, &four)
        };
        expect_trips(trips, small, fixed, unknown);
    }

    #[test]
    fn while_trip_counts_from_the_condition() {
        check_while(
            &[
                "while i < 8 {}",
                "while i <= 15 {}",
                "while 16 > i {}",
                "while (i < 4) {}",
                "while i < 4 && more(i) {}",
                "while i < four {}",
                "while four >= i {}",
                "while more(i) && i < 4 {}",
                "while i < 300 && i < 8 {}",
            ],
            &[
                ("while i < 17 {}", 17),
                ("while i <= 16 {}", 17),
                ("while i < 300 && more(i) {}", 300),
                ("while i < 300 && i < 100 {}", 100),
            ],
            &[
                "while i < n {}",
                "while !done {}",
                "while i != 8 {}",
                "while s.len() > 3 {}",
                "while more(i) && i < n {}",
                "while x & 7 > 0 {}",
                "while four > 0 {}",
            ],
        );
    }

    #[test]
    fn a_loop_that_divides_its_controlling_integer_runs_a_few_times() {
        check_while(
            &[
                // itoa's u128: four digits a turn, at most ten turns of a 128-bit integer.
                "while remain > 999 { let q = remain % 10000; remain /= 10_000; out(q); }",
                "while n != 0 { n >>= 8; }",
                "while 0 < n { n = n >> 16; }",
                "while n >= 256 { n = n / 256; debug_assert!(n > 0, \"{}\", n); }",
                "while n > 0 { n >>= 4; n >>= 4; }",
            ],
            // Fewer bits a turn: more turns than a small loop's, still a constant (128 bits over those of a turn).
            &[
                ("while n > 0 { n /= 10; }", 43),
                ("while n > 0 { n >>= 1; }", 128),
                // Not a shrinking loop: a counter's bound, as `while i < 999` is.
                ("while n < 999 { n /= 256; }", 999),
            ],
            &[
                "while n > 0 { if odd(n) { n /= 256; } }",
                "while n > 0 { n /= 256; n += step(); }",
                "while n > 0 { bump(&mut n); n /= 256; }",
                "while n > 0 { if skip() { continue; } n /= 256; }",
                "while n > 0 { grow!(n); n /= 256; }",
                "while n > m { n /= 256; }",
                "while n > 0 { m /= 256; }",
                "while n > 0 { n %= 256; }",
                "while n.len() > 0 { n /= 256; }",
            ],
        );
    }

    #[test]
    fn nested_unknown_loops_weigh_their_operations() {
        let mut w = Work::default();
        w.operation();
        assert_eq!(w.score(), 0, "straight-line code is no work");
        w.enter_loop(Trips::Unknown);
        w.enter_loop(Trips::Unknown);
        w.operation();
        w.leave_loop();
        w.leave_loop();
        assert_eq!(w.score(), 2 + 4 + 2);
    }

    #[test]
    fn loops_of_constant_count_are_fixed_work_up_to_a_budget() {
        // One table of 256 entries, then 25 x 8 x 5 contexts: 1000 turns in all, fixed work per call.
        let mut w = Work::default();
        w.enter_loop(Trips::Fixed(256));
        w.operation();
        w.leave_loop();
        w.enter_loop(Trips::Fixed(25));
        w.enter_loop(Trips::Small);
        w.enter_adaptor(Trips::Fixed(40));
        w.operation();
        w.leave_loop();
        w.leave_loop();
        w.leave_loop();
        assert_eq!(w.score(), 0, "fixed work per call");
        assert!(w.regions().is_empty());
        // 256 x 256 turns: beyond FIXED_WORK_TRIPS, the work grows as a data-sized loop's would.
        w.enter_loop(Trips::Fixed(256));
        w.enter_loop(Trips::Fixed(256));
        w.operation();
        w.leave_loop();
        w.leave_loop();
        assert_eq!(w.score(), 2 + 1 + 2 + 2 + (2 + 4 + 2));
        // A constant count around a data-sized loop multiplies its work: 64 passes over the data.
        let mut w = Work::default();
        w.enter_loop(Trips::Fixed(64));
        w.enter_loop(Trips::Unknown);
        w.operation();
        w.leave_loop();
        w.leave_loop();
        assert_eq!(w.score(), 2 + 4 + 2);
        // A recursion or a CPU-heavy call is data-sized work of its own.
        let mut w = Work::default();
        w.enter_loop(Trips::Fixed(100));
        w.operation();
        w.leave_loop();
        w.recursion();
        assert_eq!(w.score(), 2 + 1 + 10);
    }

    #[test]
    fn small_loops_quiet_macros_and_waiting_loops_are_not_compute() {
        let mut w = Work::default();
        w.enter_loop(Trips::Small);
        w.operation();
        w.leave_loop();
        assert_eq!(w.score(), 0);
        w.enter_loop(Trips::Unknown);
        w.enter_quiet();
        w.operation();
        w.leave_quiet();
        assert_eq!(w.score(), 2);
        w.enter_loop(Trips::Unknown);
        w.operation();
        w.wait();
        w.leave_loop();
        w.leave_loop();
        assert_eq!(
            w.score(),
            0,
            "a wait in an inner loop makes the outer one wait too"
        );
    }

    #[test]
    fn a_lazy_initialiser_runs_once_for_the_loops_inside_its_receivers_declaration() {
        let mut w = Work::default();
        w.enter_loop(Trips::Unknown);
        w.enter_once(0);
        w.heavy_call();
        w.wait();
        w.leave_loop();
        assert_eq!(w.score(), 2, "a once closure's wait is its own");
        w.enter_once(0);
        w.heavy_call();
        w.leave_loop();
        assert_eq!(w.score(), 2 + 6, "declared outside the loop: depth 0");
        w.enter_once(1);
        w.heavy_call();
        w.leave_loop();
        assert_eq!(w.score(), 2 + 6 + 12, "declared inside the loop: depth 1");
        w.operation();
        w.leave_loop();
        assert_eq!(w.score(), 2 + 6 + 12 + 1, "the loop did not wait");
    }

    #[test]
    fn a_branch_weighs_its_heaviest_arm() {
        let mut w = Work::default();
        w.enter_loop(Trips::Unknown);
        let mut b = w.enter_branches();
        w.operation();
        w.operation();
        w.end_arm(&mut b);
        w.operation();
        w.operation();
        w.operation();
        w.end_arm(&mut b);
        w.operation();
        w.end_arm(&mut b);
        w.leave_branches(b);
        w.leave_loop();
        assert_eq!(w.score(), 2 + 3, "the loop, then the three-operation arm");
    }

    #[test]
    fn outermost_loops_that_kept_work_are_regions_with_their_calls() {
        let mut w = Work::default();
        w.call();
        w.enter_loop(Trips::Unknown);
        w.call();
        w.enter_loop(Trips::Unknown);
        w.operation();
        w.call();
        w.leave_loop();
        w.leave_loop();
        w.enter_loop(Trips::Unknown);
        w.call();
        w.leave_loop();
        assert_eq!(
            w.regions(),
            &[LoopRegion {
                kept: 2 + 4 + 2,
                calls: (1, 3)
            }],
            "the second loop did no work: no region"
        );
        assert!(!w.waited());
        w.wait();
        assert!(w.waited(), "a wait outside loops still makes the body wait");
    }

    #[test]
    fn recursion_counts_once() {
        let mut w = Work::default();
        w.recursion();
        w.recursion();
        assert_eq!(w.score(), 10);
    }
}
