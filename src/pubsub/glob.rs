//! Redis channel globs, matched locally the way Redis matches PSUBSCRIBE
//! patterns (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`). `tail` uses this to
//! print a message once when several of its patterns match the channel.

/// Does this text contain glob characters (so it needs PSUBSCRIBE)?
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Does `pattern` match all of `text`?
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, text index).
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((hit, next)) = class(pattern, p, text[t]) {
                        if hit {
                            p = next;
                            t += 1;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() && pattern[p + 1] == text[t] => {
                    p += 2;
                    t += 1;
                    continue;
                }
                b'\\' if p + 1 < pattern.len() => {}
                c if c == text[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Match one byte against the class starting at `pattern[start] == b'['`.
/// Returns (matched, index after the class), or None for an unclosed class.
fn class(pattern: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &b = pattern.get(i)?;
        if b == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if b == b'\\' && i + 1 < pattern.len() {
            hit |= pattern[i + 1] == c;
            i += 2;
        } else if pattern.get(i + 1) == Some(&b'-')
            && pattern.get(i + 2).is_some_and(|&e| e != b']')
        {
            let (lo, hi) = (b.min(pattern[i + 2]), b.max(pattern[i + 2]));
            hit |= (lo..=hi).contains(&c);
            i += 3;
        } else {
            hit |= b == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches as m;

    #[test]
    fn globs() {
        assert!(m(b"events:repo:*", b"events:repo:a/b"));
        assert!(m(b"events:*", b"events:"));
        assert!(!m(b"events:repo:*", b"events:issue:1"));
        assert!(m(b"*:repo:?", b"events:repo:x"));
        assert!(!m(b"*:repo:?", b"events:repo:xy"));
        assert!(m(b"a[bc]d", b"acd"));
        assert!(!m(b"a[^bc]d", b"acd"));
        assert!(m(b"a[a-c]d", b"abd"));
        assert!(m(b"a\\*", b"a*"));
        assert!(!m(b"a\\*", b"ab"));
        assert!(m(b"*a*b*", b"xxaxxbxx"));
        assert!(!m(b"*a*b", b"xxaxxbxxc"));
        assert!(m(b"", b""));
        assert!(!m(b"", b"x"));
    }

    #[test]
    fn pattern_detection() {
        assert!(super::is_pattern("events:*"));
        assert!(super::is_pattern("a[1]"));
        assert!(!super::is_pattern("events:repo:a"));
    }
}
