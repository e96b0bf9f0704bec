//! Redis URLs as they may be shown: without a user and password
//! ([`display_url`]), and error texts with a URL's passwords taken out
//! ([`scrub`]). Pure text; nothing here connects.

/// `text` with every password of `url` replaced: the user info's (as
/// written and percent-decoded) and a `pass=` query parameter's.
/// What every command says of a refused password, whichever layer saw it:
/// redis-rs says `Password authentication failed - AuthenticationFailed`,
/// the server `WRONGPASS invalid username-password pair`.
pub const AUTH_FAILED: &str =
    "authentication failed: wrong user or password (check the ones in the Redis URL)";

/// What every command says of a server that wants a password and got none.
pub const AUTH_REQUIRED: &str =
    "authentication required: the server wants a password (give it in the Redis URL: redis://:PASSWORD@host)";

/// `text` (an error from redis-rs or from the server), with a refused or
/// missing password in the one wording of [`AUTH_FAILED`]/[`AUTH_REQUIRED`].
pub fn reworded(text: String) -> String {
    let refused = ["WRONGPASS", "AuthenticationFailed", "invalid password"];
    if refused.iter().any(|r| text.contains(r)) {
        AUTH_FAILED.to_string()
    } else if text.contains("NOAUTH") {
        AUTH_REQUIRED.to_string()
    } else {
        text
    }
}

pub fn scrub(text: &str, url: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    {
        if let Some((userinfo, after)) = rest.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                secrets.push(password.to_string());
                secrets.push(percent_decode(password));
            }
            if let Some((_, query)) = after.split_once('?') {
                secrets.extend(query_secrets(query));
            }
        } else if let Some((_, query)) = rest.split_once('?') {
            secrets.extend(query_secrets(query));
        }
    }
    let mut text = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(s.as_str(), "<redacted>");
    }
    text
}

fn query_secrets(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| is_secret_param(k))
        .flat_map(|(_, v)| [v.to_string(), percent_decode(v)])
        .collect()
}

/// `%XX` escapes decoded (lossily): how the password is sent to Redis.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Redis URL with any user and password removed, for messages and logs.
/// Everything up to the last `@` is user and password — also when the
/// password holds `/`, `?` or `#` unencoded; a `pass=`/`password=` query
/// parameter (unix socket URLs) is replaced.
pub fn display_url(url: &str) -> String {
    // Without a scheme (a mistyped URL) the user info goes all the same.
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
    let (place, query) = match rest.split_once('?') {
        Some((place, query)) => (place, Some(query)),
        None => (rest, None),
    };
    let mut shown = if scheme.is_empty() {
        place.to_string()
    } else {
        format!("{scheme}://{place}")
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_param(k) => format!("{k}=<redacted>"),
                _ => pair.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

fn is_secret_param(key: &str) -> bool {
    matches!(key.to_ascii_lowercase().as_str(), "pass" | "password")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_password_has_one_wording() {
        for said in [
            "Password authentication failed - AuthenticationFailed",
            "authentication failed: WRONGPASS invalid username-password pair or user is disabled.",
        ] {
            assert_eq!(reworded(said.to_string()), AUTH_FAILED);
        }
        assert_eq!(
            reworded("NOAUTH Authentication required.".into()),
            AUTH_REQUIRED
        );
        assert_eq!(reworded("Connection refused".into()), "Connection refused");
    }

    #[test]
    fn errors_lose_the_password() {
        assert_eq!(
            scrub("bad s3cret here", "redis://:s3cret@h:1/0"),
            "bad <redacted> here"
        );
        assert_eq!(scrub("no secret", "redis://h:1"), "no secret");
        assert_eq!(
            scrub("auth p@ss failed", "redis://u:p%40ss@h:1"),
            "auth <redacted> failed"
        );
        assert_eq!(
            scrub("x s3cret y", "unix:///tmp/r.sock?pass=s3cret"),
            "x <redacted> y"
        );
        assert_eq!(scrub("x s3cret y", "user:s3cret@host:1"), "x <redacted> y");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            display_url("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(display_url("rediss://user:p@ss@host:1"), "rediss://host:1");
        assert_eq!(
            display_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(display_url("unix:///tmp/r.sock"), "unix:///tmp/r.sock");
        assert_eq!(
            display_url("redis+unix:///tmp/r.sock?db=1&pass=s3cret&user=u"),
            "redis+unix:///tmp/r.sock?db=1&pass=<redacted>&user=u"
        );
        // Unencoded / ? # @ in a password still never show.
        assert_eq!(display_url("redis://:pa/s?s#w@rd@h:1/0"), "redis://h:1/0");
        assert_eq!(display_url("redis://u:p%40ss@h:1"), "redis://h:1");
        // A mistyped URL without a scheme still loses its user info.
        assert_eq!(display_url("user:s3cret@host:6379"), "host:6379");
        assert_eq!(display_url(":s3cret@h:6379/0"), "h:6379/0");
    }
}
