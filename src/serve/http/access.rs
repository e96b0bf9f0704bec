//! Reading a client's request into what it wants, its token checked first
//! (`--auth`): the patterns it may have, its filter, where it starts, when
//! its token expires.

use std::time::Duration;

use anyhow::Result;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;

use crate::duration::parse_time_or_ago;
use crate::pubsub::Subscriptions;
use crate::select::Filter;
use crate::serve::hub::Wants;
use crate::serve::session::JoinAt;
use crate::serve::token::Position;

use super::{refuse, App, MOST_URL};

/// Read what a client asks for: `?pattern=` (repeatable, within serve's
/// patterns), `?filter=`, `?full=1`, and where to start: `Last-Event-ID`
/// (which wins), `?last_event_id=`, else `?from=`.
///
/// With `--auth`, the token comes first: none, or one not valid, is a 401;
/// a pattern outside its `channels` claim a 403. A resume is checked the
/// same way: the resume token is a position, never a permission.
pub(super) fn ask(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Asked, Response> {
    let hub = &app.hub;
    if uri.path().len() + uri.query().map_or(0, str::len) > MOST_URL {
        return Err(refuse(StatusCode::URI_TOO_LONG, "the URL is too long"));
    }
    let grant = match &app.verifier {
        None => None,
        Some(v) => Some(v.check(headers, query).map_err(|why| {
            let mut r = refuse(StatusCode::UNAUTHORIZED, why.0);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dualstream\""),
            );
            r
        })?),
    };
    let mut patterns = Vec::new();
    let (mut terms, mut full, mut last, mut from) = (Vec::new(), false, None, None);
    for (k, v) in query {
        match k.as_str() {
            "pattern" => patterns.push(v.clone()),
            "filter" => terms.extend(v.split(',').filter(|t| !t.is_empty()).map(String::from)),
            "full" => full = matches!(v.as_str(), "1" | "true" | "yes"),
            "last_event_id" => last = Some(v.clone()),
            "from" => from = Some(v.clone()),
            _ => {}
        }
    }
    if let Some(g) = &grant {
        let allowed = Subscriptions::new(&g.channels, false);
        if patterns.is_empty() {
            // What both allow: serve's patterns within the claim, and the
            // claim's patterns within serve's.
            let mut both: Vec<String> = hub
                .subs
                .patterns
                .iter()
                .filter(|p| within(&allowed, p))
                .cloned()
                .collect();
            for c in &g.channels {
                if !c.is_empty() && within(&hub.subs, c) && !both.contains(c) {
                    both.push(c.clone());
                }
            }
            if both.is_empty() {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    format!(
                        "the token's channels claim ({}) allows nothing this server serves ({})",
                        g.channels.join(" "),
                        hub.subs.describe()
                    ),
                ));
            }
            patterns = both;
        } else if let Some(p) = patterns.iter().find(|p| !within(&allowed, p)) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "pattern {p:?} is not within the token's channels claim ({})",
                    g.channels.join(" ")
                ),
            ));
        }
    }
    let subs = if patterns.is_empty() {
        hub.subs.clone()
    } else {
        if let Some(p) = patterns.iter().find(|p| !within(&hub.subs, p)) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "pattern {p:?} is not within what this server serves ({})",
                    hub.subs.describe()
                ),
            ));
        }
        Subscriptions::new(&patterns, false)
    };
    let filter = Filter::parse(&terms)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("filter: {e}")))?;
    let header_id = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| refuse(StatusCode::BAD_REQUEST, "Last-Event-ID is not text"))?
                .to_string(),
        ),
        None => None,
    };
    let token = header_id.or(last).filter(|t| !t.trim().is_empty());
    let origin =
        match (token, from.as_deref()) {
            (Some(t), _) => JoinAt::Resume(Position::decode(&t).map_err(|why| {
                refuse(StatusCode::BAD_REQUEST, format!("bad resume token: {why}"))
            })?),
            (None, None | Some("latest")) => JoinAt::Latest,
            (None, Some("earliest")) => JoinAt::Time(0),
            (None, Some(v)) => JoinAt::Time(parse_time_or_ago(v).map_err(|e| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!("from: {e} (latest, earliest, a duration ago such as 10m, or a time)"),
                )
            })?),
        };
    Ok(Asked {
        wants: Wants { subs, filter, full },
        origin,
        expires: grant.as_ref().and_then(|g| deadline(g.expires)),
        cookie: grant.is_some_and(|g| g.from_cookie),
    })
}

/// What a client asked for, once allowed.
pub(super) struct Asked {
    pub(super) wants: Wants,
    pub(super) origin: JoinAt,
    /// When its token expires: the stream ends then.
    pub(super) expires: Option<tokio::time::Instant>,
    /// Its token came in a cookie.
    pub(super) cookie: bool,
}

/// The instant of `exp` (seconds since the epoch); none past what an
/// `Instant` holds.
fn deadline(exp: u64) -> Option<tokio::time::Instant> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    tokio::time::Instant::now().checked_add(Duration::from_secs(exp.saturating_sub(now)))
}

/// Does every channel `pattern` can match fall under `subs`? A name: if
/// `subs` takes it. A glob: if it is one of `subs`' globs, or starts with
/// the literal text before the only `*` of one (`events:*` holds
/// `events:repo:*`).
fn within(subs: &Subscriptions, pattern: &str) -> bool {
    let is_glob = pattern.contains(['*', '?', '[', '\\']);
    if !is_glob {
        return subs.matching(pattern.as_bytes()).is_some();
    }
    subs.patterns.iter().any(|s| {
        if s == pattern {
            return true;
        }
        match s.strip_suffix('*') {
            Some(prefix) if !prefix.contains(['*', '?', '[', '\\']) => {
                pattern.starts_with(prefix)
                    && !pattern[..prefix.len()].contains(['*', '?', '[', '\\'])
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_pattern_lies_within_serves_patterns_or_is_refused() {
        let subs = Subscriptions::new(&["events:*".into(), "audit:x".into()], false);
        assert!(within(&subs, "events:repo:*"));
        assert!(within(&subs, "events:*"));
        assert!(within(&subs, "events:repo:a"));
        assert!(within(&subs, "audit:x"));
        assert!(!within(&subs, "*"));
        assert!(!within(&subs, "audit:*"));
        assert!(!within(&subs, "other:a"));
        assert!(!within(&subs, "event?:a"));
    }
}
