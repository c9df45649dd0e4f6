//! A syntax check of cron schedules, as `robfig/cron/v3`'s standard parser (which CronJob uses)
//! reports them: five fields or a `@descriptor`, with the same error messages.

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];
const DAYS: &[(&str, u32)] =
    &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)];

const FIELDS: [Bounds; 5] = [
    Bounds { min: 0, max: 59, names: &[] },
    Bounds { min: 0, max: 23, names: &[] },
    Bounds { min: 1, max: 31, names: &[] },
    Bounds { min: 1, max: 12, names: MONTHS },
    Bounds { min: 0, max: 6, names: DAYS },
];

/// Go's `strconv.Atoi` error text for a non-number.
fn parse_uint(expr: &str) -> Result<u32, String> {
    match expr.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {expr}")),
        Ok(n) => u32::try_from(n).map_err(|_| {
            format!("failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": value out of range")
        }),
        Err(_) => Err(format!("failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": invalid syntax")),
    }
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    parse_uint(expr)
}

fn range(expr: &str, b: &Bounds) -> Result<(), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end) = if low_high[0] == "*" || low_high[0] == "?" {
        (b.min, b.max)
    } else {
        let start = parse_int_or_name(low_high[0], b)?;
        let end = match low_high.len() {
            1 => start,
            2 => parse_int_or_name(low_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end)
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_uint(range_and_step[1])?;
            if single {
                end = b.max;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(())
}

/// Go's `time.ParseDuration` accepts e.g. `1h30m`, `90s`, `1.5h`.
fn valid_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 || rest[..num_len] == *"." {
            return false;
        }
        rest = &rest[num_len..];
        let unit =
            ["ns", "us", "µs", "μs", "ms", "s", "m", "h"].iter().find(|u| rest.starts_with(*u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// Parses a schedule; the error is the message kube-apiserver prints.
pub fn parse(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty spec string".to_string());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let Some(i) = spec.find(' ') else {
            return Err(format!(
                "provided bad location {}: unknown time zone",
                &spec[spec.find('=').unwrap_or(0) + 1..]
            ));
        };
        spec = spec[i..].trim();
    }
    if spec.starts_with('@') {
        return match spec {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => Ok(()),
            s if s.starts_with("@every ") => {
                let d = &s["@every ".len()..];
                if valid_duration(d) {
                    Ok(())
                } else {
                    Err(format!("failed to parse duration {s}: time: invalid duration \"{d}\""))
                }
            }
            s => Err(format!("unrecognized descriptor: {s}")),
        };
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    for (field, bounds) in fields.iter().zip(FIELDS.iter()) {
        for expr in field.split(',') {
            range(expr, bounds)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn schedules() {
        for ok in [
            "*/5 * * * *",
            "0 0 * * 0",
            "@hourly",
            "@every 1h30m",
            "0 9-17 * JAN-MAR mon-fri",
            "15,45 */2 1 * ?",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
        assert_eq!(
            parse("hello").err().as_deref(),
            Some("expected exactly 5 fields, found 1: [hello]")
        );
        assert_eq!(
            parse("61 * * * *").err().as_deref(),
            Some("end of range (61) above maximum (59): 61")
        );
        assert_eq!(
            parse("x * * * *").err().as_deref(),
            Some("failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax")
        );
        assert_eq!(
            parse("@sometimes").err().as_deref(),
            Some("unrecognized descriptor: @sometimes")
        );
        assert_eq!(
            parse("* * * * 7").err().as_deref(),
            Some("end of range (7) above maximum (6): 7")
        );
        assert_eq!(
            parse("*/0 * * * *").err().as_deref(),
            Some("step of range should be a positive number: */0")
        );
        assert!(parse("5-1 * * * *").is_err());
    }
}
