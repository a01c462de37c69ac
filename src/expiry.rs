//! Calendar dates for review environments that expire: `expires: YYYY-MM-DD` in an
//! environment file, `review add --ttl`, and `review prune`.
//!
//! Dates are proleptic Gregorian days, counted from 1970-01-01 in UTC. Today comes from
//! the system clock, or from `MCPSTACK_TODAY=YYYY-MM-DD` when it is set (for tests and
//! for pipelines that want a fixed day).

use std::fmt;

/// The environment variable that fixes today's date.
pub const TODAY_VAR: &str = "MCPSTACK_TODAY";

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

/// The date `days` days after 1970-01-01 (before it when negative).
pub fn civil_from_days(days: i64) -> Date {
    // Eras of 400 years (146097 days) repeat the Gregorian calendar exactly; years are
    // counted from March so that the leap day ends the year.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date {
        year,
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
    }
}

/// Days from 1970-01-01 to `date`: the inverse of [`civil_from_days`].
pub fn days_from_civil(date: Date) -> i64 {
    let month = i64::from(date.month);
    let year = date.year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl Date {
    /// `YYYY-MM-DD`, a real date (no 2026-02-30); `None` otherwise.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return None;
        }
        let date = Date {
            year: text[..4].parse().ok()?,
            month: text[5..7].parse().ok()?,
            day: text[8..].parse().ok()?,
        };
        // A date the calendar does not have comes back different.
        (civil_from_days(days_from_civil(date)) == date && (1..=12).contains(&date.month))
            .then_some(date)
    }

    /// The date `days` days later.
    pub fn plus_days(self, days: i64) -> Date {
        civil_from_days(days_from_civil(self) + days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Today: `MCPSTACK_TODAY` when set, else the system clock's date in UTC. `Err` says
/// why there is none.
pub fn today() -> Result<Date, String> {
    match std::env::var(TODAY_VAR) {
        Ok(text) => Date::parse(text.trim())
            .ok_or_else(|| format!("{TODAY_VAR}={text:?} is not a YYYY-MM-DD date")),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{TODAY_VAR} is not a YYYY-MM-DD date"))
        }
        Err(std::env::VarError::NotPresent) => {
            let since = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| "the system clock is before 1970".to_owned())?;
            let days = i64::try_from(since.as_secs() / 86_400)
                .map_err(|_| "the system clock is out of range".to_owned())?;
            Ok(civil_from_days(days))
        }
    }
}

/// The longest `--ttl`: about ten years.
const MAX_TTL_DAYS: i64 = 3660;

/// A `--ttl` as days: `Nd` (days) or `Nw` (weeks), N at least 1.
pub fn parse_ttl(text: &str) -> Result<i64, String> {
    let problem = || format!("`--ttl {text}` is not a number of days or weeks, e.g. `7d` or `2w`");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let per = match unit {
        "d" => 1,
        "w" => 7,
        _ => return Err(problem()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem());
    }
    let count: i64 = number.parse().map_err(|_| problem())?;
    let days = count.saturating_mul(per);
    if count == 0 || days > MAX_TTL_DAYS {
        return Err(format!(
            "`--ttl {text}` is out of range: from 1d to {MAX_TTL_DAYS}d"
        ));
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).expect(text)
    }

    #[test]
    fn days_and_dates_agree_with_known_days() {
        for (days, text) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (59, "1970-03-01"),
            (10_957, "2000-01-01"),
            (11_016, "2000-02-29"),
            (11_017, "2000-03-01"),
            (19_782, "2024-02-29"),
            (20_422, "2025-11-30"),
            (-719_468, "0000-03-01"),
        ] {
            assert_eq!(civil_from_days(days).to_string(), text, "{days}");
            assert_eq!(days_from_civil(date(text)), days, "{text}");
        }
        for days in -800_000..800_000 {
            assert_eq!(days_from_civil(civil_from_days(days)), days);
        }
    }

    #[test]
    fn only_real_dates_parse() {
        for bad in [
            "2026-02-29",
            "2100-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-1-01",
            "2026/01/01",
            "26-01-01",
            "2026-01-01x",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(date("2000-02-29").plus_days(1), date("2000-03-01"));
        assert_eq!(date("2026-12-28").plus_days(7), date("2027-01-04"));
    }

    #[test]
    fn ttls_are_days_or_weeks() {
        assert_eq!(parse_ttl("7d"), Ok(7));
        assert_eq!(parse_ttl("2w"), Ok(14));
        assert_eq!(parse_ttl("1d"), Ok(1));
        for bad in ["0d", "7", "d", "7h", "-1d", "+1d", "1.5w", "99999w", " 7d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
