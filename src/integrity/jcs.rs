//! RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units, numbers in
//! ECMAScript `Number.prototype.toString` form, strings with minimal escaping, no whitespace.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::IntegrityError;

/// Largest integer magnitude JCS represents exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The canonical form of `v`. Integers of magnitude 2^53 or more are refused (write them
/// as strings).
pub fn to_string(v: &Value) -> Result<String, IntegrityError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, v)?;
    Ok(out)
}

/// The canonical form of an object.
pub(crate) fn object_to_string(m: &Map<String, Value>) -> Result<String, IntegrityError> {
    let mut out = String::with_capacity(256);
    write_object(&mut out, m)?;
    Ok(out)
}

fn write_value(out: &mut String, v: &Value) -> Result<(), IntegrityError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x)?;
            }
            out.push(']');
        }
        Value::Object(m) => write_object(out, m)?,
    }
    Ok(())
}

fn write_object(out: &mut String, m: &Map<String, Value>) -> Result<(), IntegrityError> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_value(out, v)?;
    }
    out.push('}');
    Ok(())
}

fn write_number(out: &mut String, n: &Number) -> Result<(), IntegrityError> {
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(IntegrityError::Canonical(format!(
                "integer {u} is 2^53 or more: write it as a string"
            )));
        }
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(IntegrityError::Canonical(format!(
                "integer {i} is 2^53 or more in magnitude: write it as a string"
            )));
        }
        let _ = write!(out, "{i}");
    } else if let Some(f) = n.as_f64() {
        write_f64(out, f)?;
    } else {
        return Err(IntegrityError::Canonical(format!("unsupported number {n}")));
    }
    Ok(())
}

/// Writes `f` as ECMAScript's `Number.prototype.toString` does (shortest round-trip digits).
pub(crate) fn write_f64(out: &mut String, f: f64) -> Result<(), IntegrityError> {
    if !f.is_finite() {
        return Err(IntegrityError::Canonical(format!(
            "{f} is not a JSON number"
        )));
    }
    if f == 0.0 {
        out.push('0');
        return Ok(());
    }
    if f < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` gives the shortest digits that round-trip: "d.ddddde-7".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci
        .split_once('e')
        .ok_or_else(|| IntegrityError::Canonical(format!("unexpected float form {sci}")))?;
    let exp: i32 = exp
        .parse()
        .map_err(|_| IntegrityError::Canonical(format!("unexpected float form {sci}")))?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> String {
        to_string(&serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        // serde_json without `float_roundtrip` reads 333333333.33333329 one ulp off, so
        // the parsed number is replaced by the exact double the RFC means.
        let mut v: Value = serde_json::from_str(input).unwrap();
        v["numbers"][0] = serde_json::json!(333_333_333.333_333_3_f64);
        assert_eq!(
            to_string(&v).unwrap(),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc8785_section_3_2_3_key_order_by_utf16() {
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let out = canon(input);
        let v: Map<String, Value> = serde_json::from_str(&out).unwrap();
        let _ = v;
        let order: Vec<&str> = [
            "\\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .to_vec();
        let mut pos = 0;
        for k in order {
            let needle = format!("\"{k}\":");
            let at = out[pos..]
                .find(&needle)
                .unwrap_or_else(|| panic!("{k} in {out}"));
            pos += at + needle.len();
        }
    }

    #[test]
    fn ecmascript_number_forms() {
        let cases: [(f64, &str); 16] = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (5e-324, "5e-324"),
            (1.797_693_134_862_315_7e308, "1.7976931348623157e+308"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (295_147_905_179_352_830_000.0, "295147905179352830000"),
            (0.000_001_234_5, "0.0000012345"),
            (4.35, "4.35"),
        ];
        for (f, want) in cases {
            let mut s = String::new();
            write_f64(&mut s, f).unwrap();
            assert_eq!(s, want, "{f:e}");
        }
    }

    #[test]
    fn strings_escape_only_what_must_be() {
        assert_eq!(
            canon(r#""a\u0001\u001f\u007f\u2028é\t""#),
            "\"a\\u0001\\u001f\u{7f}\u{2028}é\\t\""
        );
    }

    #[test]
    fn large_integers_are_refused() {
        assert!(to_string(&serde_json::json!(9_007_199_254_740_991_u64)).is_ok());
        assert!(to_string(&serde_json::json!(9_007_199_254_740_992_u64)).is_err());
        assert!(to_string(&serde_json::json!(-9_007_199_254_740_992_i64)).is_err());
        assert_eq!(canon("[-5, 0, 7]"), "[-5,0,7]");
    }

    #[test]
    fn nested_objects_and_no_whitespace() {
        assert_eq!(
            canon(r#"{ "b" : [ {"z":1, "a":2} ], "a" : {} }"#),
            r#"{"a":{},"b":[{"a":2,"z":1}]}"#
        );
    }
}
