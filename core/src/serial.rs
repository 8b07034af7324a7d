//! Ticket serial numbers: `YYYYMMDD` + the day's counter, zero-padded to at least four
//! digits, with no upper limit (`202611270001`, …, `202611279999`, `2026112710000`).
//! The server hands out counters atomically; this module only formats and reads them.

use chrono::NaiveDate;

/// The serial of the `counter`-th ticket (counters start at 1) of `date`.
pub fn serial(date: NaiveDate, counter: u32) -> String {
    format!("{}{:04}", date.format("%Y%m%d"), counter)
}

/// Read a serial back into its date and counter; `None` unless it is exactly what
/// [`serial`] would print.
pub fn parse_serial(s: &str) -> Option<(NaiveDate, u32)> {
    if s.len() < 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (d, c) = s.split_at(8);
    let date = NaiveDate::parse_from_str(d, "%Y%m%d").ok()?;
    let counter: u32 = c.parse().ok()?;
    (serial(date, counter) == s).then_some((date, counter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(serial(day(), 1), "202611270001");
        assert_eq!(serial(day(), 9999), "202611279999");
        assert_eq!(serial(day(), 10000), "2026112710000");
    }

    #[test]
    fn parses_back() {
        for c in [1, 42, 9999, 10000, 123456] {
            assert_eq!(parse_serial(&serial(day(), c)), Some((day(), c)));
        }
        for bad in [
            "",
            "20261127001",
            "2026112700001",
            "20261327 0001",
            "20261332ABCD",
            "202613270001",
        ] {
            assert_eq!(parse_serial(bad), None, "{bad}");
        }
    }
}
