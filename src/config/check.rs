//! Checks and parsers of flag values that more than one command takes,
//! each refusal a usage error naming the flag.

use std::time::Duration;

use anyhow::Result;

use crate::duration::parse_duration;
use crate::error;

/// A name Kafka can never have as a topic's is a usage error (exit 2) that
/// says what is allowed, instead of a broker's INVALID_TOPIC (exit 4) or a
/// "does not exist, create it" hint that cannot be followed.
pub(super) fn check_topic_name(name: &str, what: &str) -> Result<()> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let why = if name == "." || name == ".." {
        Some("is not allowed".to_string())
    } else if name.len() > 249 {
        Some(format!("is {} characters long (at most 249)", name.len()))
    } else {
        name.chars().find(|&c| !legal(c)).map(|c| {
            format!(
                "has {c:?}, and a topic name may only have ASCII letters, digits, '.', '_' and '-'"
            )
        })
    };
    let shown: String = match name.chars().count() > 60 {
        true => name.chars().take(60).chain(['…']).collect(),
        false => name.to_string(),
    };
    match why {
        Some(why) => Err(error::usage(format!("{what} {shown:?} {why}"))),
        None => Ok(()),
    }
}

/// A timeout: a duration, and not zero (librdkafka reads 0 as "never").
pub(super) fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err(format!("{text:?}: a timeout must be longer than 0")),
        d => Ok(d),
    }
}

/// A flag's parsed value, or a usage error naming the flag.
pub(super) fn flag<T>(name: &str, parsed: Result<T, String>) -> Result<T> {
    parsed.map_err(|e| error::usage(format!("{name}: {e}")))
}

/// A rate such as `500`, `500/s` or `2.5/s`, per second.
pub(super) fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches("/s");
    match number.parse::<f64>() {
        // Below one a minute is a typo, and a pacing delay that overflows.
        Ok(r) if (1.0 / 60.0..=1e9).contains(&r) => Ok(r),
        _ => Err(format!(
            "{text:?} is not a positive rate (try 500 or 500/s)"
        )),
    }
}
