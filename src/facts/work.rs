//! Work estimation for one function body: the compute score of `rules::compute_hotspot` (loops weighted by
//! nesting, arithmetic, casts and indexing inside loops, iterator adaptors, CPU-heavy API calls, recursion).
//! The body visitor tells it what it meets; it never looks at syntax itself.

/// The running estimate of one body's own work.
#[derive(Debug, Clone, Default)]
pub(super) struct Work {
    /// Loop nesting depth here (iterator adaptor closures count as a level).
    depth: u32,
    score: u32,
}

impl Work {
    /// The score so far.
    pub fn score(&self) -> u32 {
        self.score
    }

    /// Enters a `for`/`while`/`loop` body: `2 x d` at depth `d`.
    pub fn enter_loop(&mut self) {
        self.depth += 1;
        self.score += 2 * self.depth;
    }

    /// Leaves what [`enter_loop`](Self::enter_loop) or [`enter_adaptor`](Self::enter_adaptor) entered.
    pub fn leave_loop(&mut self) {
        self.depth -= 1;
    }

    /// Enters a closure passed to an iterator adaptor: one loop level deeper, no loop cost of its own.
    pub fn enter_adaptor(&mut self) {
        self.depth += 1;
    }

    /// An iterator adaptor call (`map`, `fold`...).
    pub fn adaptor_call(&mut self) {
        self.score += 1;
    }

    /// An arithmetic operator or method, a cast or an index: `d` inside loops, nothing outside.
    pub fn operation(&mut self) {
        self.score += self.depth;
    }

    /// A call of a CPU-heavy library API: `6 x (d + 1)`.
    pub fn heavy_call(&mut self) {
        self.score += 6 * (self.depth + 1);
    }

    /// A direct recursive call.
    pub fn recursion(&mut self) {
        self.score += 10;
    }

    /// True inside a loop or an adaptor closure.
    pub fn in_loop(&self) -> bool {
        self.depth > 0
    }
}
