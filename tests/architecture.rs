//! ARCHITECTURE.md's rules, checked on `src/` so the document stays true.
//!
//! Each rule reads the source with comments and string literals blanked out
//! (a doc comment may say `println!`; code may not) and test code left out
//! (`tests.rs` files and `#[cfg(test)]` items). A violation names the file
//! and line and the rule it breaks. The planted tests at the bottom show each
//! rule failing on a small source tree made for it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// Where output is written. `error.rs` prints the final error line and
/// `main.rs` hands `tracing` its writer for `-v` logs; everything else goes
/// through `output`.
const PRINT_HOMES: &[&str] = &["src/output/", "src/error.rs", "src/main.rs"];

/// The one place that ends the process early (the third Ctrl-C).
const EXIT_HOMES: &[&str] = &["src/error.rs"];

/// Where exit-code numbers and `ExitCode` may appear: the table, and `main`
/// returning what the table gives it.
const CODE_HOMES: &[&str] = &["src/error.rs", "src/main.rs"];

/// Which modules may name which crate. `output/records.rs` reads a consumed
/// record through rdkafka's `Message` trait (ARCHITECTURE.md says so).
const CRATE_HOMES: &[(&str, &[&str])] = &[
    ("redis", &["src/pubsub/"]),
    ("rdkafka", &["src/kafka/", "src/output/records.rs"]),
];

/// Where clap's types may be named: the CLI itself, `config` (which turns
/// them into settings), `main` (which parses) and `generate` (which renders
/// completions and man pages from the definition).
const CLI_HOMES: &[&str] = &[
    "src/cli.rs",
    "src/cli/",
    "src/config.rs",
    "src/config/",
    "src/main.rs",
    "src/generate.rs",
];

/// Which modules a module may not name: the layers of ARCHITECTURE.md.
/// Commands use the layers below them and never each other; `output` sits
/// beside the brokers and imports none of them; the broker layers never
/// reach up into a command or `output`; the bottom modules name none of
/// the modules above them.
const LAYERS: &[(&str, &[&str])] = &[
    ("publish", &["replay", "tail", "health", "topic", "serve"]),
    ("replay", &["publish", "tail", "health", "topic", "serve"]),
    ("tail", &["publish", "replay", "health", "topic", "serve"]),
    ("health", &["publish", "replay", "tail", "topic", "serve"]),
    ("topic", &["publish", "replay", "tail", "health", "serve"]),
    ("serve", &["publish", "replay", "tail", "health", "topic"]),
    // Between the commands and the brokers: what two commands share.
    (
        "window",
        &["publish", "replay", "tail", "health", "topic", "serve"],
    ),
    (
        "output",
        &[
            "kafka", "pubsub", "publish", "replay", "tail", "health", "topic", "serve", "window",
        ],
    ),
    (
        "kafka",
        &[
            "output", "pubsub", "publish", "replay", "tail", "health", "topic", "serve", "window",
        ],
    ),
    (
        "pubsub",
        &[
            "output", "kafka", "publish", "replay", "tail", "health", "topic", "serve", "window",
        ],
    ),
    ("event", BOTTOM_NEVER),
    ("input", BOTTOM_NEVER),
    ("duration", BOTTOM_NEVER),
    ("error", BOTTOM_NEVER),
    ("findings", BOTTOM_NEVER),
    ("warn", BOTTOM_NEVER),
    ("select", BOTTOM_NEVER),
];

const BOTTOM_NEVER: &[&str] = &[
    "kafka", "pubsub", "output", "config", "publish", "replay", "tail", "health", "topic", "serve",
    "window",
];

/// Names a type of ours must not take: the prelude's, and the std types
/// this code imports by name.
const TAKEN: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "From",
    "Into",
    "TryFrom",
    "TryInto",
    "Default",
    "Drop",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Iterator",
    "IntoIterator",
    "Extend",
    "ToString",
    "ToOwned",
    "Fn",
    "FnMut",
    "FnOnce",
    "AsRef",
    "AsMut",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Duration",
    "Instant",
    "Arc",
    "Mutex",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "Path",
    "PathBuf",
    "Cow",
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    rule: &'static str,
    what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.rule, self.what
        )
    }
}

/// One source file, as the rules see it.
struct Source {
    /// Relative to the crate, with `/`: `src/kafka/read.rs`.
    path: String,
    /// Its module path: `["kafka", "read"]`; the crate root is empty.
    module: Vec<String>,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
}

impl Token {
    fn is(&self, s: &str) -> bool {
        self.text == s
    }
    fn ident(&self) -> bool {
        self.text
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    }
}

fn in_homes(path: &str, homes: &[&str]) -> bool {
    homes.iter().any(|h| {
        if h.ends_with('/') {
            path.starts_with(h)
        } else {
            path == *h
        }
    })
}

// ---------------------------------------------------------------- reading

/// The text with comments and the contents of string and character literals
/// replaced by spaces; line breaks stay where they were.
fn blank(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let keep = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                keep(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    keep(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (i == 0 || !ident(c[i - 1]) || (c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2]))))
            && matches!(next, Some('"') | Some('#'))
        {
            // A raw string r"…" or r#"…"#, or the identifier r#name.
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            for ch in &c[i..=j] {
                out.push(*ch);
            }
            i = j + 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    for ch in &c[i..=i + hashes] {
                        out.push(*ch);
                    }
                    i += hashes + 1;
                    break;
                }
                keep(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '"' {
            out.push('"');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' && i + 1 < c.len() {
                    keep(&mut out, c[i]);
                    i += 1;
                }
                keep(&mut out, c[i]);
                i += 1;
            }
            if i < c.len() {
                out.push('"');
                i += 1;
            }
        } else if c[i] == '\''
            && (next == Some('\\') || (next.is_some() && c.get(i + 2) == Some(&'\'')))
        {
            // A character literal, not a lifetime.
            out.push('\'');
            i += 1;
            if c[i] == '\\' {
                keep(&mut out, c[i]);
                i += 1;
            }
            while i < c.len() && c[i] != '\'' {
                keep(&mut out, c[i]);
                i += 1;
            }
            if i < c.len() {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn tokenize(text: &str) -> Vec<Token> {
    let c: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            tokens.push(Token {
                text: c[start..i].iter().collect(),
                line,
            });
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            tokens.push(Token {
                text: ch.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// Tokens without test code: each `#[cfg(test)]` item (up to its `;` or
/// through its braces) is dropped.
fn without_tests(tokens: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let cfg_test = ["#", "[", "cfg", "(", "test", ")", "]"]
            .iter()
            .enumerate()
            .all(|(k, s)| tokens.get(i + k).is_some_and(|t| t.is(s)));
        if !cfg_test {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        i += 7;
        while i < tokens.len() && !tokens[i].is(";") && !tokens[i].is("{") {
            i += 1;
        }
        if i < tokens.len() && tokens[i].is("{") {
            let mut depth = 0;
            while i < tokens.len() {
                if tokens[i].is("{") {
                    depth += 1;
                } else if tokens[i].is("}") {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                i += 1;
            }
        }
        i += 1;
    }
    out
}

fn module_of(path: &str) -> Vec<String> {
    let rel = path.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "main" || p == "lib")
    {
        parts.pop();
    }
    parts
}

fn parse(files: &[(String, String)]) -> Vec<Source> {
    files
        .iter()
        .filter(|(path, _)| !path.ends_with("/tests.rs"))
        .map(|(path, text)| Source {
            path: path.clone(),
            module: module_of(path),
            tokens: without_tests(tokenize(&blank(text))),
        })
        .collect()
}

fn read_src(root: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under the crate");
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((rel.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("src"), root, &mut out);
    out
}

// ---------------------------------------------------------------- rules

fn check(files: &[(String, String)]) -> Vec<Violation> {
    let sources = parse(files);
    let mut found = Vec::new();
    for s in &sources {
        printing(s, &mut found);
        exiting(s, &mut found);
        exit_codes(s, &mut found);
        crates(s, &mut found);
        renames(s, &mut found);
    }
    let refs = references(&sources);
    cli_types(&refs, &mut found);
    layers(&refs, &mut found);
    cycles(&sources, &refs, &mut found);
    names(&sources, &mut found);
    found.sort();
    found.dedup();
    found
}

fn violation(s: &Source, t: &Token, rule: &'static str, what: String) -> Violation {
    Violation {
        file: s.path.clone(),
        line: t.line,
        rule,
        what,
    }
}

/// Print macros and the standard streams only where output is written.
fn printing(s: &Source, found: &mut Vec<Violation>) {
    if in_homes(&s.path, PRINT_HOMES) {
        return;
    }
    let macros = ["println", "print", "eprintln", "eprint", "dbg"];
    for (i, t) in s.tokens.iter().enumerate() {
        let next = s.tokens.get(i + 1);
        let called = next.is_some_and(|n| n.is("!")) && macros.contains(&t.text.as_str());
        // `io::stdout()`, `std::io::stderr` (a writer handed on); a variable
        // or a field named `stdout` is not a stream of its own.
        let stream = (t.is("stdout") || t.is("stderr")) && i > 0 && s.tokens[i - 1].is("::");
        if called || stream {
            found.push(violation(
                s,
                t,
                "output only through output/",
                format!("`{}` outside {PRINT_HOMES:?}", t.text),
            ));
        }
    }
}

/// `process::exit` only in its one home.
fn exiting(s: &Source, found: &mut Vec<Violation>) {
    if in_homes(&s.path, EXIT_HOMES) {
        return;
    }
    for (i, t) in s.tokens.iter().enumerate() {
        let path_call = t.is("process")
            && s.tokens.get(i + 1).is_some_and(|n| n.is("::"))
            && s.tokens.get(i + 2).is_some_and(|n| n.is("exit"));
        let imported =
            t.is("exit") && i >= 2 && s.tokens[i - 1].is("::") && s.tokens[i - 2].is("process");
        if path_call || imported {
            found.push(violation(
                s,
                t,
                "the process exits in one place",
                format!("`process::exit` outside {EXIT_HOMES:?}"),
            ));
        }
    }
}

/// Exit-code numbers are `error.rs`'s: no `ExitCode` and none of the
/// numbers only an exit code has (124, 130, 143) anywhere else.
fn exit_codes(s: &Source, found: &mut Vec<Violation>) {
    if in_homes(&s.path, CODE_HOMES) {
        return;
    }
    for t in &s.tokens {
        let number = ["124", "130", "143"].contains(&t.text.as_str());
        if number || t.is("ExitCode") {
            found.push(violation(
                s,
                t,
                "exit codes only in error.rs",
                format!("`{}` outside {CODE_HOMES:?}", t.text),
            ));
        }
    }
}

/// `redis` and `rdkafka` named only inside their modules.
fn crates(s: &Source, found: &mut Vec<Violation>) {
    for (i, t) in s.tokens.iter().enumerate() {
        let Some((name, homes)) = CRATE_HOMES.iter().find(|(name, _)| t.is(name)) else {
            continue;
        };
        // `x.redis` or `Foo::redis` is a field or a function, not the crate.
        let after_path = i > 0 && (s.tokens[i - 1].is("::") || s.tokens[i - 1].is("."));
        let crate_path = s.tokens.get(i + 1).is_some_and(|n| n.is("::"));
        let in_use = i > 0 && s.tokens[i - 1].is("use");
        if !after_path && (crate_path || in_use) && !in_homes(&s.path, homes) {
            found.push(violation(
                s,
                t,
                "broker crates only in their modules",
                format!("`{name}::` outside {homes:?}"),
            ));
        }
    }
}

/// No `use … as Name`: a type that needs renaming to be imported is named
/// twice. `as _` (a trait brought into scope for its methods) is fine.
fn renames(s: &Source, found: &mut Vec<Violation>) {
    let mut in_use = false;
    for (i, t) in s.tokens.iter().enumerate() {
        if t.is("use") {
            in_use = true;
        } else if t.is(";") {
            in_use = false;
        } else if in_use && t.is("as") {
            if let Some(n) = s.tokens.get(i + 1).filter(|n| !n.is("_")) {
                found.push(violation(
                    s,
                    t,
                    "no import renames",
                    format!("imported `as {}`", n.text),
                ));
            }
        }
    }
}

/// A reference from one module to another, where it is written.
#[derive(Debug, Clone)]
struct Reference {
    from: Vec<String>,
    to: Vec<String>,
    file: String,
    line: usize,
}

/// Every module each source names through `crate::`, `super::` or `self::`
/// paths (in `use` trees and in code), resolved to the deepest module of
/// the crate the path goes through.
fn references(sources: &[Source]) -> Vec<Reference> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut refs = Vec::new();
    for s in sources {
        // A file module's own path, for `self` and `super`.
        let here = &s.module;
        let mut i = 0;
        while i < s.tokens.len() {
            let t = &s.tokens[i];
            let starts = (t.is("crate") || t.is("super") || t.is("self"))
                && s.tokens.get(i + 1).is_some_and(|n| n.is("::"))
                && !(i > 0 && (s.tokens[i - 1].is("::") || s.tokens[i - 1].is("$")));
            if !starts {
                i += 1;
                continue;
            }
            let mut base: Vec<String> = match t.text.as_str() {
                "crate" => Vec::new(),
                "self" => here.clone(),
                _ => here[..here.len().saturating_sub(1)].to_vec(),
            };
            let mut j = i + 2;
            // super::super::…
            while s.tokens.get(j).is_some_and(|n| n.is("super"))
                && s.tokens.get(j + 1).is_some_and(|n| n.is("::"))
            {
                base.pop();
                j += 2;
            }
            let mut paths = Vec::new();
            let end = tree(&s.tokens, j, base, &mut paths);
            for (path, line) in paths {
                let to = deepest(&modules, &path);
                refs.push(Reference {
                    from: here.clone(),
                    to,
                    file: s.path.clone(),
                    line,
                });
            }
            i = end.max(i + 1);
        }
    }
    refs
}

/// Parses a path or use tree starting at `i` (after a `::`), appending each
/// full path it names; returns the index after it.
fn tree(
    tokens: &[Token],
    mut i: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    loop {
        let Some(t) = tokens.get(i) else {
            out.push((prefix, tokens.last().map_or(0, |t| t.line)));
            return i;
        };
        if t.is("{") {
            i += 1;
            loop {
                match tokens.get(i) {
                    None => return i,
                    Some(t) if t.is("}") => return i + 1,
                    Some(t) if t.is(",") => i += 1,
                    Some(t) if t.is("self") => {
                        out.push((prefix.clone(), t.line));
                        i += 1;
                    }
                    Some(_) => i = tree(tokens, i, prefix.clone(), out),
                }
            }
        }
        if t.is("*") {
            out.push((prefix, t.line));
            return i + 1;
        }
        if !t.ident() {
            out.push((prefix, t.line));
            return i;
        }
        prefix.push(t.text.clone());
        if tokens.get(i + 1).is_some_and(|n| n.is("::")) {
            i += 2;
        } else {
            out.push((prefix, t.line));
            i += 1;
            // `x as y`
            if tokens.get(i).is_some_and(|n| n.is("as")) {
                i += 2;
            }
            return i;
        }
    }
}

fn deepest(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

fn is_prefix(a: &[String], b: &[String]) -> bool {
    a.len() <= b.len() && a == &b[..a.len()]
}

/// clap's types stop at `config`: no other module names `cli`.
fn cli_types(refs: &[Reference], found: &mut Vec<Violation>) {
    let cli = vec!["cli".to_string()];
    for r in refs {
        if is_prefix(&cli, &r.to) && !in_homes(&r.file, CLI_HOMES) {
            found.push(Violation {
                file: r.file.clone(),
                line: r.line,
                rule: "cli types stop at config",
                what: format!("names `crate::{}`", r.to.join("::")),
            });
        }
    }
}

/// A module names nothing its layer may not (see [`LAYERS`]).
fn layers(refs: &[Reference], found: &mut Vec<Violation>) {
    for r in refs {
        let (Some(from), Some(to)) = (r.from.first(), r.to.first()) else {
            continue;
        };
        let Some((_, never)) = LAYERS.iter().find(|(m, _)| m == from) else {
            continue;
        };
        if never.contains(&to.as_str()) {
            found.push(Violation {
                file: r.file.clone(),
                line: r.line,
                rule: "layers",
                what: format!("`{from}` names `crate::{}`", r.to.join("::")),
            });
        }
    }
}

/// No import cycle: among the children of every module (the crate's
/// top-level modules, the files of `kafka/`, …), a child that uses a
/// sibling must not be used back by it, directly or around a loop. A module
/// naming its own parent or child is not an import between siblings.
fn cycles(sources: &[Source], refs: &[Reference], found: &mut Vec<Violation>) {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut parents: BTreeSet<Vec<String>> = BTreeSet::new();
    for m in &modules {
        for n in 0..m.len() {
            parents.insert(m[..n].to_vec());
        }
    }
    for parent in parents {
        // sibling → sibling → where it is written
        let mut edges: BTreeMap<String, BTreeMap<String, (String, usize)>> = BTreeMap::new();
        for r in refs {
            if !is_prefix(&parent, &r.from) || !is_prefix(&parent, &r.to) {
                continue;
            }
            let (Some(a), Some(b)) = (r.from.get(parent.len()), r.to.get(parent.len())) else {
                continue;
            };
            if a != b {
                edges
                    .entry(a.clone())
                    .or_default()
                    .entry(b.clone())
                    .or_insert((r.file.clone(), r.line));
            }
        }
        for cycle in find_cycles(&edges) {
            let (file, line) = edges[&cycle[0]][&cycle[1]].clone();
            let around: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let (f, l) = &edges[&w[0]][&w[1]];
                    format!("{} → {} ({f}:{l})", w[0], w[1])
                })
                .collect();
            let under = if parent.is_empty() {
                "the crate".to_string()
            } else {
                parent.join("::")
            };
            found.push(Violation {
                file,
                line,
                rule: "no import cycle",
                what: format!("in {under}: {}", around.join(", ")),
            });
        }
    }
}

/// One cycle per strongly connected group of siblings, as a closed walk
/// `[a, b, …, a]`.
fn find_cycles(edges: &BTreeMap<String, BTreeMap<String, (String, usize)>>) -> Vec<Vec<String>> {
    let mut cycles = Vec::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for start in edges.keys() {
        if reported.contains(start) {
            continue;
        }
        // Shortest walk back to `start`, breadth first.
        let mut came_from: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        let mut closed = None;
        while let Some(node) = queue.pop_front() {
            for next in edges.get(&node).into_iter().flat_map(|m| m.keys()) {
                if next == start {
                    closed = Some(node.clone());
                    queue.clear();
                    break;
                }
                if !came_from.contains_key(next) {
                    came_from.insert(next.clone(), node.clone());
                    queue.push_back(next.clone());
                }
            }
        }
        if let Some(last) = closed {
            // [last, …, start] by the way the search came, then forward.
            let mut walk = vec![last.clone()];
            let mut at = last;
            while &at != start {
                at = came_from[&at].clone();
                walk.push(at.clone());
            }
            walk.reverse();
            walk.push(start.clone());
            let forward = walk;
            reported.extend(forward.iter().cloned());
            cycles.push(forward);
        }
    }
    cycles
}

/// Each type name once in `src/`, and none that shadows the prelude or a
/// std type this code imports.
fn names(sources: &[Source], found: &mut Vec<Violation>) {
    let mut seen: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for s in sources {
        // Blocks opened by `impl` or `trait` hold associated types, not types.
        let mut blocks: Vec<bool> = Vec::new();
        let mut pending_assoc = false;
        for (i, t) in s.tokens.iter().enumerate() {
            match t.text.as_str() {
                "impl" | "trait" => pending_assoc = true,
                ";" => pending_assoc = false,
                "{" => {
                    let inside = blocks.last().copied().unwrap_or(false);
                    blocks.push(pending_assoc || inside);
                    pending_assoc = false;
                }
                "}" => {
                    blocks.pop();
                }
                "struct" | "enum" | "union" | "type" => {
                    let assoc = blocks.last().copied().unwrap_or(false);
                    if assoc && t.is("type") {
                        continue;
                    }
                    let Some(name) = s.tokens.get(i + 1).filter(|n| n.ident()) else {
                        continue;
                    };
                    seen.entry(name.text.clone())
                        .or_default()
                        .push((s.path.clone(), name.line));
                }
                _ => {}
            }
            if t.is("trait") {
                if let Some(name) = s.tokens.get(i + 1).filter(|n| n.ident()) {
                    seen.entry(name.text.clone())
                        .or_default()
                        .push((s.path.clone(), name.line));
                }
            }
        }
    }
    for (name, places) in seen {
        if TAKEN.contains(&name.as_str()) {
            let (file, line) = places[0].clone();
            found.push(Violation {
                file,
                line,
                rule: "names say one thing",
                what: format!("type `{name}` shadows std's"),
            });
        }
        if places.len() > 1 {
            let all: Vec<String> = places.iter().map(|(f, l)| format!("{f}:{l}")).collect();
            for (file, line) in &places {
                found.push(Violation {
                    file: file.clone(),
                    line: *line,
                    rule: "names say one thing",
                    what: format!(
                        "type `{name}` declared {} times: {}",
                        places.len(),
                        all.join(", ")
                    ),
                });
            }
        }
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn src_keeps_the_rules_of_architecture_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = read_src(root);
    assert!(
        files.len() > 20,
        "src/ has {} files: wrong root?",
        files.len()
    );
    let found = check(&files);
    let listed: Vec<String> = found.iter().map(|v| v.to_string()).collect();
    assert!(
        found.is_empty(),
        "{} violations of ARCHITECTURE.md:\n{}",
        found.len(),
        listed.join("\n")
    );
}

/// The violations in a planted tree, as text.
fn planted(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    check(&files).iter().map(|v| v.to_string()).collect()
}

fn assert_found(found: &[String], at: &str, rule: &str) {
    assert!(
        found.iter().any(|v| v.starts_with(at) && v.contains(rule)),
        "expected `{at}: {rule}…` among {found:#?}"
    );
}

const CLEAN_ROOT: (&str, &str) = ("src/main.rs", "mod tail;\nfn main() {}\n");

#[test]
fn a_clean_tree_passes_and_comments_strings_and_tests_do_not_count() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/tail/mod.rs",
            "//! println!(\"x\") in a doc, redis:: too\n\
             fn f() -> &'static str { let c = '\"'; let s = \"println!() 130 process::exit\"; s }\n\
             fn g() { let r = r#\"eprintln!(\"a\")\"#; }\n\
             #[cfg(test)]\nmod tests { fn t() { println!(\"ok in a test\"); std::process::exit(3); } }\n",
        ),
        ("src/tail/tests.rs", "fn t() { println!(\"ok\"); }\n"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_print_outside_output_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        ("src/tail/mod.rs", "fn f() {\n    eprintln!(\"x\");\n}\n"),
        ("src/output/mod.rs", "fn f() { println!(\"fine here\"); }\n"),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_found(&found, "src/tail/mod.rs:2", "output only through output/");
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/tail/mod.rs",
            "fn f() {\n\n    let _ = std::io::stdout();\n}\n",
        ),
    ]);
    assert_found(&found, "src/tail/mod.rs:3", "output only through output/");
}

#[test]
fn an_exit_outside_its_home_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/shutdown.rs",
            "fn f() {\n    std::process::exit(1);\n}\n",
        ),
    ]);
    assert_found(
        &found,
        "src/shutdown.rs:2",
        "the process exits in one place",
    );
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/shutdown.rs",
            "use std::process::exit;\nfn f() { exit(1) }\n",
        ),
    ]);
    assert_found(
        &found,
        "src/shutdown.rs:1",
        "the process exits in one place",
    );
}

#[test]
fn an_exit_code_number_outside_error_rs_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/shutdown.rs",
            "fn code(term: bool) -> i32 {\n    if term { 143 } else { 0 }\n}\n",
        ),
    ]);
    assert_found(&found, "src/shutdown.rs:2", "exit codes only in error.rs");
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/tail/mod.rs",
            "fn f() -> std::process::ExitCode { todo!() }\n",
        ),
    ]);
    assert_found(&found, "src/tail/mod.rs:1", "exit codes only in error.rs");
}

#[test]
fn a_broker_crate_outside_its_module_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/tail/mod.rs",
            "use std::sync::Arc;\nuse redis::AsyncCommands;\n",
        ),
        ("src/pubsub/mod.rs", "use redis::Client;\n"),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_found(
        &found,
        "src/tail/mod.rs:2",
        "broker crates only in their modules",
    );
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/publish.rs",
            "fn f(m: &rdkafka::message::BorrowedMessage) {}\nfn g(s: S) { s.redis(); }\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_found(
        &found,
        "src/publish.rs:1",
        "broker crates only in their modules",
    );
}

#[test]
fn a_cli_type_past_config_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        ("src/cli.rs", "pub enum Compression { Zstd }\n"),
        ("src/config.rs", "use crate::cli::Compression;\n"),
        (
            "src/replay/sink.rs",
            "use crate::config::Job;\nuse crate::{cli::Compression, event};\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_found(&found, "src/replay/sink.rs:2", "cli types stop at config");
}

#[test]
fn an_import_cycle_between_siblings_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/pubsub/mod.rs",
            "mod sharded;\nmod subscribe;\npub use subscribe::Feed;\n",
        ),
        (
            "src/pubsub/subscribe.rs",
            "use super::Target;\n\nuse super::sharded::Slots;\n",
        ),
        (
            "src/pubsub/sharded.rs",
            "use super::subscribe::{Feed, Item};\n",
        ),
    ]);
    assert_found(&found, "src/pubsub/", "no import cycle");
    assert!(
        found
            .iter()
            .any(|v| v.contains("sharded → subscribe") || v.contains("subscribe → sharded")),
        "{found:#?}"
    );
    // Between top-level modules, around three of them.
    let found = planted(&[
        CLEAN_ROOT,
        ("src/output/mod.rs", "use crate::pubsub::Warn;\n"),
        (
            "src/pubsub/mod.rs",
            "fn f() { crate::kafka::admin::check(); }\n",
        ),
        (
            "src/kafka/admin.rs",
            "use crate::{duration, output::records};\n",
        ),
        ("src/kafka/mod.rs", "pub mod admin;\n"),
    ]);
    assert_found(&found, "src/", "no import cycle");
    assert!(
        found.iter().any(|v| v.contains("in the crate")),
        "{found:#?}"
    );
    // A child using its parent, and a parent its children, is no cycle.
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/kafka/mod.rs",
            "mod read;\npub use read::plan;\npub struct Context;\n",
        ),
        (
            "src/kafka/read.rs",
            "use super::Context;\nuse crate::kafka::Context as _;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_name_declared_twice_or_shadowing_std_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        ("src/tail/mod.rs", "pub struct Stop;\n"),
        (
            "src/publish.rs",
            "\nenum Stop { Now }\nimpl Iterator for X { type Item = u8; }\n",
        ),
        ("src/event.rs", "pub struct Item;\n"),
    ]);
    assert_found(&found, "src/tail/mod.rs:1", "type `Stop` declared 2 times");
    assert_found(&found, "src/publish.rs:2", "type `Stop` declared 2 times");
    assert!(!found.iter().any(|v| v.contains("`Item`")), "{found:#?}");
    let found = planted(&[
        CLEAN_ROOT,
        ("src/tail/catchup.rs", "pub enum From { Start }\n"),
    ]);
    assert_found(&found, "src/tail/catchup.rs:1", "type `From` shadows std's");
}

#[test]
fn an_import_rename_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/publish.rs",
            "use std::fmt::Write as _;\nuse crate::kafka::{admin, config as kafka_config};\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_found(&found, "src/publish.rs:2", "no import renames");
}

#[test]
fn a_module_reaching_past_its_layer_is_named() {
    let found = planted(&[
        CLEAN_ROOT,
        (
            "src/output/report.rs",
            "use crate::event::Event;\n\nuse crate::kafka::admin::KafkaReport;\n",
        ),
        ("src/tail/mod.rs", "fn f() { crate::replay::run(); }\n"),
        ("src/kafka/read.rs", "use crate::output::Output;\n"),
        ("src/kafka/admin.rs", "pub struct KafkaReport;\n"),
        ("src/replay/mod.rs", "pub fn run() {}\n"),
        ("src/output/mod.rs", "pub struct Output;\n"),
        ("src/event.rs", "pub struct Event;\n"),
    ]);
    assert_found(&found, "src/output/report.rs:3", "layers");
    assert_found(&found, "src/tail/mod.rs:1", "layers");
    assert_found(&found, "src/kafka/read.rs:1", "layers");
    assert!(
        !found.iter().any(|v| v.contains("report.rs:1")),
        "{found:#?}"
    );
}
