//! Durations and points in time as people write and read them: `30s`,
//! `1h30m`, RFC 3339, epoch milliseconds, `10m` meaning ten minutes ago.
//! Pure: used by `config` to parse flags and by every layer that puts a
//! duration in a message.

use std::time::Duration;

/// A duration as people write it: `30s`, `500ms`, `2m`, `1h30m`, `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let parsed = t.parse::<jiff::SignedDuration>().ok().or_else(|| {
        t.parse::<jiff::Span>()
            .ok()
            .and_then(|s| jiff::SignedDuration::try_from(s).ok())
    });
    match parsed {
        Some(d) if !d.is_negative() => Duration::try_from(d).map_err(|e| e.to_string()),
        _ => Err(format!(
            "{text:?} is not a duration (try 30s, 500ms, 2m, 1h30m)"
        )),
    }
}

/// RFC 3339, epoch milliseconds, or a duration meaning that long ago.
pub fn parse_time_or_ago(text: &str) -> Result<i64, String> {
    match crate::event::parse_time_text(text) {
        Ok(ms) => return Ok(ms),
        // Digits only: a number of milliseconds, with its own complaint.
        Err(e) if text.trim().bytes().all(|b| b.is_ascii_digit()) => return Err(e),
        Err(_) => {}
    }
    match parse_duration(text) {
        Ok(ago) => {
            let ago = i64::try_from(ago.as_millis()).unwrap_or(i64::MAX);
            Ok(jiff::Timestamp::now().as_millisecond().saturating_sub(ago))
        }
        Err(_) => Err(format!(
            "{text:?} is not RFC 3339, epoch ms, or a duration ago (1h, 30m)"
        )),
    }
}

/// Time left until `deadline`, at least 100 ms (a last try is worth making).
pub fn remaining(deadline: std::time::Instant) -> Duration {
    deadline
        .saturating_duration_since(std::time::Instant::now())
        .max(Duration::from_millis(100))
}

/// A duration in milliseconds, to the microsecond, for reports.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// A point in time (epoch ms) for messages: RFC 3339 in UTC,
/// `2026-11-24T09:00:00Z`, or the number itself when out of range.
pub fn show_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// A duration for messages: `2.0s`, `350ms`.
pub fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn a_bad_duration_says_what_to_write() {
        let hint = "is not a duration (try 30s, 500ms, 2m, 1h30m)";
        assert_eq!(parse_duration("soon"), Err(format!("\"soon\" {hint}")));
        assert_eq!(parse_duration("-5s"), Err(format!("\"-5s\" {hint}")));
        assert_eq!(
            parse_time_or_ago("soon"),
            Err("\"soon\" is not RFC 3339, epoch ms, or a duration ago (1h, 30m)".to_string())
        );
    }

    #[test]
    fn remaining_time_and_milliseconds() {
        let now = std::time::Instant::now();
        assert_eq!(
            remaining(now),
            Duration::from_millis(100),
            "at least 100 ms"
        );
        let left = remaining(now + Duration::from_secs(5));
        assert!(
            left > Duration::from_millis(4900) && left <= Duration::from_secs(5),
            "{left:?}"
        );
        assert_eq!(millis(Duration::from_micros(1500)), 1.5);
        assert_eq!(millis(Duration::from_secs(2)), 2000.0);
        assert_eq!(millis(Duration::from_nanos(1_234_567)), 1.235);
    }

    #[test]
    fn shown_times() {
        assert_eq!(show_time(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(show_time(1_700_000_000_025), "2023-11-14T22:13:20.025Z");
        assert_eq!(show_time(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn shown_durations() {
        assert_eq!(show_duration(Duration::from_millis(350)), "350ms");
        assert_eq!(show_duration(Duration::from_millis(2049)), "2.0s");
        assert_eq!(show_duration(Duration::from_millis(999)), "999ms");
        assert_eq!(show_duration(Duration::from_secs(1)), "1.0s");
        assert_eq!(show_duration(Duration::ZERO), "0ms");
    }

    #[test]
    fn times_or_ago() {
        assert_eq!(parse_time_or_ago("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_time_or_ago("2023-11-14T22:13:20Z"),
            Ok(1_700_000_000_000)
        );
        let now = jiff::Timestamp::now().as_millisecond();
        let ago = parse_time_or_ago("10m").unwrap();
        assert!((now - 600_000 - ago).abs() < 5_000, "{ago} vs {now}");
        // An absurd duration saturates instead of wrapping into the future.
        assert!(parse_time_or_ago("100000000h").unwrap() <= now);
        assert!(parse_time_or_ago("soon").is_err());
        assert!(parse_time_or_ago("1700000000")
            .unwrap_err()
            .contains("looks like epoch seconds"));
    }
}
