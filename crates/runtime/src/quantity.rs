//! Just enough of `resource.Quantity` to compare values: parses the serialized form into
//! nano-units (`i128`, saturating), so `"500m" < "1"` and `"1Gi" == "1024Mi"`.

use std::cmp::Ordering;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The regular expression kube-apiserver quotes when a quantity does not parse.
pub const QUANTITY_FORMAT_MSG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// A parsed quantity in units of 10^-9.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nanos(pub i128);

const NANO: i128 = 1_000_000_000;

impl Nanos {
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
    /// Whether the value is a whole number (`MilliValue() % 1000 == 0`).
    pub fn is_integer(self) -> bool {
        self.0 % NANO == 0
    }
    pub fn from_int(v: i64) -> Self {
        Nanos(i128::from(v).saturating_mul(NANO))
    }
}

fn pow(base: i128, exp: u32) -> i128 {
    base.checked_pow(exp).unwrap_or(i128::MAX)
}

/// Parses a quantity string; `None` when it is not a valid quantity.
pub fn parse(s: &str) -> Option<Nanos> {
    let s = s.trim();
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    // mantissa as an integer scaled by 10^-frac_len
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 36 {
        return Some(Nanos(if neg { i128::MIN } else { i128::MAX }));
    }
    let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let frac_len = i32::try_from(frac_part.len()).ok()?;
    // multiplier as (binary base-2 exponent, decimal base-10 exponent)
    let (bin_exp, dec_exp): (u32, i32) = match suffix {
        "" => (0, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        e if e.starts_with(['e', 'E']) => {
            let exp: i32 = e[1..].parse().ok()?;
            if e[1..].is_empty() {
                return None;
            }
            (0, exp)
        }
        _ => return None,
    };
    // value = mantissa * 2^bin * 10^(dec - frac_len) * 10^9 (nanos)
    let total_dec = dec_exp - frac_len + 9;
    let mut v = mantissa.saturating_mul(pow(2, bin_exp));
    if total_dec >= 0 {
        v = v.saturating_mul(pow(10, total_dec.unsigned_abs()));
    } else {
        let div = pow(10, total_dec.unsigned_abs());
        // kube-apiserver rounds sub-nano precision up
        v = if v % div == 0 { v / div } else { v / div + 1 };
    }
    Some(Nanos(if neg { -v } else { v }))
}

pub fn parse_q(q: &Quantity) -> Option<Nanos> {
    parse(&q.0)
}

pub fn cmp(a: &Quantity, b: &Quantity) -> Option<Ordering> {
    Some(parse_q(a)?.cmp(&parse_q(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares() {
        assert_eq!(parse("1"), Some(Nanos(NANO)));
        assert_eq!(parse("500m"), Some(Nanos(NANO / 2)));
        assert_eq!(parse("0.5"), parse("500m"));
        assert_eq!(parse("1Gi"), parse("1024Mi"));
        assert_eq!(parse("1k"), parse("1e3"));
        assert_eq!(parse("1.5Gi"), parse("1536Mi"));
        assert!(parse("-1").is_some_and(Nanos::is_negative));
        assert!(parse("abc").is_none());
        assert!(parse("1Zi").is_none());
        assert!(parse("").is_none());
        assert!(parse("2").unwrap_or(Nanos(0)) > parse("1999m").unwrap_or(Nanos(0)));
    }
}

impl Nanos {
    /// `Quantity.MilliValue()`: rounded up to a whole milli-unit, as Kubernetes rounds.
    pub fn milli_value(self) -> i64 {
        let m = self.0.div_euclid(1_000_000) + i128::from(self.0.rem_euclid(1_000_000) != 0);
        i64::try_from(m).unwrap_or(if m < 0 { i64::MIN } else { i64::MAX })
    }
    /// `Quantity.Value()`: rounded up to a whole unit.
    pub fn value(self) -> i64 {
        let v = self.0.div_euclid(NANO) + i128::from(self.0.rem_euclid(NANO) != 0);
        i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
    }
}

/// Milli-units of a quantity (what the scheduler counts CPU in); invalid quantities count 0,
/// as validation never lets one be stored.
pub fn milli_value(q: &Quantity) -> i64 {
    parse_q(q).map(Nanos::milli_value).unwrap_or(0)
}

/// Whole units of a quantity (memory, storage, pods, extended resources), rounded up.
pub fn value(q: &Quantity) -> i64 {
    parse_q(q).map(Nanos::value).unwrap_or(0)
}

#[cfg(test)]
mod value_tests {
    use super::*;

    #[test]
    fn milli_and_whole_values_round_up() {
        assert_eq!(milli_value(&Quantity("100m".into())), 100);
        assert_eq!(milli_value(&Quantity("1.5".into())), 1500);
        assert_eq!(milli_value(&Quantity("0.0001".into())), 1);
        assert_eq!(value(&Quantity("1Gi".into())), 1 << 30);
        assert_eq!(value(&Quantity("1500m".into())), 2);
        assert_eq!(value(&Quantity("128974848".into())), 128_974_848);
        assert_eq!(value(&Quantity("129e6".into())), 129_000_000);
        assert_eq!(value(&Quantity("bogus".into())), 0);
    }
}
