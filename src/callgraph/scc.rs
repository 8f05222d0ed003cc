//! Strongly connected components (Tarjan, iterative so deep call chains cannot overflow the stack).
//! Components come out callees first (reverse topological order of the condensation).

/// SCCs of the graph with `n` nodes and successors `succ(v)`, each SCC's nodes in discovery order.
pub fn tarjan<I: Iterator<Item = usize>>(n: usize, succ: impl Fn(usize) -> I) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, successors not yet looked at)
        let mut work: Vec<(usize, Vec<usize>)> = vec![(root, succ(root).collect())];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, succs)) = work.last_mut() {
            let v = *v;
            if let Some(w) = succs.pop() {
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, succ(w).collect()));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                let p = *parent;
                low[p] = low[p].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.reverse();
                out.push(comp);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tarjan;

    #[test]
    fn cycles_and_order() {
        // 0 -> 1 -> 2 -> 1, 2 -> 3
        let edges = [vec![1], vec![2], vec![1, 3], vec![]];
        let sccs = tarjan(4, |v| edges[v].clone().into_iter());
        let pos = |x: usize| sccs.iter().position(|c| c.contains(&x)).unwrap();
        assert_eq!(sccs.len(), 3);
        assert_eq!(pos(1), pos(2));
        assert!(pos(3) < pos(1) && pos(1) < pos(0), "{sccs:?}");
    }
}
