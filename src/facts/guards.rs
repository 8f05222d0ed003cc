//! Guard liveness: the stack of lock guards alive at one point of a function body. The body visitor pushes a
//! guard when it sees an acquisition, marks the stack where a scope begins and ends the scope there; it never
//! decides here what is a lock (that is `infer`) nor reports anything (that is `emit`).
//!
//! Code that runs later or elsewhere (a `move` closure, an async block, a closure passed to a spawning call)
//! raises the *floor*: the guards below it belong to the enclosing code and are not alive in there.

use super::HeldLock;

/// One guard: the lock it holds and the name it is bound to (`None` for a temporary).
#[derive(Debug, Clone)]
pub(super) struct Guard {
    pub lock: HeldLock,
    pub binding: Option<String>,
    pub alive: bool,
}

/// Where a scope began: see [`GuardStack::mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark(usize);

/// What [`GuardStack::enter`] saved, for [`GuardStack::leave`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Entered {
    mark: Mark,
    floor: usize,
}

#[derive(Debug, Clone, Default)]
pub(super) struct GuardStack {
    guards: Vec<Guard>,
    /// Guards below this index belong to code that is not running here (spawned closure, async block).
    floor: usize,
}

impl GuardStack {
    /// The current top of the stack: guards pushed after it belong to the scope that begins here.
    pub fn mark(&self) -> Mark {
        Mark(self.guards.len())
    }

    /// True when a guard was pushed since `mark`.
    pub fn grew_since(&self, mark: Mark) -> bool {
        self.guards.len() != mark.0
    }

    /// A temporary guard (`m.lock().unwrap().push(1)`): it lives to the end of the enclosing scope.
    pub fn push_temp(&mut self, lock: HeldLock) {
        self.guards.push(Guard {
            lock,
            binding: None,
            alive: true,
        });
    }

    /// A guard bound by `let` to `binding` (the first name of the pattern, if any).
    pub fn push_bound(&mut self, lock: HeldLock, binding: Option<String>) {
        self.guards.push(Guard {
            lock,
            binding,
            alive: true,
        });
    }

    /// Ends the scope that began at `mark`: its guards are dropped (guards below the floor are not touched).
    pub fn end_scope(&mut self, mark: Mark) {
        let keep = mark.0.max(self.floor).min(self.guards.len());
        self.guards.truncate(keep);
    }

    /// Enters code that runs on its own (a closure, an async block); with `detached`, the guards alive now are
    /// not alive in it (it runs later or on another thread).
    pub fn enter(&mut self, detached: bool) -> Entered {
        let entered = Entered {
            mark: self.mark(),
            floor: self.floor,
        };
        if detached {
            self.floor = self.guards.len();
        }
        entered
    }

    /// Leaves what [`enter`](Self::enter) entered: its guards are dropped, the floor is restored.
    pub fn leave(&mut self, entered: Entered) {
        self.guards.truncate(entered.mark.0.min(self.guards.len()));
        self.floor = entered.floor;
    }

    /// The guards alive here (above the floor), oldest first.
    pub fn live(&self) -> impl Iterator<Item = &Guard> {
        self.guards[self.floor.min(self.guards.len())..]
            .iter()
            .filter(|g| g.alive)
    }

    /// The locks alive here, oldest first.
    pub fn held(&self) -> Vec<HeldLock> {
        self.live().map(|g| g.lock.clone()).collect()
    }

    /// The newest live guard bound to `name` stops being held (`drop(name)`, `f(name)`); false when none is.
    pub fn release(&mut self, name: &str) -> bool {
        let floor = self.floor.min(self.guards.len());
        match self.guards[floor..]
            .iter_mut()
            .rev()
            .find(|g| g.alive && g.binding.as_deref() == Some(name))
        {
            Some(g) => {
                g.alive = false;
                true
            }
            None => false,
        }
    }

    /// The newest live guard bound to `from` is now bound to `to` (`let h = g;`); false when none is.
    pub fn rebind(&mut self, from: &str, to: &str) -> bool {
        let floor = self.floor.min(self.guards.len());
        match self.guards[floor..]
            .iter_mut()
            .rev()
            .find(|g| g.alive && g.binding.as_deref() == Some(from))
        {
            Some(g) => {
                g.binding = Some(to.to_string());
                true
            }
            None => false,
        }
    }

    /// Which guards are alive now, for [`restore`](Self::restore): what a path that ends (`return`) does
    /// to the guards does not reach the code after it.
    pub fn snapshot(&self) -> Vec<bool> {
        self.guards.iter().map(|g| g.alive).collect()
    }

    pub fn restore(&mut self, alive: &[bool]) {
        for (g, a) in self.guards.iter_mut().zip(alive) {
            g.alive = *a;
        }
    }

    /// Every guard pushed since `mark` stops being held (a temporary guard passed by value).
    pub fn release_since(&mut self, mark: Mark) {
        let from = mark.0.min(self.guards.len());
        for g in &mut self.guards[from..] {
            g.alive = false;
        }
    }

    /// Every guard bound to one of `names` stops being held, below the floor too (`#[cfg(a)] let g = ..;
    /// #[cfg(not(a))] let g = ..;` are alternatives: the earlier `g` is not held).
    pub fn forget_bindings(&mut self, names: &[String]) {
        for g in &mut self.guards {
            if g.binding.as_ref().is_some_and(|b| names.contains(b)) {
                g.alive = false;
            }
        }
    }

    /// True when some bound guard is alive, below the floor too.
    pub fn any_bound_alive(&self) -> bool {
        self.guards.iter().any(|g| g.alive && g.binding.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(id: &str) -> HeldLock {
        HeldLock {
            id: id.into(),
            desc: "std::sync::Mutex".into(),
            is_async: false,
            shared: false,
            reentrant: false,
            guessed: None,
        }
    }

    fn held_ids(s: &GuardStack) -> Vec<String> {
        s.held().into_iter().map(|l| l.id).collect()
    }

    #[test]
    fn scopes_end_their_own_guards() {
        let mut s = GuardStack::default();
        s.push_bound(lock("a"), Some("ga".into()));
        let inner = s.mark();
        s.push_temp(lock("b"));
        assert!(s.grew_since(inner));
        assert_eq!(held_ids(&s), ["a", "b"]);
        s.end_scope(inner);
        assert_eq!(held_ids(&s), ["a"]);
        assert!(!s.grew_since(inner));
        s.end_scope(Mark(0));
        assert!(held_ids(&s).is_empty());
    }

    #[test]
    fn detached_code_does_not_see_outer_guards() {
        let mut s = GuardStack::default();
        s.push_bound(lock("outer"), Some("g".into()));
        let e = s.enter(true);
        assert!(
            held_ids(&s).is_empty(),
            "a spawned closure holds nothing of its caller"
        );
        s.push_temp(lock("inner"));
        assert_eq!(held_ids(&s), ["inner"]);
        // Ending a scope inside never drops guards below the floor.
        s.end_scope(Mark(0));
        assert!(held_ids(&s).is_empty());
        assert!(
            !s.release("g"),
            "the outer binding is not reachable from inside"
        );
        s.leave(e);
        assert_eq!(held_ids(&s), ["outer"]);
    }

    #[test]
    fn attached_closure_sees_outer_guards_and_drops_its_own() {
        let mut s = GuardStack::default();
        s.push_bound(lock("outer"), Some("g".into()));
        let e = s.enter(false);
        s.push_temp(lock("inner"));
        assert_eq!(held_ids(&s), ["outer", "inner"]);
        s.leave(e);
        assert_eq!(held_ids(&s), ["outer"]);
    }

    #[test]
    fn release_by_name_takes_the_newest_live_binding() {
        let mut s = GuardStack::default();
        s.push_bound(lock("first"), Some("g".into()));
        s.push_bound(lock("second"), Some("g".into()));
        assert!(s.release("g"));
        assert_eq!(held_ids(&s), ["first"]);
        assert!(s.release("g"));
        assert!(!s.release("g"));
        assert!(held_ids(&s).is_empty());
        assert!(!s.release("unknown"));
    }

    #[test]
    fn rebinding_moves_the_guard_to_the_new_name() {
        let mut s = GuardStack::default();
        s.push_bound(lock("a"), Some("g".into()));
        assert!(s.rebind("g", "h"));
        assert!(!s.release("g"), "the old name holds nothing");
        assert_eq!(held_ids(&s), ["a"]);
        assert!(s.release("h"));
        assert!(held_ids(&s).is_empty());
        assert!(!s.rebind("h", "k"));
    }

    #[test]
    fn release_since_ends_temporaries_passed_on() {
        let mut s = GuardStack::default();
        s.push_bound(lock("kept"), Some("k".into()));
        let m = s.mark();
        s.push_temp(lock("moved"));
        s.release_since(m);
        assert_eq!(held_ids(&s), ["kept"]);
        assert!(s.any_bound_alive());
    }

    #[test]
    fn cfg_alternatives_forget_earlier_bindings_even_below_the_floor() {
        let mut s = GuardStack::default();
        s.push_bound(lock("a"), Some("g".into()));
        s.push_bound(lock("b"), Some("h".into()));
        let e = s.enter(true);
        s.forget_bindings(&["g".to_string()]);
        s.leave(e);
        assert_eq!(held_ids(&s), ["b"]);
        s.forget_bindings(&["h".to_string()]);
        assert!(!s.any_bound_alive());
    }
}
