//! Durations, points in time and sizes as people write and read them:
//! `30s`, `1h30m`, `2d`, `30` (seconds), RFC 3339, `2026-12-01` or
//! `2026-12-01 10:00:00` (UTC), epoch milliseconds, `10m` meaning ten minutes
//! ago, `1MiB`. Pure: used by `config` and `cli` to parse flags and by every
//! layer that puts a duration in a message.

use std::time::Duration;

/// A duration as people write it: `30s`, `500ms`, `2m`, `1h30m`, `1.5s`,
/// `2d`, `1w` (a day is 24 hours), or a bare number of seconds (`30`, `2.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bare = !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|&b| b == b'.').count() <= 1;
    let parsed = if bare {
        // Seconds; the bound keeps from_secs_f64 from panicking.
        t.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s < 1e15)
            .map(|s| jiff::SignedDuration::from_nanos((s * 1e9) as i64))
    } else {
        t.parse::<jiff::SignedDuration>().ok().or_else(|| {
            let span = t.parse::<jiff::Span>().ok()?;
            span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .ok()
        })
    };
    match parsed {
        Some(d) if !d.is_negative() => Duration::try_from(d).map_err(|e| e.to_string()),
        _ => Err(format!(
            "{text:?} is not a duration (try 30s, 500ms, 2m, 1h30m, 2d, 1w; a bare number is seconds)"
        )),
    }
}

/// RFC 3339 (any offset), a date (`2026-12-01`, midnight UTC), a date and
/// time with a space or `T` (`2026-12-01 10:00:00`: UTC unless an offset
/// follows), epoch milliseconds, or a duration meaning that long ago.
pub fn parse_time_or_ago(text: &str) -> Result<i64, String> {
    let t = text.trim();
    match crate::event::parse_time_text(t) {
        Ok(ms) => return Ok(ms),
        // Digits only: a number of milliseconds, with its own complaint.
        Err(e) if t.bytes().all(|b| b.is_ascii_digit()) => return Err(e),
        Err(_) => {}
    }
    if let Some(ms) = civil_utc(t) {
        return ms;
    }
    match parse_duration(t) {
        Ok(ago) => {
            let ago = i64::try_from(ago.as_millis()).unwrap_or(i64::MAX);
            Ok(jiff::Timestamp::now().as_millisecond().saturating_sub(ago))
        }
        Err(_) => Err(format!(
            "{text:?} is not a time: try RFC 3339 (2026-12-01T10:00:00Z), a date (2026-12-01, \
             midnight UTC), a date and time (2026-12-01 10:00:00, UTC unless an offset follows), \
             epoch ms, or a duration ago (1h, 30m, 2d)"
        )),
    }
}

/// A date, or a date and time written with a space (or a `T`) and no
/// offset, read in UTC; with an offset after a space, at that offset.
/// `None`: not one of these forms.
fn civil_utc(t: &str) -> Option<Result<i64, String>> {
    // "2026-12-01 10:00:00+02:00": RFC 3339 once the space is a T.
    if t.len() > 10 && t.as_bytes()[10] == b' ' {
        let spaced = format!("{}T{}", &t[..10], &t[11..]);
        if let Ok(ms) = crate::event::parse_time_text(&spaced) {
            return Some(Ok(ms));
        }
        return civil_utc(&spaced);
    }
    // A date alone is ten characters (jiff would read a date off a longer
    // string too).
    let date = (t.len() == 10)
        .then(|| t.parse::<jiff::civil::Date>().ok())
        .flatten();
    let at = if let Some(date) = date {
        date.to_datetime(jiff::civil::Time::midnight())
    } else {
        // Only a string with no offset: an offset here was refused above
        // (and jiff would drop it when reading a civil time).
        if t.contains(['Z', 'z', '+']) || t.get(10..).is_some_and(|time| time.contains('-')) {
            return None;
        }
        t.parse::<jiff::civil::DateTime>().ok()?
    };
    let ms = at
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| format!("{t:?}: {e}"));
    Some(ms.and_then(|ms| {
        if ms < 0 {
            Err(format!("{t:?} is before 1970: Kafka cannot keep it"))
        } else {
            Ok(ms)
        }
    }))
}

/// A size in bytes as people write it: a plain number of bytes, or with a
/// unit: KiB, MiB, GiB (1024-based; K, M, G too), kB/KB, MB, GB (1000-based),
/// B. `1MiB` is 1,048,576 bytes; `1MB` is 1,000,000.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let accepted = "a number of bytes, or with a unit: 64KiB, 1MiB, 1GiB, 1MB (10^6), 1kB";
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size ({accepted})"))?;
    let times: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "kB" | "KB" => 1000,
        "MiB" | "M" => 1 << 20,
        "MB" => 1_000_000,
        "GiB" | "G" => 1 << 30,
        "GB" => 1_000_000_000,
        other => return Err(format!("{text:?}: unknown unit {other:?} ({accepted})")),
    };
    n.checked_mul(times)
        .ok_or_else(|| format!("{text:?} is too large"))
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
        let hint =
            "is not a duration (try 30s, 500ms, 2m, 1h30m, 2d, 1w; a bare number is seconds)";
        assert_eq!(parse_duration("soon"), Err(format!("\"soon\" {hint}")));
        assert_eq!(parse_duration("-5s"), Err(format!("\"-5s\" {hint}")));
        assert_eq!(parse_duration("1.2.3"), Err(format!("\"1.2.3\" {hint}")));
        let e = parse_time_or_ago("soon").unwrap_err();
        assert!(e.starts_with("\"soon\" is not a time: try RFC 3339 (2026-12-01T10:00:00Z), a date (2026-12-01, midnight UTC)"), "{e}");
        assert!(
            e.ends_with("epoch ms, or a duration ago (1h, 30m, 2d)"),
            "{e}"
        );
    }

    #[test]
    fn days_weeks_and_bare_seconds() {
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(
            parse_duration("1w2d3h"),
            Ok(Duration::from_secs(9 * 86_400 + 3 * 3600))
        );
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration(" 2.5 "), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("1e400").is_err());
        assert!(parse_duration("99999999999999999999").is_err());
        let now = jiff::Timestamp::now().as_millisecond();
        let ago = parse_time_or_ago("2d").unwrap();
        assert!((now - 2 * 86_400_000 - ago).abs() < 5_000, "{ago} vs {now}");
    }

    #[test]
    fn dates_and_spaced_times_are_utc_unless_an_offset_is_given() {
        let midnight = 1_796_083_200_000; // 2026-12-01T00:00:00Z
        assert_eq!(parse_time_or_ago("2026-12-01"), Ok(midnight));
        assert_eq!(
            parse_time_or_ago("2026-12-01 10:00:00"),
            Ok(midnight + 10 * 3_600_000)
        );
        assert_eq!(
            parse_time_or_ago("2026-12-01T10:00:00"),
            Ok(midnight + 10 * 3_600_000)
        );
        assert_eq!(
            parse_time_or_ago("2026-12-01 10:00"),
            Ok(midnight + 10 * 3_600_000)
        );
        assert_eq!(
            parse_time_or_ago("2026-12-01 10:00:00.250"),
            Ok(midnight + 10 * 3_600_000 + 250)
        );
        assert_eq!(
            parse_time_or_ago("2026-12-01 10:00:00+02:00"),
            Ok(midnight + 8 * 3_600_000)
        );
        assert_eq!(
            parse_time_or_ago("2026-12-01 10:00:00-01:00"),
            Ok(midnight + 11 * 3_600_000)
        );
        assert_eq!(
            parse_time_or_ago("2026-12-01 10:00:00Z"),
            Ok(midnight + 10 * 3_600_000)
        );
        assert!(parse_time_or_ago("1969-12-31")
            .unwrap_err()
            .contains("before 1970"));
        assert!(parse_time_or_ago("2026-13-01").is_err());
        assert!(parse_time_or_ago("2026-12-01 25:00").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1MB"), Ok(1_000_000));
        assert_eq!(parse_size("200"), Ok(200));
        assert_eq!(parse_size(" 2 GiB "), Ok(2 << 30));
        assert_eq!(parse_size("1kB"), Ok(1000));
        let e = parse_size("1XB").unwrap_err();
        assert_eq!(e, "\"1XB\": unknown unit \"XB\" (a number of bytes, or with a unit: 64KiB, 1MiB, 1GiB, 1MB (10^6), 1kB)");
        assert!(parse_size("MiB").unwrap_err().contains("is not a size"));
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999GiB")
            .unwrap_err()
            .contains("too large"));
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
