//! Avro `decimal` values (on `bytes` or `fixed`): exact decimal text (`"-1234.50"`) to and from
//! the big-endian two's-complement bytes of the unscaled integer, checked against the schema's
//! precision and scale. JS numbers cannot carry every decimal exactly, so the JS form is text.

use num_bigint::{BigInt, Sign};

/// The unscaled integer of `text` at `scale` (`"12.5"` at scale 2 is 1250) as the shortest
/// two's-complement bytes (as Java's `BigInteger.toByteArray`). `text` is a decimal number, with
/// an optional sign, fraction and exponent (`"-1.25"`, `"125e-2"`: the text of a JSON number
/// too). Err (a message) when it is not one, has more fraction digits than `scale` (a value that
/// would lose digits), or more digits than `precision`.
pub fn unscaled_bytes(text: &str, precision: usize, scale: usize) -> Result<Vec<u8>, String> {
    let (negative, digits, point_shift) = parse(text)?;
    // The value is digits × 10^-point_shift; at `scale` the unscaled integer is digits × 10^pad.
    let pad = scale as i64 - point_shift;
    if pad < 0 {
        return Err(format!(
            "{text} has more than {scale} digits after the decimal point (the schema's scale)"
        ));
    }
    let significant = digits.trim_start_matches('0');
    let count = if significant.is_empty() {
        0
    } else {
        significant.len() as i64 + pad
    };
    if count > precision as i64 {
        return Err(format!(
            "{text} has more than {precision} digits at scale {scale} (the schema's precision)"
        ));
    }
    let mut unscaled = String::with_capacity(count.max(1) as usize);
    unscaled.push_str(if significant.is_empty() {
        "0"
    } else {
        significant
    });
    if !significant.is_empty() {
        unscaled.extend(std::iter::repeat_n('0', pad as usize));
    }
    let magnitude = BigInt::parse_bytes(unscaled.as_bytes(), 10)
        .ok_or_else(|| format!("{text} is not a decimal number"))?;
    Ok(if negative { -magnitude } else { magnitude }.to_signed_bytes_be())
}

/// Splits decimal text into its sign, its digits without the point, and how many places the
/// point sits from their end (the fraction length minus the exponent).
fn parse(text: &str) -> Result<(bool, String, i64), String> {
    let not_decimal = || format!("{text:?} is not a decimal number");
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let e: i64 = rest[at + 1..].parse().map_err(|_| not_decimal())?;
            (&rest[..at], e)
        }
        None => (rest, 0),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(not_decimal());
    }
    if mantissa.ends_with('.') || exponent.unsigned_abs() > 1_000_000 {
        return Err(not_decimal());
    }
    Ok((
        negative,
        format!("{whole}{fraction}"),
        fraction.len() as i64 - exponent,
    ))
}

/// `bytes` (two's complement) sign-extended to the `size` bytes of a fixed; Err when the value
/// needs more.
pub fn sign_extend(bytes: &[u8], size: usize) -> Result<Vec<u8>, String> {
    if bytes.len() > size {
        return Err(format!(
            "the decimal needs {} bytes, more than the {size} of its fixed",
            bytes.len()
        ));
    }
    let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut out = vec![fill; size - bytes.len()];
    out.extend_from_slice(bytes);
    Ok(out)
}

/// The decimal text of the unscaled integer in two's-complement `bytes` at `scale`: `scale`
/// digits after the point (`"1234.50"`, `"-0.05"`, `"7"` at scale 0).
pub fn text(bytes: &[u8], scale: usize) -> String {
    let value = BigInt::from_signed_bytes_be(bytes);
    let digits = value.magnitude().to_str_radix(10);
    let mut out = String::with_capacity(digits.len() + scale + 3);
    if value.sign() == Sign::Minus {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
        return out;
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    out.push_str(whole);
    out.push('.');
    out.push_str(fraction);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_to_twos_complement() {
        // Hand-computed: 123450 = 0x01E23A; -123450 = 0xFE1DC6; 128 needs a sign byte.
        let cases: [(&str, usize, usize, &[u8]); 10] = [
            ("1234.50", 6, 2, &[0x01, 0xe2, 0x3a]),
            ("1234.5", 6, 2, &[0x01, 0xe2, 0x3a]),
            ("-1234.50", 6, 2, &[0xfe, 0x1d, 0xc6]),
            ("1.28", 3, 2, &[0x00, 0x80]),
            ("-1.28", 3, 2, &[0x80]),
            ("0", 1, 0, &[0x00]),
            ("-0.00", 4, 2, &[0x00]),
            ("12345e-2", 6, 2, &[0x30, 0x39]),
            ("1.2e1", 3, 1, &[0x78]),
            ("+0.01", 2, 2, &[0x01]),
        ];
        for (text, precision, scale, bytes) in cases {
            assert_eq!(
                unscaled_bytes(text, precision, scale).unwrap(),
                bytes,
                "{text}"
            );
        }
    }

    #[test]
    fn scale_precision_and_syntax_are_checked() {
        assert!(unscaled_bytes("1.234", 10, 2)
            .unwrap_err()
            .contains("scale"));
        assert!(unscaled_bytes("12345.6", 6, 2)
            .unwrap_err()
            .contains("precision"));
        assert!(unscaled_bytes("1e9", 9, 0)
            .unwrap_err()
            .contains("precision"));
        assert!(unscaled_bytes("0.000", 1, 3).is_ok());
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1.2.3",
            "abc",
            "1e",
            "1e5000000",
            "0x10",
            " 1",
        ] {
            assert!(
                unscaled_bytes(bad, 38, 2)
                    .unwrap_err()
                    .contains("not a decimal"),
                "{bad}"
            );
        }
    }

    #[test]
    fn twos_complement_to_text() {
        assert_eq!(text(&[0x01, 0xe2, 0x3a], 2), "1234.50");
        assert_eq!(text(&[0xfe, 0x1d, 0xc6], 2), "-1234.50");
        assert_eq!(text(&[0xff, 0xfb], 2), "-0.05");
        assert_eq!(text(&[0x00, 0x00, 0x07], 0), "7");
        assert_eq!(text(&[], 3), "0.000");
        // Beyond what an f64 carries exactly: 38 digits.
        let big = "12345678901234567890123456.789012345678";
        assert_eq!(text(&unscaled_bytes(big, 38, 12).unwrap(), 12), big);
        let negative = format!("-{big}");
        assert_eq!(
            text(&unscaled_bytes(&negative, 38, 12).unwrap(), 12),
            negative
        );
    }

    #[test]
    fn fixed_sizes() {
        assert_eq!(sign_extend(&[0x01, 0xe2], 4).unwrap(), [0, 0, 0x01, 0xe2]);
        assert_eq!(sign_extend(&[0xfe], 3).unwrap(), [0xff, 0xff, 0xfe]);
        assert!(sign_extend(&[1, 2, 3], 2).is_err());
        let round = sign_extend(&unscaled_bytes("-0.05", 3, 2).unwrap(), 8).unwrap();
        assert_eq!(text(&round, 2), "-0.05");
    }
}
