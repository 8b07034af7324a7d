//! Weekday time windows: for each day Monday..Sunday a list of `HH:MM-HH:MM` ranges, read
//! in an IANA time zone. A range covers start ≤ t < end; `24:00` may end a range; a range
//! cannot cross midnight (split it over two days). No range on any day means "always".

use crate::error::FieldError;
use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Most time ranges on one weekday.
pub const MAX_RANGES_PER_DAY: usize = 48;

/// A range of minutes of one day, `start < end ≤ 24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    start: u16,
    end: u16,
}

/// Why a time range is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time range HH:MM-HH:MM with the end after the start")]
pub struct BadTimeRange(pub String);

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= 24 * 60).then_some(total)
}

impl TimeRange {
    /// The range `start..end` in minutes after midnight.
    pub fn new(start: u16, end: u16) -> Option<Self> {
        (start < end && end <= 24 * 60).then_some(Self { start, end })
    }

    /// The whole day.
    pub fn whole_day() -> Self {
        Self {
            start: 0,
            end: 24 * 60,
        }
    }

    /// True when the minute of the day `m` falls in the range.
    pub fn contains(&self, m: u16) -> bool {
        self.start <= m && m < self.end
    }
}

impl FromStr for TimeRange {
    type Err = BadTimeRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadTimeRange(s.to_string());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let (a, b) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
        TimeRange::new(a, b).ok_or_else(bad)
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl TryFrom<String> for TimeRange {
    type Error = BadTimeRange;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeRange> for String {
    fn from(r: TimeRange) -> String {
        r.to_string()
    }
}

/// The ranges of each weekday.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekRanges {
    /// Monday.
    #[serde(default)]
    pub mon: Vec<TimeRange>,
    /// Tuesday.
    #[serde(default)]
    pub tue: Vec<TimeRange>,
    /// Wednesday.
    #[serde(default)]
    pub wed: Vec<TimeRange>,
    /// Thursday.
    #[serde(default)]
    pub thu: Vec<TimeRange>,
    /// Friday.
    #[serde(default)]
    pub fri: Vec<TimeRange>,
    /// Saturday.
    #[serde(default)]
    pub sat: Vec<TimeRange>,
    /// Sunday.
    #[serde(default)]
    pub sun: Vec<TimeRange>,
}

impl WeekRanges {
    /// The ranges of `day`.
    pub fn day(&self, day: Weekday) -> &[TimeRange] {
        match day {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// The ranges of `day`, to change.
    pub fn day_mut(&mut self, day: Weekday) -> &mut Vec<TimeRange> {
        match day {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }

    /// True when no day has a range.
    pub fn is_empty(&self) -> bool {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
        .iter()
        .all(|d| d.is_empty())
    }
}

/// When a rule applies: weekday ranges in a time zone. Empty = always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindows {
    /// IANA time zone name, e.g. `"Asia/Shanghai"`.
    pub timezone: Tz,
    /// The ranges per weekday.
    #[serde(default)]
    pub days: WeekRanges,
}

impl Default for TimeWindows {
    fn default() -> Self {
        Self::always()
    }
}

impl TimeWindows {
    /// No restriction.
    pub fn always() -> Self {
        Self {
            timezone: Tz::UTC,
            days: WeekRanges::default(),
        }
    }

    /// Windows from a zone name and `(weekday, ["09:00-18:00", ...])` entries; errors name
    /// the field (`timezone`, `time.mon[0]`, or `time.mon` for more than
    /// [`MAX_RANGES_PER_DAY`] ranges on a day).
    pub fn parse<S: AsRef<str>>(
        timezone: &str,
        days: &[(Weekday, Vec<S>)],
    ) -> Result<Self, FieldError> {
        let tz: Tz = timezone
            .parse()
            .map_err(|_| FieldError::new("timezone", format!("unknown time zone {timezone:?}")))?;
        let mut w = WeekRanges::default();
        for (day, ranges) in days {
            let d = day.to_string().to_lowercase();
            if ranges.len() + w.day(*day).len() > MAX_RANGES_PER_DAY {
                return Err(FieldError::new(
                    format!("time.{d}"),
                    format!(
                        "at most {MAX_RANGES_PER_DAY} items (got {})",
                        ranges.len() + w.day(*day).len()
                    ),
                ));
            }
            for (i, r) in ranges.iter().enumerate() {
                let r: TimeRange = r.as_ref().parse().map_err(|e: BadTimeRange| {
                    FieldError::new(format!("time.{d}[{i}]"), e.to_string())
                })?;
                w.day_mut(*day).push(r);
            }
        }
        Ok(Self {
            timezone: tz,
            days: w,
        })
    }

    /// True when the windows are empty or `at`, read in the zone, falls in a range of its
    /// weekday.
    pub fn matches(&self, at: DateTime<Utc>) -> bool {
        if self.days.is_empty() {
            return true;
        }
        let local = at.with_timezone(&self.timezone);
        // hour ≤ 23 and minute ≤ 59, so this fits in u16.
        let m = (local.hour() * 60 + local.minute()) as u16;
        self.days.day(local.weekday()).iter().any(|r| r.contains(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ranges_parse() {
        assert_eq!(
            "09:00-18:00".parse::<TimeRange>().unwrap().to_string(),
            "09:00-18:00"
        );
        assert!("00:00-24:00".parse::<TimeRange>().is_ok());
        for bad in [
            "18:00-09:00",
            "09:00-09:00",
            "9-10",
            "25:00-26:00",
            "09:60-10:00",
            "x",
        ] {
            assert!(bad.parse::<TimeRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_is_always() {
        assert!(TimeWindows::always().matches(Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap()));
    }

    #[test]
    fn reads_in_the_zone() {
        // Weekdays 09:00-18:00 in Shanghai (UTC+8).
        let days: Vec<(Weekday, Vec<&str>)> = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|d| (d, vec!["09:00-18:00"]))
        .collect();
        let w = TimeWindows::parse("Asia/Shanghai", &days).unwrap();
        // Friday 2026-11-27 02:00 UTC = 10:00 in Shanghai.
        assert!(w.matches(Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap()));
        // Friday 10:00 UTC = 18:00 Shanghai: the end is excluded.
        assert!(!w.matches(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()));
        // Sunday 2026-11-29 02:00 UTC = Sunday 10:00 Shanghai: no range.
        assert!(!w.matches(Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap()));
        // Sunday 2026-11-29 23:00 UTC = Monday 07:00 Shanghai: too early.
        assert!(!w.matches(Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap()));
        // Monday 2026-11-30 01:30 UTC = Monday 09:30 Shanghai.
        assert!(w.matches(Utc.with_ymd_and_hms(2026, 11, 30, 1, 30, 0).unwrap()));
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            TimeWindows::parse::<&str>("Mars/Base", &[])
                .unwrap_err()
                .field,
            "timezone"
        );
        let e =
            TimeWindows::parse("UTC", &[(Weekday::Tue, vec!["09:00-18:00", "bad"])]).unwrap_err();
        assert_eq!(e.field, "time.tue[1]");
    }

    #[test]
    fn json_round_trip() {
        let w = TimeWindows::parse("Europe/Paris", &[(Weekday::Sat, vec!["10:00-12:30"])]).unwrap();
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(v["timezone"], "Europe/Paris");
        assert_eq!(v["days"]["sat"], serde_json::json!(["10:00-12:30"]));
        assert_eq!(serde_json::from_value::<TimeWindows>(v).unwrap(), w);
    }

    #[test]
    fn ranges_per_day_are_capped() {
        let many = vec!["09:00-10:00"; MAX_RANGES_PER_DAY + 1];
        let e = TimeWindows::parse("UTC", &[(Weekday::Mon, many.clone())]).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("time.mon", "at most 48 items (got 49)")
        );
        assert!(TimeWindows::parse("UTC", &[(Weekday::Mon, many[1..].to_vec())]).is_ok());
        // The same day given twice counts once.
        let half = many[..30].to_vec();
        let e = TimeWindows::parse("UTC", &[(Weekday::Tue, half.clone()), (Weekday::Tue, half)])
            .unwrap_err();
        assert_eq!(e.field, "time.tue");
    }
}
