//! SIECLE dates and export timestamps.

/// Parses a SIECLE date, `jj/mm/aaaa`, strictly.
pub fn parse_date(s: &str) -> Result<time::Date, String> {
    strict_date(s).ok_or_else(|| format!("« {s} » n'est pas une date valide (attendu jj/mm/aaaa)"))
}

/// `jj/mm/aaaa` exactly (two, two and four digits), a real calendar date.
fn strict_date(s: &str) -> Option<time::Date> {
    let mut parts = s.trim().split('/');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return None;
    }
    // The shape is checked; the tolerant parser reads the numbers.
    sesame_domain::birth_date::parse(&format!("{d}/{m}/{y}"))
}

/// `jj/mm/aaaa hh:mm:ss` → `aaaa-mm-jj hh:mm:ss`, sortable as text.
pub(super) fn normalize_stamp(
    horodatage: Option<&str>,
    date_export: Option<&str>,
) -> Option<String> {
    let (date, time) = match horodatage.filter(|s| !s.is_empty()) {
        Some(h) => {
            let mut it = h.split_whitespace();
            (it.next()?, it.next().unwrap_or("00:00:00").to_owned())
        }
        None => (
            date_export.filter(|s| !s.is_empty())?,
            "00:00:00".to_owned(),
        ),
    };
    let d = parse_date(date).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02} {time}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

pub(super) fn stamp_date(stamp: &str) -> Option<time::Date> {
    let d = stamp.get(..10)?;
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &f).ok()
}
