//! The house rules of the source tree (docs/architecture.md, "The map"),
//! checked on every test run:
//!
//! - no source file over 800 lines;
//! - no circle of imports between modules: at the level of files (a module
//!   and its own children excepted: a child is part of its parent) and at
//!   the level of the crate's top modules (`backend`, `engine`, `sim`, …).
//!
//! Imports are read from the text: `crate::`, `super::` and `self::` paths
//! outside comments and outside `#[cfg(test)]` modules.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Longest source file the tree allows.
const MAX_LINES: usize = 800;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file under `dir` whose name ends in one of `exts`, skipping build
/// output and hidden directories.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            let skip = name.starts_with('.')
                || matches!(name.as_str(), "target" | "build" | "__pycache__" | "vendor");
            if !skip {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

#[test]
fn no_source_file_is_over_800_lines() {
    let mut all = Vec::new();
    for dir in [
        "runtime/src",
        "runtime/tests",
        "guest-sdk/src",
        "wire/src",
        "tests",
        "examples",
    ] {
        files(&root().join(dir), &[".rs", ".py"], &mut all);
    }
    assert!(
        all.len() > 100,
        "the walk found the sources ({})",
        all.len()
    );
    let over: Vec<String> = all
        .iter()
        .filter_map(|p| {
            let n = fs::read_to_string(p).ok()?.lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(over.is_empty(), "over {MAX_LINES} lines: {over:#?}");
}

/// A module's path from the crate root (`["sim", "ops"]`), for a file.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The source that counts for imports: no comments, no test modules.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths (`crate::a::b`, `super::c`) a file's code names, made absolute.
fn imports(module: &[String], is_dir_module: bool, code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for head in ["crate", "super", "self"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(head) {
            let at = from + i;
            from = at + head.len();
            if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b'$') {
                continue;
            }
            let mut segs = Vec::new();
            let mut j = at + head.len();
            while code[j..].starts_with("::") {
                let start = j + 2;
                let end = start + code[start..].bytes().take_while(|b| is_ident(*b)).count();
                if end == start {
                    break;
                }
                segs.push(code[start..end].to_string());
                j = end;
            }
            if segs.is_empty() {
                continue;
            }
            let mut base: Vec<String> = if head == "crate" {
                Vec::new()
            } else if is_dir_module {
                module.to_vec()
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            if head == "super" {
                if is_dir_module {
                    base.pop();
                }
                while segs.first().map(String::as_str) == Some("super") {
                    segs.remove(0);
                    base.pop();
                }
            }
            if head == "self" && !is_dir_module {
                base = module.to_vec();
            }
            base.extend(segs);
            out.push(base);
        }
    }
    out
}

/// Files declared as modules under `#[cfg(test)]` (`#[cfg(test)] mod
/// tests;`, or with `#[path = "x_tests.rs"]`): test code, which may reach
/// anywhere, so it is left out of the import graph.
fn test_only_files(found: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for p in found {
        let Ok(text) = fs::read_to_string(p) else {
            continue;
        };
        let dir = p.parent().unwrap();
        let stem = p.file_stem().unwrap().to_string_lossy();
        let children = if matches!(stem.as_ref(), "mod" | "lib" | "main") {
            dir.to_path_buf()
        } else {
            dir.join(stem.as_ref())
        };
        let (mut test, mut path) = (false, None::<String>);
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[") {
                test |= line == "#[cfg(test)]";
                if line.starts_with("#[path") {
                    path = line.split('"').nth(1).map(str::to_string);
                }
                continue;
            }
            let decl = line
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub(super) ")
                .trim_start_matches("pub ");
            if test && let Some(name) = decl.strip_prefix("mod ").and_then(|m| m.strip_suffix(';'))
            {
                match &path {
                    // A `#[path]` is relative to the declaring file's directory.
                    Some(file) => {
                        out.insert(dir.join(file));
                    }
                    None => {
                        out.insert(children.join(format!("{}.rs", name.trim())));
                        out.insert(children.join(name.trim()).join("mod.rs"));
                    }
                }
            }
            (test, path) = (false, None);
        }
    }
    out
}

/// The file-level import graph of the crate under `src`.
fn graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut found = Vec::new();
    files(src, &[".rs"], &mut found);
    let test_only = test_only_files(&found);
    let modules: BTreeMap<Vec<String>, PathBuf> =
        found.into_iter().map(|p| (module_of(src, &p), p)).collect();
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| modules.contains_key(m))
    };
    let mut edges = BTreeMap::new();
    for (m, p) in &modules {
        let name = p.file_name().unwrap().to_string_lossy();
        let is_dir = matches!(name.as_ref(), "mod.rs" | "lib.rs" | "main.rs");
        let code = if test_only.contains(p) {
            String::new()
        } else {
            code_of(&fs::read_to_string(p).unwrap())
        };
        let targets: BTreeSet<Vec<String>> = imports(m, is_dir, &code)
            .iter()
            .filter_map(|i| resolve(i))
            .filter(|t| t != m)
            .collect();
        edges.insert(m.clone(), targets);
    }
    edges
}

/// Strongly connected components with more than one member.
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    // Iterative Tarjan.
    let nodes: Vec<&Vec<String>> = edges.keys().collect();
    let index_of: BTreeMap<&Vec<String>, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let succ: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            edges[*n]
                .iter()
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();
    let n = nodes.len();
    let (mut index, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let (mut on_stack, mut stack, mut next) = (vec![false; n], Vec::new(), 0);
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = succ[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(nodes[w].join("/"));
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    out.push(comp);
                }
            }
        }
    }
    out
}

/// Whether `a` is `b` or one of its ancestors or descendants.
fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    // Each crate with the fewest modules the walk must find.
    for (krate, modules) in [("runtime/src", 6), ("guest-sdk/src", 6), ("wire/src", 3)] {
        let edges = graph(&root().join(krate));
        assert!(
            edges.len() >= modules,
            "{krate}: the walk found the modules"
        );
        // Files: a parent and its own children may use each other.
        let files: BTreeMap<_, BTreeSet<_>> = edges
            .iter()
            .map(|(m, ts)| {
                let ts = ts.iter().filter(|t| !related(m, t)).cloned().collect();
                (m.clone(), ts)
            })
            .collect();
        let found = circles(&files);
        assert!(
            found.is_empty(),
            "{krate}: circles between files: {found:#?}"
        );
        // Top modules: `engine` as a whole never imports what imports it.
        let mut top: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (m, ts) in &edges {
            let from = m.iter().take(1).cloned().collect::<Vec<_>>();
            let entry = top.entry(from.clone()).or_default();
            for t in ts {
                let to = t.iter().take(1).cloned().collect::<Vec<_>>();
                if to != from && !from.is_empty() && !to.is_empty() {
                    entry.insert(to);
                }
            }
        }
        let found = circles(&top);
        assert!(
            found.is_empty(),
            "{krate}: circles between top modules: {found:#?}"
        );
    }
}

#[test]
fn the_circle_finder_finds_circles() {
    let m = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), [m("b")].into_iter().collect());
    edges.insert(m("b"), [m("c")].into_iter().collect());
    edges.insert(m("c"), [m("a")].into_iter().collect());
    edges.insert(m("d"), [m("a")].into_iter().collect());
    assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
    let code = "use super::x::Y;\nuse crate::engine::Meter;\n// use crate::sim;\n";
    let found = imports(&m("sim/ops"), false, &code_of(code));
    assert_eq!(found, vec![m("engine/Meter"), m("sim/x/Y")]);
}

#[test]
fn modules_declared_under_cfg_test_are_test_code() {
    let dir = std::env::temp_dir().join(format!("charmbox-structure-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.rs");
    fs::write(
        &file,
        "mod live;\n#[cfg(test)]\n#[path = \"a_tests.rs\"]\nmod tests;\n#[cfg(test)]\npub(crate) mod more;\n",
    )
    .unwrap();
    let found = test_only_files(&[file]);
    let _ = fs::remove_dir_all(&dir);
    assert!(found.contains(&dir.join("a_tests.rs")), "{found:?}");
    assert!(found.contains(&dir.join("a/more.rs")), "{found:?}");
    assert!(!found.iter().any(|p| p.ends_with("live.rs")), "{found:?}");
}
