//! The dependency graph: dangling references and cycles, found in O(V + E).

use std::collections::HashMap;

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
    let index: HashMap<&Address, usize> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.address(), i))
        .collect();
    let mut problems = Vec::new();
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut targets = Vec::new();
        for dep in block.dependencies() {
            match index.get(dep) {
                Some(&j) => targets.push(j),
                None => problems.push(GraphProblem::Dangling {
                    from: block.address().clone(),
                    to: dep.clone(),
                    other_stack: dep.stack() != stack.id(),
                }),
            }
        }
        targets.sort_unstable();
        targets.dedup();
        edges.push(targets);
    }
    problems.extend(find_cycles(blocks.iter().map(|b| b.address()), &edges));
    problems
}

/// Iterative three-colour DFS; reports each cycle once, in discovery order.
fn find_cycles<'a>(
    addresses: impl Iterator<Item = &'a Address>,
    edges: &[Vec<usize>],
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
            if let Some(&target) = edges[node].get(*next) {
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
