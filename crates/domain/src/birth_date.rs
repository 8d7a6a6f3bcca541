//! Birth dates as people type them, on a computer or on a phone's numeric
//! keypad: `jj/mm/aaaa`, `j/m/aaaa`, `jj.mm.aaaa`, `jj-mm-aaaa`, `jjmmaaaa`,
//! and the ISO `aaaa-mm-jj` of a date picker.

use time::{Date, Month};

/// Parses a typed birth date; `None` when it is not a real calendar date.
pub fn parse(input: &str) -> Option<Date> {
    let s = input.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return build(&s[4..], &s[2..4], &s[..2]);
    }
    let sep = s.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts[..] else {
        return None;
    };
    if sep == '-' && a.len() == 4 {
        // ISO 8601 from a date picker: aaaa-mm-jj.
        return (b.len() == 2 && c.len() == 2)
            .then(|| build(a, b, c))
            .flatten();
    }
    ((1..=2).contains(&a.len()) && (1..=2).contains(&b.len()) && c.len() == 4)
        .then(|| build(c, b, a))
        .flatten()
}

fn build(year: &str, month: &str, day: &str) -> Option<Date> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn what_phones_and_keyboards_type() {
        let cases: &[(&str, Option<Date>)] = &[
            ("16/06/2013", Some(date!(2013 - 06 - 16))),
            ("16062013", Some(date!(2013 - 06 - 16))),
            ("16.06.2013", Some(date!(2013 - 06 - 16))),
            ("16-06-2013", Some(date!(2013 - 06 - 16))),
            ("6/6/2013", Some(date!(2013 - 06 - 06))),
            ("06/6/2013", Some(date!(2013 - 06 - 06))),
            (" 1/12/2014 ", Some(date!(2014 - 12 - 01))),
            ("2013-06-16", Some(date!(2013 - 06 - 16))),
            ("29/02/2012", Some(date!(2012 - 02 - 29))),
            ("29/02/2013", None),
            ("31/04/2013", None),
            ("16/13/2013", None),
            ("00/06/2013", None),
            ("16/06/13", None),
            ("16/06-2013", None),
            ("16/06/2013/1", None),
            ("1606201", None),
            ("160620133", None),
            ("16 06 2013", None),
            ("", None),
            ("aa/bb/cccc", None),
            ("+1/06/2013", None),
            ("2013/06/16", None),
            ("2013-6-16", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), *expected, "{input:?}");
        }
    }
}
