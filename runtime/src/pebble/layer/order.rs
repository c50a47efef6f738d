//! Start and stop order: the `requires` closure, `after`/`before` edges
//! among the services in it, Tarjan's sort (a cycle is an error), then
//! lanes — services linked by `requires` share a lane, the rest get their
//! own (`Plan.StartOrder`, `StopOrder`, `createLanes`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::{FormatError, Service};
use crate::pebble::go::quote;

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
fn tarjan(successors: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        succ: &'a BTreeMap<String, Vec<String>>,
        index: HashMap<&'a str, usize>,
        lowlink: Vec<usize>,
        stacked: Vec<bool>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> T<'a> {
        fn connect(&mut self, id: &'a str) -> usize {
            let index = self.lowlink.len();
            self.index.insert(id, index);
            self.stack.push(id);
            self.lowlink.push(index);
            self.stacked.push(true);
            let succs: &'a [String] = self.succ.get(id).map(Vec::as_slice).unwrap_or(&[]);
            for s in succs {
                match self.index.get(s.as_str()).copied() {
                    None => {
                        let low = self.connect(s);
                        if low < self.lowlink[index] {
                            self.lowlink[index] = low;
                        }
                    }
                    Some(si) if self.stacked[si] => {
                        if si < self.lowlink[index] {
                            self.lowlink[index] = si;
                        }
                    }
                    Some(_) => {}
                }
            }
            if self.lowlink[index] == index {
                let mut scc = Vec::new();
                while let Some(top) = self.stack.pop() {
                    let ti = self.index[top];
                    self.stacked[ti] = false;
                    scc.push(top.to_string());
                    if ti == index {
                        break;
                    }
                }
                self.out.push(scc);
            }
            self.lowlink[index]
        }
    }
    let mut t = T {
        succ: successors,
        index: HashMap::new(),
        lowlink: Vec::new(),
        stacked: Vec::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for id in successors.keys() {
        if !t.index.contains_key(id.as_str()) {
            t.connect(id);
        }
    }
    for scc in &mut t.out {
        scc.sort();
    }
    t.out
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
