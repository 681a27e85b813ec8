//! Formatting of numbers, money and dates for pages (English conventions for now; the
//! languages issue adds per-language formats).

use crate::model::{Money, PartialDate};

/// `1234567.5` → `1,234,567.5`; whole numbers without decimals, others with up to two.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let negative = value < 0.0;
    let rounded = (value.abs() * 100.0).round() / 100.0;
    let whole = rounded.trunc() as u128;
    let cents = ((rounded - rounded.trunc()) * 100.0).round() as u32;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if cents > 0 {
        let decimals = format!("{cents:02}");
        grouped.push('.');
        grouped.push_str(decimals.trim_end_matches('0'));
    }
    if negative { format!("-{grouped}") } else { grouped }
}

/// `MXN 1,000,000 (2011)`: the original amount, with its year when given.
pub fn money(m: &Money) -> String {
    match m.year {
        Some(year) => format!("{} {} ({year})", m.currency, number(m.amount)),
        None => format!("{} {}", m.currency, number(m.amount)),
    }
}

/// `USD 80,000`, rounded to whole dollars.
pub fn usd(value: f64) -> String {
    format!("USD {}", number(value.round()))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2011`, `March 2011`, `3 March 2011`.
pub fn date(d: &PartialDate) -> String {
    let month = d.month.and_then(|m| MONTHS.get(m.saturating_sub(1) as usize));
    match (month, d.day) {
        (Some(m), Some(day)) => format!("{day} {m} {}", d.year),
        (Some(m), None) => format!("{m} {}", d.year),
        _ => d.year.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(1234567.5), "1,234,567.5");
        assert_eq!(number(80000.0), "80,000");
        assert_eq!(number(999.0), "999");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(-1500.0), "-1,500");
    }

    #[test]
    fn dates_read_naturally() {
        assert_eq!(date(&PartialDate::parse("2011").unwrap()), "2011");
        assert_eq!(date(&PartialDate::parse("2011-03").unwrap()), "March 2011");
        assert_eq!(date(&PartialDate::parse("2011-03-05").unwrap()), "5 March 2011");
    }

    #[test]
    fn money_shows_currency_and_year() {
        let m = Money {
            amount: 2000.0,
            currency: "USD".into(),
            year: Some(1994),
        };
        assert_eq!(money(&m), "USD 2,000 (1994)");
        assert_eq!(usd(1234.4), "USD 1,234");
    }
}
