//! Picking messages by their fields: `--filter` (which messages to print
//! and count) and `--expect` (which events must arrive). Both name a field
//! the same way — `id`, `type`, `source_type`, `source_id`, or a dotted path
//! into the message's JSON body — and compare values as text. Pure: the
//! callers read files and messages, this module only decides.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::event::FieldPath;

/// A field a filter or an expectation names.
#[derive(Clone, Debug)]
pub enum Key {
    Id,
    Kind,
    SourceType,
    SourceId,
    /// Any other name: a dotted path into the JSON body.
    Path(FieldPath),
}

impl Key {
    /// `id`, `type`, `source_type`, `source_id`, else a dotted path.
    pub fn parse(name: &str) -> Result<Key, String> {
        Ok(match name.trim() {
            "" => return Err("empty field name".to_string()),
            "id" => Key::Id,
            "type" => Key::Kind,
            "source_type" => Key::SourceType,
            "source_id" => Key::SourceId,
            path => Key::Path(FieldPath::new(path)),
        })
    }

    fn same(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Path(a), Key::Path(b)) => a.as_str() == b.as_str(),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    fn is_path(&self) -> bool {
        matches!(self, Key::Path(_))
    }
}

/// What one message offers to match against: the four fields of the event
/// model (from headers, the key or a notification) and the JSON body that
/// dotted paths look into.
#[derive(Debug, Default)]
pub struct View<'a> {
    pub id: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub source_type: Option<&'a str>,
    pub source_id: Option<&'a str>,
    pub body: Option<&'a Map<String, Value>>,
}

impl<'a> View<'a> {
    /// The field's value as text: strings as they are, anything else as
    /// compact JSON (so `17` matches the number 17 and the string "17").
    pub fn get(&self, key: &Key) -> Option<Cow<'a, str>> {
        let known = match key {
            Key::Id => self.id,
            Key::Kind => self.kind,
            Key::SourceType => self.source_type,
            Key::SourceId => self.source_id,
            Key::Path(path) => return path.lookup(self.body?).map(text),
        };
        known.map(Cow::Borrowed)
    }
}

/// A JSON value as the text filters and expectations compare.
fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// `--filter type=push,source_type=repo,repo.name=x`: every field named
/// must have one of the values given for it (a field named twice accepts
/// either value).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    conditions: Vec<(Key, Vec<String>)>,
}

impl Filter {
    pub fn parse(terms: &[String]) -> Result<Filter, String> {
        let mut filter = Filter::default();
        for term in terms.iter().filter(|t| !t.is_empty()) {
            let (name, value) = term
                .split_once('=')
                .ok_or_else(|| format!("--filter {term:?}: expected FIELD=VALUE"))?;
            let key = Key::parse(name).map_err(|e| format!("--filter {term:?}: {e}"))?;
            match filter.conditions.iter_mut().find(|(k, _)| k.same(&key)) {
                Some((_, values)) => values.push(value.to_string()),
                None => filter.conditions.push((key, vec![value.to_string()])),
            }
        }
        Ok(filter)
    }

    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// Whether a dotted path is named: the caller must parse the body.
    pub fn needs_body(&self) -> bool {
        self.conditions.iter().any(|(k, _)| k.is_path())
    }

    pub fn matches(&self, view: &View<'_>) -> bool {
        self.conditions.iter().all(|(key, values)| {
            view.get(key)
                .is_some_and(|actual| values.iter().any(|v| *v == *actual))
        })
    }
}

/// One line of an `--expect` file.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// 1-based line in the file.
    pub line: usize,
    /// The line as written (trimmed), for reports.
    pub text: String,
    terms: Vec<(Key, String)>,
}

/// The expectations of one `--expect` file and how often each was met.
#[derive(Debug)]
pub struct Expectations {
    /// The file's name as given, for reports.
    pub file: String,
    items: Vec<Expectation>,
    met: Vec<u64>,
    /// Expectations that are a bare id, by id: the common case stays O(1)
    /// per message however long the file.
    by_id: HashMap<String, Vec<usize>>,
    /// The others, checked one by one.
    general: Vec<usize>,
    unmet: usize,
}

/// Where an expectation stands at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Met,
    Missing,
    /// Met this many times (more than once).
    Duplicated(u64),
}

impl Expectations {
    /// Parse an expectation file: one expectation a line, either an event
    /// id or a JSON object of field values (`{"type":"order.created",
    /// "source_id":"o-17"}`). Blank lines and `#` comments are skipped.
    /// Errors name `file:line`.
    pub fn parse(file: &str, content: &str) -> Result<Expectations, String> {
        let mut items = Vec::new();
        for (n, raw) in content.lines().enumerate() {
            let line = n + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let terms = if trimmed.starts_with('{') {
                let object: Map<String, Value> = serde_json::from_str(trimmed).map_err(|e| {
                    format!(
                        "{file}:{line}:{}: not a JSON object of field values: {}",
                        e.column(),
                        e.to_string()
                            .rsplit_once(" at line ")
                            .map_or(e.to_string(), |(m, _)| m.to_string())
                    )
                })?;
                if object.is_empty() {
                    return Err(format!(
                        "{file}:{line}: {{}} would match every event: name at least one field"
                    ));
                }
                object
                    .iter()
                    .map(|(k, v)| {
                        let key = Key::parse(k).map_err(|e| format!("{file}:{line}: {e}"))?;
                        Ok((key, text(v).into_owned()))
                    })
                    .collect::<Result<Vec<_>, String>>()?
            } else {
                vec![(Key::Id, trimmed.to_string())]
            };
            items.push(Expectation {
                line,
                text: trimmed.to_string(),
                terms,
            });
        }
        if items.is_empty() {
            return Err(format!(
                "{file}: no expectations (one event id or JSON object a line)"
            ));
        }
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut general = Vec::new();
        for (i, e) in items.iter().enumerate() {
            match e.terms.as_slice() {
                [(Key::Id, id)] => by_id.entry(id.clone()).or_default().push(i),
                _ => general.push(i),
            }
        }
        Ok(Expectations {
            file: file.to_string(),
            met: vec![0; items.len()],
            unmet: items.len(),
            items,
            by_id,
            general,
        })
    }

    /// Whether some expectation names a dotted path: the caller must parse the body.
    pub fn needs_body(&self) -> bool {
        self.items
            .iter()
            .any(|e| e.terms.iter().any(|(k, _)| k.is_path()))
    }

    /// Count this message against every expectation it meets; returns
    /// whether it met any.
    pub fn observe(&mut self, view: &View<'_>) -> bool {
        let by_id = view
            .id
            .and_then(|id| self.by_id.get(id))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let general = self.general.iter().copied().filter(|&i| {
            self.items[i]
                .terms
                .iter()
                .all(|(key, want)| view.get(key).is_some_and(|got| *got == **want))
        });
        let hits: Vec<usize> = by_id.iter().copied().chain(general).collect();
        for &i in &hits {
            if self.met[i] == 0 {
                self.unmet -= 1;
            }
            self.met[i] += 1;
        }
        !hits.is_empty()
    }

    pub fn all_met(&self) -> bool {
        self.unmet == 0
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// How many expectations were met at least once.
    pub fn met(&self) -> usize {
        self.items.len() - self.unmet
    }

    /// Each expectation with where it stands.
    pub fn standings(&self) -> impl Iterator<Item = (&Expectation, Standing)> {
        self.items.iter().zip(&self.met).map(|(e, &n)| {
            (
                e,
                match n {
                    0 => Standing::Missing,
                    1 => Standing::Met,
                    n => Standing::Duplicated(n),
                },
            )
        })
    }

    pub fn missing(&self) -> impl Iterator<Item = &Expectation> {
        self.standings()
            .filter(|(_, s)| *s == Standing::Missing)
            .map(|(e, _)| e)
    }

    pub fn duplicated(&self) -> impl Iterator<Item = (&Expectation, u64)> {
        self.standings().filter_map(|(e, s)| match s {
            Standing::Duplicated(n) => Some((e, n)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    fn view<'a>(body: &'a Map<String, Value>) -> View<'a> {
        View {
            id: body.get("id").and_then(Value::as_str),
            kind: body.get("type").and_then(Value::as_str),
            source_type: Some("repo"),
            source_id: body.get("source_id").and_then(Value::as_str),
            body: Some(body),
        }
    }

    fn filter(terms: &[&str]) -> Result<Filter, String> {
        Filter::parse(&terms.iter().map(|t| t.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn filters_on_known_fields_and_paths() {
        let body = object(r#"{"id":"i","type":"push","source_id":"a","n":17,"repo":{"name":"x"}}"#);
        let v = view(&body);
        assert!(filter(&["type=push"]).unwrap().matches(&v));
        assert!(filter(&["type=pr", "type=push", "source_id=a"])
            .unwrap()
            .matches(&v));
        assert!(!filter(&["type=push", "source_type=issue"])
            .unwrap()
            .matches(&v));
        assert!(filter(&["source_type=repo"]).unwrap().matches(&v));
        assert!(filter(&[" id =i"]).unwrap().matches(&v));
        assert!(!filter(&["id=j"]).unwrap().matches(&v));
        assert!(filter(&["repo.name=x", "n=17"]).unwrap().matches(&v));
        assert!(!filter(&["repo.name=y"]).unwrap().matches(&v));
        // A path that is not there never matches, not even an empty value.
        assert!(!filter(&["colour="]).unwrap().matches(&v));
        // Without a body, paths match nothing; known fields still do.
        let bare = View {
            body: None,
            ..view(&body)
        };
        assert!(!filter(&["n=17"]).unwrap().matches(&bare));
        assert!(filter(&["type=push"]).unwrap().matches(&bare));
    }

    #[test]
    fn filter_shape() {
        assert!(filter(&[]).unwrap().is_empty());
        assert!(filter(&[""]).unwrap().is_empty());
        assert!(!filter(&["type=push"]).unwrap().is_empty());
        assert!(!filter(&["type=push"]).unwrap().needs_body());
        assert!(filter(&["type=push", "a.b=1"]).unwrap().needs_body());
        assert!(filter(&["type"]).unwrap_err().contains("FIELD=VALUE"));
        assert!(filter(&["=x"]).unwrap_err().contains("empty field name"));
        // Two paths are one field only when they are the same path.
        let f = filter(&["a.b=1", "a.c=2"]).unwrap();
        let body = object(r#"{"a":{"b":1,"c":3}}"#);
        assert!(!f.matches(&view(&body)));
        let f = filter(&["a.b=1", "a.b=2"]).unwrap();
        assert!(f.matches(&view(&body)));
    }

    #[test]
    fn expectation_files() {
        let text =
            "# ids and objects\n\no-1\n  {\"type\":\"t\", \"source_id\":\"a\"}  \n{\"n\": 17}\n";
        let mut x = Expectations::parse("x.expect", text).unwrap();
        assert_eq!(x.len(), 3);
        assert!(x.needs_body());
        let lines: Vec<usize> = x.missing().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);

        let body = object(r#"{"id":"o-1","type":"t","source_id":"a"}"#);
        assert!(x.observe(&view(&body)));
        assert!(!x.all_met());
        let body = object(r#"{"id":"o-2","type":"u","n":"17"}"#);
        assert!(x.observe(&view(&body)));
        assert!(x.all_met());
        let body = object(r#"{"id":"o-3","type":"u"}"#);
        assert!(!x.observe(&view(&body)));
        let body = object(r#"{"id":"o-1","type":"v"}"#);
        assert!(x.observe(&view(&body)));
        let dup: Vec<(usize, u64)> = x.duplicated().map(|(e, n)| (e.line, n)).collect();
        assert_eq!(dup, [(3, 2)]);
        assert_eq!((x.len(), x.met()), (3, 3));
        assert_eq!(x.missing().count(), 0);
    }

    #[test]
    fn expectation_file_errors_name_file_and_line() {
        let err = |t: &str| Expectations::parse("e.txt", t).unwrap_err();
        assert!(err("a\n{\"type\":}\n").starts_with("e.txt:2:9: not a JSON object"));
        assert!(err("a\n[1]x\n{").starts_with("e.txt:3:"));
        assert!(err("{}").starts_with("e.txt:1: {} would match every event"));
        assert!(err("{\" \":1}").starts_with("e.txt:1: empty field name"));
        assert!(err("\n# only a comment\n").starts_with("e.txt: no expectations"));
        assert!(err("").starts_with("e.txt: no expectations"));
    }

    #[test]
    fn missing_expectations_are_listed() {
        let mut x = Expectations::parse("f", "a\nb\n{\"type\":\"t\"}").unwrap();
        let body = object(r#"{"id":"b","type":"x"}"#);
        x.observe(&view(&body));
        let missing: Vec<&str> = x.missing().map(|e| e.text.as_str()).collect();
        assert_eq!(missing, ["a", "{\"type\":\"t\"}"]);
        assert_eq!(x.met(), 1);
        assert_eq!(x.missing().next().map(|e| e.line), Some(1));
    }
}
