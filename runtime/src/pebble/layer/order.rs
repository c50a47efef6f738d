//! Start and stop order: the `requires` closure, `after`/`before` edges
//! among the services in it, Tarjan's sort (a cycle is an error), then
//! lanes — services linked by `requires` share a lane, the rest get their
//! own (`Plan.StartOrder`, `StopOrder`, `createLanes`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::{FormatError, Service};
use crate::go::quote::quote;

fn missing(name: &str) -> FormatError {
    FormatError(format!("service {} does not exist", quote(name)))
}

/// The services to start (or stop) for `names`, in order.
pub fn order(
    services: &BTreeMap<String, Service>,
    names: &[String],
    stop: bool,
) -> Result<Vec<String>, FormatError> {
    // For stop, who requires whom.
    let mut predecessors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    if stop {
        for (name, s) in services {
            for req in &s.requires {
                predecessors.entry(req.as_str()).or_default().push(name);
            }
        }
    }
    // Collect the closure.
    let mut closure: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<String> = names.to_vec();
    let mut i = 0;
    while i < pending.len() {
        let name = pending[i].clone();
        i += 1;
        if !closure.insert(name.clone()) {
            continue;
        }
        if stop {
            if let Some(p) = predecessors.get(name.as_str()) {
                pending.extend(p.iter().map(|s| s.to_string()));
            }
        } else {
            let s = services.get(&name).ok_or_else(|| missing(&name))?;
            pending.extend(s.requires.iter().cloned());
        }
    }
    // Edges among them: a successor must come first.
    let mut successors: BTreeMap<String, Vec<String>> =
        closure.iter().map(|n| (n.clone(), Vec::new())).collect();
    for name in &closure {
        let s = services.get(name).ok_or_else(|| missing(name))?;
        let (after, before) = if stop {
            (&s.before, &s.after)
        } else {
            (&s.after, &s.before)
        };
        for a in after {
            if closure.contains(a) {
                successors
                    .get_mut(name)
                    .expect("in closure")
                    .push(a.clone());
            }
        }
        for b in before {
            if let Some(succs) = successors.get_mut(b) {
                succs.push(name.clone());
            }
        }
    }
    let mut out = Vec::new();
    for scc in tarjan(&successors) {
        if scc.len() > 1 {
            return Err(FormatError(format!(
                "services in before/after loop: {}",
                scc.join(", ")
            )));
        }
        out.extend(scc);
    }
    Ok(out)
}

/// Strongly connected components, successors first, each sorted.
///
/// Tarjan's algorithm with an explicit stack instead of recursion: a chain
/// of `after:` edges is as long as the layer makes it, and the host's stack
/// must not depend on it. The order is the recursive algorithm's.
fn tarjan(successors: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    let ids: Vec<&str> = successors.keys().map(String::as_str).collect();
    let at: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // Successors by position; names outside the map have none.
    let succ: Vec<Vec<usize>> = successors
        .values()
        .map(|v| {
            v.iter()
                .filter_map(|s| at.get(s.as_str()).copied())
                .collect()
        })
        .collect();
    const UNVISITED: usize = usize::MAX;
    let mut index = vec![UNVISITED; ids.len()];
    let mut lowlink = vec![0usize; ids.len()];
    let mut stacked = vec![false; ids.len()];
    let mut stack: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut next_index = 0usize;
    // The walk: (node, how many of its successors were looked at).
    let mut walk: Vec<(usize, usize)> = Vec::new();
    for root in 0..ids.len() {
        if index[root] != UNVISITED {
            continue;
        }
        walk.push((root, 0));
        index[root] = next_index;
        lowlink[root] = next_index;
        next_index += 1;
        stack.push(root);
        stacked[root] = true;
        while let Some(&mut (v, ref mut seen)) = walk.last_mut() {
            if let Some(&w) = succ[v].get(*seen) {
                *seen += 1;
                if index[w] == UNVISITED {
                    index[w] = next_index;
                    lowlink[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    stacked[w] = true;
                    walk.push((w, 0));
                } else if stacked[w] {
                    lowlink[v] = lowlink[v].min(index[w]);
                }
                continue;
            }
            // All successors done: close v, hand its lowlink to its parent.
            walk.pop();
            if lowlink[v] == index[v] {
                let mut scc = Vec::new();
                while let Some(top) = stack.pop() {
                    stacked[top] = false;
                    scc.push(ids[top].to_string());
                    if top == v {
                        break;
                    }
                }
                out.push(scc);
            }
            if let Some(&(parent, _)) = walk.last() {
                lowlink[parent] = lowlink[parent].min(lowlink[v]);
            }
        }
    }
    for scc in &mut out {
        scc.sort();
    }
    out
}

/// Group ordered services into lanes (`createLanes`).
pub fn lanes(
    names: &[String],
    services: &BTreeMap<String, Service>,
) -> Result<Vec<Vec<String>>, FormatError> {
    let mut mapping: HashMap<String, usize> = HashMap::new();
    let mut lane: isize = -1;
    let mut max_lane = 0usize;
    for name in names {
        let s = services.get(name).ok_or_else(|| missing(name))?;
        let chosen = if let Some(&l) = mapping.get(name) {
            l
        } else if let Some(l) = s.requires.iter().find_map(|d| mapping.get(d).copied()) {
            l
        } else {
            lane += 1;
            lane as usize
        };
        mapping.insert(name.clone(), chosen);
        for dep in &s.requires {
            mapping.insert(dep.clone(), chosen);
        }
        max_lane = max_lane.max(chosen);
    }
    let mut out = vec![Vec::new(); max_lane + 1];
    for name in names {
        out[mapping[name]].push(name.clone());
    }
    Ok(out)
}

/// `Plan.StartOrder`: the requires closure of `names`, ordered, in lanes.
pub fn start_order(
    services: &BTreeMap<String, Service>,
    names: &[String],
) -> Result<Vec<Vec<String>>, FormatError> {
    let ordered = order(services, names, false)?;
    lanes(&ordered, services)
}

/// `Plan.StopOrder`: `names` and their dependants, ordered, in lanes.
pub fn stop_order(
    services: &BTreeMap<String, Service>,
    names: &[String],
) -> Result<Vec<Vec<String>>, FormatError> {
    let ordered = order(services, names, true)?;
    lanes(&ordered, services)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(after: &[&str], before: &[&str], requires: &[&str]) -> Service {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Service {
            after: v(after),
            before: v(before),
            requires: v(requires),
            ..Default::default()
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn requires_pulls_in_and_after_orders() {
        let mut m = BTreeMap::new();
        m.insert("web".to_string(), svc(&["db"], &[], &["db"]));
        m.insert("db".to_string(), svc(&[], &[], &[]));
        m.insert("other".to_string(), svc(&[], &[], &[]));
        assert_eq!(
            start_order(&m, &names(&["web"])).unwrap(),
            vec![names(&["db", "web"])]
        );
        // Stopping db stops web first.
        assert_eq!(
            stop_order(&m, &names(&["db"])).unwrap(),
            vec![names(&["web", "db"])]
        );
        assert_eq!(
            start_order(&m, &names(&["other", "web"])).unwrap(),
            vec![names(&["db", "web"]), names(&["other"])]
        );
    }

    /// A chain of `n` services, each after the previous one (and requiring
    /// it, for `link` "requires").
    fn chain(n: usize, link: &str) -> BTreeMap<String, Service> {
        let name = |i: usize| format!("s{i:06}");
        (0..n)
            .map(|i| {
                let prev: Vec<String> = if i == 0 { vec![] } else { vec![name(i - 1)] };
                let mut s = Service::default();
                match link {
                    "after" => s.after = prev,
                    "requires" => {
                        s.requires = prev.clone();
                        s.after = prev;
                    }
                    _ => {}
                }
                (name(i), s)
            })
            .collect()
    }

    #[test]
    fn long_chains_do_not_recurse() {
        const N: usize = 60_000;
        let all: Vec<String> = (0..N).map(|i| format!("s{i:06}")).collect();
        for link in ["after", "requires"] {
            let m = chain(N, link);
            let ordered = order(&m, &all, false).unwrap();
            assert_eq!(ordered.len(), N, "{link}");
            assert_eq!(ordered[0], "s000000");
            assert_eq!(ordered[N - 1], format!("s{:06}", N - 1));
            let stop = order(&m, &all[..1], true).unwrap();
            if link == "requires" {
                assert_eq!(stop.len(), N);
                assert_eq!(stop[0], format!("s{:06}", N - 1));
            }
        }
        // The same chain through `before`: s(i) before s(i+1).
        let mut m = BTreeMap::new();
        for i in 0..N {
            let mut s = Service::default();
            if i + 1 < N {
                s.before = vec![format!("s{:06}", i + 1)];
            }
            m.insert(format!("s{i:06}"), s);
        }
        let ordered = order(&m, &all, false).unwrap();
        assert_eq!(ordered[0], "s000000");
        assert_eq!(ordered[N - 1], format!("s{:06}", N - 1));
        // A loop closing the chain is still found.
        m.get_mut(&format!("s{:06}", N - 1)).unwrap().before = vec!["s000000".into()];
        let e = order(&m, &all, false).unwrap_err().0;
        assert!(
            e.starts_with("services in before/after loop: s000000, s000001"),
            "{e}"
        );
    }

    #[test]
    fn cycles_and_unknowns() {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), svc(&["b"], &[], &[]));
        m.insert("b".to_string(), svc(&["a"], &[], &[]));
        assert_eq!(
            order(&m, &names(&["a", "b"]), false).unwrap_err().0,
            "services in before/after loop: a, b"
        );
        assert_eq!(
            order(&m, &names(&["ghost"]), false).unwrap_err().0,
            "service \"ghost\" does not exist"
        );
    }
}
