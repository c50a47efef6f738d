//! Go's `path`: `Clean` (of absolute paths) and `Match` (globs).

/// Go's `path.Clean` of an absolute path: no `.`, no empty parts, `..`
/// applied lexically and never above `/`. Always starts with `/`.
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A malformed glob pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

/// Go's `path.Match`: `*`, `?`, `[...]` classes, `\` escapes; `Err` for a
/// malformed pattern.
///
/// Go's algorithm, not a backtracking one: the pattern is cut into chunks
/// at its stars, and each chunk takes its leftmost match (only the last
/// one must end the name). That is exact for these patterns, costs at most
/// pattern × name steps and never recurses, whatever the guest's pattern.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pat, mut name) = (&p[..], &n[..]);
    'chunks: while !pat.is_empty() {
        let (star, chunk, rest) = scan_chunk(pat);
        pat = rest;
        if star && chunk.is_empty() {
            // A trailing star takes the rest of the name, unless it has a '/'.
            return Ok(!name.contains(&'/'));
        }
        if let Some(t) = match_chunk(chunk, name)?
            && (t.is_empty() || !pat.is_empty())
        {
            name = t;
            continue;
        }
        if star {
            // Skip 1, 2, ... characters of the name, never a '/'.
            for i in 0..name.len() {
                if name[i] == '/' {
                    break;
                }
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    if pat.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'chunks;
                }
            }
        }
        // No match: the rest of the pattern must still be well formed.
        while !pat.is_empty() {
            let (_, chunk, rest) = scan_chunk(pat);
            pat = rest;
            match_chunk(chunk, &[])?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go's `scanChunk`: leading stars, then the chunk up to the next star
/// outside a class, then the rest.
fn scan_chunk(p: &[char]) -> (bool, &[char], &[char]) {
    let stars = p.iter().take_while(|c| **c == '*').count();
    let p = &p[stars..];
    let mut in_class = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    (stars > 0, &p[..i], &p[i..])
}

/// Go's `matchChunk`: the rest of `s` after `chunk` matched its start, or
/// none; the whole chunk is checked for syntax either way.
fn match_chunk<'a>(
    mut chunk: &[char],
    mut s: &'a [char],
) -> Result<Option<&'a [char]>, BadPattern> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            '[' => {
                let r = if failed {
                    '\0'
                } else {
                    let r = s[0];
                    s = &s[1..];
                    r
                };
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let (mut matched, mut ranges) = (false, 0);
                loop {
                    if chunk.first() == Some(&']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = class_char(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&'-') {
                        let (h, rest) = class_char(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let lit = if c == '\\' {
                    chunk = &chunk[1..];
                    *chunk.first().ok_or(BadPattern)?
                } else {
                    c
                };
                if !failed {
                    if lit != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Go's `getEsc`: one (possibly escaped) character of a class, which must
/// be followed by more of the class.
fn class_char(chunk: &[char]) -> Result<(char, &[char]), BadPattern> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some('-') | Some(']') => return Err(BadPattern),
        Some('\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let rest = &chunk[1..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((chunk[0], rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_gos() {
        assert_eq!(clean("/tmp/../tmp/./x//y/"), "/tmp/x/y");
        assert_eq!(clean("/../../etc"), "/etc");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean("a/b/../c"), "/a/c");
    }

    #[test]
    fn globs() {
        assert_eq!(glob_match("*.txt", "a.txt"), Ok(true));
        assert_eq!(glob_match("a?c", "abc"), Ok(true));
        assert_eq!(glob_match("[a-c]x", "bx"), Ok(true));
        assert_eq!(glob_match("[^a-c]x", "bx"), Ok(false));
        assert_eq!(glob_match("[", "x"), Err(BadPattern));
        assert_eq!(glob_match("*", "a/b"), Ok(false));
        assert_eq!(glob_match("a*b*c", "axxbyyc"), Ok(true));
        assert_eq!(glob_match("a*b", "ab/b"), Ok(false));
        assert_eq!(glob_match("*x", "xxx"), Ok(true));
        assert_eq!(glob_match("\\*", "*"), Ok(true));
        assert_eq!(glob_match("[\\]]", "]"), Ok(true));
        assert_eq!(glob_match("[]a]", "a"), Err(BadPattern));
        assert_eq!(glob_match("[a-]", "a"), Err(BadPattern));
        assert_eq!(glob_match("a\\", "a"), Err(BadPattern));
        // A bad class after a failed match is still reported.
        assert_eq!(glob_match("x*[", "y"), Err(BadPattern));
    }

    #[test]
    fn hostile_globs_are_linear() {
        // A megabyte of pattern used to recurse once per character.
        let long = "a".repeat(1 << 20);
        assert_eq!(glob_match(&long, &long), Ok(true));
        assert_eq!(glob_match(&format!("{long}?"), &long), Ok(false));
        // Stars that backtracking would try in every combination.
        let stars = "*a".repeat(40) + "b";
        let name = "a".repeat(255);
        let t = std::time::Instant::now();
        assert_eq!(glob_match(&stars, &name), Ok(false));
        println!(
            "{} stars against {} chars: {:?}",
            40,
            name.len(),
            t.elapsed()
        );
    }
}
