//! Redis channel globs, matched locally the way Redis matches PSUBSCRIBE
//! patterns (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`). `tail` uses this to
//! print a message once when several of its patterns match the channel.

/// Does this text contain glob characters (so it needs PSUBSCRIBE)?
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Does `pattern` match all of `text`?
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    // Redis's matcher stops as soon as the text is empty: an empty channel
    // matches only the empty pattern, not even `*`.
    if text.is_empty() {
        return pattern.is_empty();
    }
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
                    let (hit, next) = class(pattern, p, text[t]);
                    if hit {
                        p = next;
                        t += 1;
                        continue;
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

/// Match one byte against the class starting at `pattern[start] == b'['`,
/// read as Redis reads it: a `]` right after `[` or `[^` closes an empty
/// class, a range may end in `]` (`[a-]` is `]` to `a`), and an unclosed
/// class runs to the end of the pattern. Returns (matched, index after it).
fn class(pattern: &[u8], start: usize, c: u8) -> (bool, usize) {
    let mut i = start + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    while let Some(&b) = pattern.get(i) {
        if b == b'\\' && i + 1 < pattern.len() {
            hit |= pattern[i + 1] == c;
            i += 2;
        } else if b == b']' {
            return (hit != negate, i + 1);
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (a, z) = (signed(b), signed(pattern[i + 2]));
            hit |= (a.min(z)..=a.max(z)).contains(&signed(c));
            i += 3;
        } else {
            hit |= b == c;
            i += 1;
        }
    }
    (hit != negate, i)
}

/// Redis compares range ends as C `char`, which is signed on x86-64: there,
/// bytes from 0x80 sort below NUL, so `[a-\xff]` holds `*` but not `b`.
fn signed(b: u8) -> i8 {
    b as i8
}

#[cfg(test)]
mod tests {
    use super::{is_pattern, matches as m};
    use proptest::prelude::*;

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
        assert!(is_pattern("events:*"));
        assert!(is_pattern("a[1]"));
        assert!(is_pattern("a?"));
        assert!(!is_pattern("events:repo:a"));
        assert!(!is_pattern("a]\\b^-"));
    }

    /// Where Redis reads a glob unlike a shell does. Each was found by the
    /// differential test against redis-server (tests/it/glob_redis.rs).
    #[test]
    fn redis_corners() {
        // An empty channel matches only the empty pattern, not even `*`.
        assert!(!m(b"*", b""));
        assert!(!m(b"**", b""));
        assert!(!m(b"?", b""));
        // `]` right after `[` closes an empty class, which matches nothing;
        // negated, it matches any one byte.
        assert!(!m(b"[]a]", b"]"));
        assert!(!m(b"[]a]", b"a"));
        assert!(!m(b"[]", b"]"));
        assert!(m(b"[^]", b"]"));
        assert!(m(b"[^]a]", b"xa]"));
        // A range can end in `]`: `[a-]` is `]` (0x5d) to `a` (0x61).
        assert!(m(b"[a-]", b"^"));
        assert!(m(b"[a-]", b"]"));
        assert!(!m(b"[a-]", b"-"));
        assert!(!m(b"[a-]", b"b"));
        assert!(m(b"[a-\\]]", b"^]"));
        // A class that is never closed runs to the end of the pattern.
        assert!(m(b"[ab", b"a"));
        assert!(m(b"[ab", b"b"));
        assert!(!m(b"[ab", b"c"));
        assert!(!m(b"[ab", b"ab"));
        assert!(!m(b"[", b"["));
        assert!(m(b"[^", b"x"));
        assert!(!m(b"[^", b"xy"));
        assert!(m(b"[a-", b"-"));
        assert!(m(b"[a-c", b"b"));
        assert!(m(b"x[\\", b"x\\"));
        assert!(m(b"[a\\", b"\\"));
        assert!(!m(b"[a\\", b"b"));
        // `^` negates only right after `[`; elsewhere it is itself.
        assert!(m(b"[^a]", b"^"));
        assert!(m(b"[^a]", b"["));
        assert!(!m(b"[^a]", b"a"));
        assert!(m(b"[a^]", b"^"));
        assert!(!m(b"[a^]", b"b"));
        // Escapes inside a class, and before a `-`.
        assert!(m(b"[\\]]", b"]"));
        assert!(m(b"[\\-a]", b"-"));
        assert!(!m(b"[\\-a]", b"b"));
        assert!(m(b"[\\^]", b"^"));
        // Ranges written backwards are the same range.
        assert!(m(b"[c-a]", b"b"));
        assert!(!m(b"[c-a]", b"d"));
        // A backslash at the end of the pattern is itself.
        assert!(m(b"a\\", b"a\\"));
        assert!(!m(b"a\\", b"a"));
        assert!(m(b"\\?", b"?"));
        assert!(!m(b"\\?", b"x"));
        assert!(m(b"\\\\", b"\\"));
    }

    /// Range ends compare as signed bytes (C `char` on x86-64).
    #[test]
    fn ranges_over_bytes_from_0x80_are_signed() {
        assert!(m(b"[a-\xff]", b"*"));
        assert!(m(b"[a-\xff]", b"\xff"));
        assert!(m(b"[a-\xff]", b"a"));
        assert!(!m(b"[a-\xff]", b"b"));
        assert!(!m(b"[a-\xff]", b"\x80"));
        assert!(m(b"[\x80-b]", b"\x80"));
        assert!(m(b"[\x80-b]", b"\xff"));
        assert!(m(b"[\x80-b]", b"b"));
        assert!(!m(b"[\x80-b]", b"c"));
        assert!(m(b"[^\xff]", b"\xfe"));
        assert!(!m(b"[^\xff]", b"\xff"));
    }

    #[test]
    fn stars_backtrack() {
        assert!(m(b"*ab", b"aab"));
        assert!(m(b"a*b*c", b"abbbcbc"));
        assert!(!m(b"a*b*c", b"abbbcb"));
        assert!(m(b"*[0-9]", b"ab7"));
        assert!(m(b"a*", b"a"));
        assert!(m(b"a**", b"a"));
        assert!(!m(b"a*?", b"a"));
        assert!(m(b"*?", b"a"));
        assert!(!m(b"a[", b"a"));
    }

    /// Redis's rules read a second way: recursive, one pattern element at a
    /// time, with a class parsed into its ranges first. Slow, and simple
    /// enough to check by eye against the cases above.
    fn reference(pattern: &[u8], text: &[u8]) -> bool {
        if text.is_empty() {
            return pattern.is_empty();
        }
        element(pattern, text)
    }

    fn element(p: &[u8], t: &[u8]) -> bool {
        match (p, t) {
            ([], []) => true,
            ([b'*', rest @ ..], _) => element(rest, t) || !t.is_empty() && element(p, &t[1..]),
            ([], _) | (_, []) => false,
            ([b'?', rest @ ..], [_, more @ ..]) => element(rest, more),
            ([b'[', body @ ..], [c, more @ ..]) => {
                let (ranges, negate, used) = parse_class(body);
                let inside = ranges
                    .iter()
                    .any(|&(lo, hi)| (lo..=hi).contains(&(*c as i8)));
                inside != negate && element(&body[used..], more)
            }
            ([b'\\', x, rest @ ..], [c, more @ ..]) => x == c && element(rest, more),
            ([x, rest @ ..], [c, more @ ..]) => x == c && element(rest, more),
        }
    }

    /// A class body (after `[`): its ranges as signed bytes, whether it is
    /// negated, and how many bytes of `body` it used (its `]` included).
    fn parse_class(body: &[u8]) -> (Vec<(i8, i8)>, bool, usize) {
        let negate = body.first() == Some(&b'^');
        let mut rest = if negate { &body[1..] } else { body };
        let mut ranges = Vec::new();
        loop {
            match rest {
                [] => return (ranges, negate, body.len()),
                [b']', ..] => return (ranges, negate, body.len() - rest.len() + 1),
                [b'\\', x, more @ ..] => {
                    ranges.push((*x as i8, *x as i8));
                    rest = more;
                }
                [a, b'-', z, more @ ..] => {
                    let (a, z) = (*a as i8, *z as i8);
                    ranges.push((a.min(z), a.max(z)));
                    rest = more;
                }
                [x, more @ ..] => {
                    ranges.push((*x as i8, *x as i8));
                    rest = more;
                }
            }
        }
    }

    fn bytes_from(alphabet: &'static [u8], len: usize) -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(alphabet), 0..=len)
    }

    /// Each byte escaped: a pattern that means exactly `text`.
    fn escaped(text: &[u8]) -> Vec<u8> {
        text.iter().flat_map(|&b| [b'\\', b]).collect()
    }

    const GLOB_BYTES: &[u8] = b"ab*?[]^-\\\x80\xff";
    const TEXT_BYTES: &[u8] = b"ab-]^\\*?[\x80\xff";
    /// Bytes that are never special outside a class.
    const PLAIN_BYTES: &[u8] = b"ab:/-]^.\x80";

    proptest! {
        #[test]
        fn agrees_with_the_reference(
            pattern in bytes_from(GLOB_BYTES, 7),
            text in bytes_from(TEXT_BYTES, 6),
        ) {
            prop_assert_eq!(m(&pattern, &text), reference(&pattern, &text));
        }

        #[test]
        fn a_pattern_without_glob_characters_matches_only_itself(
            pattern in bytes_from(PLAIN_BYTES, 6),
            text in bytes_from(PLAIN_BYTES, 6),
        ) {
            prop_assert!(m(&pattern, &pattern));
            prop_assert_eq!(m(&pattern, &text), pattern == text);
        }

        #[test]
        fn a_star_matches_every_channel(text in prop::collection::vec(any::<u8>(), 1..12)) {
            prop_assert!(m(b"*", &text));
            prop_assert!(m(b"***", &text));
        }

        #[test]
        fn an_escaped_text_matches_only_itself(
            text in prop::collection::vec(any::<u8>(), 0..8),
            other in prop::collection::vec(any::<u8>(), 0..8),
        ) {
            let pattern = escaped(&text);
            prop_assert!(m(&pattern, &text));
            prop_assert_eq!(m(&pattern, &other), text == other);
        }

        #[test]
        fn question_marks_count_bytes(n in 0usize..6, text in prop::collection::vec(any::<u8>(), 0..8)) {
            let pattern = vec![b'?'; n];
            prop_assert_eq!(m(&pattern, &text), text.len() == n);
        }

        #[test]
        fn a_prefix_and_a_star_match_what_starts_with_it(
            prefix in bytes_from(TEXT_BYTES, 4),
            text in bytes_from(TEXT_BYTES, 6),
        ) {
            let mut pattern = escaped(&prefix);
            pattern.push(b'*');
            prop_assert_eq!(m(&pattern, &text), !text.is_empty() && text.starts_with(&prefix));
            let mut both = prefix.clone();
            both.extend_from_slice(&text);
            prop_assert_eq!(m(&pattern, &both), !both.is_empty());
        }

        #[test]
        fn a_star_and_a_suffix_match_what_ends_with_it(
            suffix in bytes_from(TEXT_BYTES, 4),
            text in bytes_from(TEXT_BYTES, 6),
        ) {
            let mut pattern = vec![b'*'];
            pattern.extend(escaped(&suffix));
            prop_assert_eq!(m(&pattern, &text), !text.is_empty() && text.ends_with(&suffix));
        }

        #[test]
        fn a_class_matches_its_members(
            set in prop::collection::vec(any::<u8>().prop_filter("not special in a class", |b| !b"]\\^-".contains(b)), 0..5),
            c in any::<u8>(),
        ) {
            let class = |negate: bool| {
                let mut p = vec![b'['];
                if negate { p.push(b'^'); }
                p.extend_from_slice(&set);
                p.push(b']');
                p
            };
            prop_assert_eq!(m(&class(false), &[c]), set.contains(&c));
            prop_assert_eq!(m(&class(true), &[c]), !set.contains(&c));
            prop_assert!(!m(&class(false), &[c, c]));
        }

        #[test]
        fn an_ascii_range_holds_what_lies_between_its_ends(
            a in (0x20u8..0x7f).prop_filter("not special first in a class", |b| !b"]\\^".contains(b)),
            z in 0x00u8..0x80,
            c in 0x00u8..0x80,
        ) {
            let pattern = [b'[', a, b'-', z, b']'];
            prop_assert_eq!(m(&pattern, &[c]), (a.min(z)..=a.max(z)).contains(&c));
        }

        #[test]
        fn glob_characters_make_a_pattern(
            text in "[a-z:./\\\\^\\]-]{0,8}",
            at in any::<prop::sample::Index>(),
            glob in prop::sample::select(vec!['*', '?', '[']),
        ) {
            prop_assert!(!is_pattern(&text));
            let mut with = text.clone();
            with.insert(at.index(text.len() + 1), glob);
            prop_assert!(is_pattern(&with));
        }
    }
}
