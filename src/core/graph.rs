//! The dependency graph: dangling references and cycles, found in O(V + E).

use super::reference::Address;
use super::stack::Stack;

/// A problem in the dependency graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphProblem {
    /// `from` reads `to`, which is not in the stack.
    Dangling {
        /// The block holding the reference.
        from: Address,
        /// The missing block.
        to: Address,
        /// Whether `to` belongs to a different stack.
        other_stack: bool,
    },
    /// The blocks form a cycle, listed in order, the first repeated at the end.
    Cycle(Vec<Address>),
}

/// Checks every reference and looks for cycles.
pub fn check(stack: &Stack) -> Vec<GraphProblem> {
    let blocks = stack.blocks();
    // The stack's own index already maps each address to its block, so
    // resolving a reference is one hash lookup and nothing is rebuilt here.
    let index = &stack.index;
    let mut problems = Vec::new();
    // Adjacency in one flat list: block i's targets are
    // `targets[starts[i]..starts[i + 1]]`, sorted and deduplicated.
    let mut starts: Vec<usize> = Vec::with_capacity(blocks.len() + 1);
    let mut targets: Vec<usize> = Vec::with_capacity(blocks.len() * 4);
    for block in blocks {
        let start = targets.len();
        starts.push(start);
        let mut resolve = |dep: &Address| match index.get(dep) {
            Some(&j) => targets.push(j),
            None => problems.push(GraphProblem::Dangling {
                from: block.address().clone(),
                to: dep.clone(),
                other_stack: dep.stack() != stack.id(),
            }),
        };
        // Same order as `Block::dependencies`: explicit first, then attributes.
        block.depends_on().iter().for_each(&mut resolve);
        for value in block.attributes().values() {
            value.visit_exprs(&mut |expr| expr.deps().iter().for_each(&mut resolve));
        }
        let own = &mut targets[start..];
        own.sort_unstable();
        let mut kept = 0;
        for i in 0..own.len() {
            if i == 0 || own[i] != own[kept - 1] {
                own[kept] = own[i];
                kept += 1;
            }
        }
        targets.truncate(start + kept);
    }
    starts.push(targets.len());
    let edges = Edges {
        starts: &starts,
        targets: &targets,
    };
    problems.extend(find_cycles(blocks.iter().map(|b| b.address()), &edges));
    problems
}

/// The dependency edges, block index to the indexes it depends on.
struct Edges<'a> {
    starts: &'a [usize],
    targets: &'a [usize],
}

impl Edges<'_> {
    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn of(&self, node: usize) -> &[usize] {
        &self.targets[self.starts[node]..self.starts[node + 1]]
    }
}

/// Iterative three-colour DFS; reports each cycle once, in discovery order.
fn find_cycles<'a>(
    addresses: impl Iterator<Item = &'a Address>,
    edges: &Edges<'_>,
) -> Vec<GraphProblem> {
    let addresses: Vec<&Address> = addresses.collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![Colour::White; edges.len()];
    let mut cycles = Vec::new();
    for root in 0..edges.len() {
        if colour[root] != Colour::White {
            continue;
        }
        // Stack of (node, next edge to follow); `path` mirrors the grey nodes.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = Colour::Grey;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&target) = edges.of(node).get(*next) {
                *next += 1;
                match colour[target] {
                    Colour::White => {
                        colour[target] = Colour::Grey;
                        stack.push((target, 0));
                    }
                    Colour::Grey => {
                        let start = stack.iter().position(|&(n, _)| n == target).unwrap_or(0);
                        let mut cycle: Vec<Address> = stack[start..]
                            .iter()
                            .map(|&(n, _)| addresses[n].clone())
                            .collect();
                        cycle.push(addresses[target].clone());
                        cycles.push(GraphProblem::Cycle(cycle));
                    }
                    Colour::Black => {}
                }
            } else {
                colour[node] = Colour::Black;
                stack.pop();
            }
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;
    use crate::core::reference::ResourceKind;

    enum Node {}
    impl ResourceKind for Node {
        const TYPE: &'static str = "null_resource";
    }

    #[test]
    fn finds_dangling_references_and_cycles_in_order() {
        let mut other = Stack::new("other");
        let foreign = other.resource::<Node>("foreign", Attributes::new());
        let mut stack = Stack::new("graph");
        let a = stack.resource::<Node>("a", Attributes::new());
        let b = stack.resource::<Node>(
            "b",
            Attributes::new()
                .set("x", a.id())
                .set("y", foreign.id())
                .depends_on(a.address()),
        );
        stack.depends_on(&a, &b);
        let problems = check(&stack);
        assert_eq!(
            problems,
            vec![
                GraphProblem::Dangling {
                    from: b.address().clone(),
                    to: foreign.address().clone(),
                    other_stack: true,
                },
                GraphProblem::Cycle(vec![
                    a.address().clone(),
                    b.address().clone(),
                    a.address().clone()
                ]),
            ]
        );
    }

    #[test]
    fn a_long_chain_is_acyclic() {
        let mut stack = Stack::new("chain");
        let mut previous = stack.resource::<Node>("n0", Attributes::new());
        for i in 1..5000 {
            previous = stack.resource::<Node>(
                &format!("n{i}"),
                Attributes::new().set("after", previous.id()),
            );
        }
        assert!(check(&stack).is_empty());
    }
}
