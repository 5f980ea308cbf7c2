//! DynamoDB numbers: parsing and the one canonical decimal form.
//!
//! DynamoDB stores a number as a decimal of at most 38 significant digits whose
//! magnitude is 0 or lies between 1E-130 and 9.9999999999999999999999999999999999999E+125,
//! and returns it in plain decimal notation: no exponent, no leading zeros, no
//! trailing zeros after the point, no `+`, and `0` for every zero. [`Number`]
//! holds exactly that form, so two numbers that DynamoDB treats as equal have
//! equal strings (and equal encodings).

use std::fmt;

/// The most significant digits DynamoDB keeps.
pub const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// The smallest decimal exponent of a non-zero number (1E-130).
pub const MIN_EXPONENT: i64 = -130;
/// The largest decimal exponent of a number (9.99…E+125).
pub const MAX_EXPONENT: i64 = 125;

/// A DynamoDB number in canonical plain decimal notation, e.g. `"1.5"`,
/// `"-100"`, `"0.001"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(String);

impl zeroize::Zeroize for Number {
    /// Wipes the digits, leaving an empty string (not a valid number: for a
    /// value about to be dropped).
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Number {
    /// Parses a decimal string (`[+-]digits[.digits][(e|E)[+-]digits]`, at
    /// least one digit before the exponent) and canonicalises it as DynamoDB
    /// does: `"01.50"` -> `"1.5"`, `"-0"` -> `"0"`, `"1E+2"` -> `"100"`.
    ///
    /// The error text says what is wrong (it does not repeat long input).
    pub fn parse(input: &str) -> Result<Number, String> {
        let bytes = input.as_bytes();
        let mut i = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        // Mantissa digits without the point, and how many came after it.
        let mut digits: Vec<u8> = Vec::new();
        let mut fraction_digits: i64 = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        while i < bytes.len() {
            match bytes[i] {
                c @ b'0'..=b'9' => {
                    any_digit = true;
                    // Leading zeros carry no value; skip them (bounded memory).
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        fraction_digits = fraction_digits.saturating_add(1);
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err("is not a decimal number".to_string()),
            }
            i += 1;
        }
        if !any_digit {
            return Err("is not a decimal number".to_string());
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() {
            // bytes[i] is 'e' or 'E'.
            i += 1;
            let exp_negative = match bytes.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            if i == bytes.len() {
                return Err("is not a decimal number (empty exponent)".to_string());
            }
            for &c in &bytes[i..] {
                if !c.is_ascii_digit() {
                    return Err("is not a decimal number".to_string());
                }
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add((c - b'0') as i64);
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        // value = 0.digits... : digits * 10^(exponent - fraction_digits)
        while digits.last() == Some(&0) {
            digits.pop();
            fraction_digits = fraction_digits.saturating_sub(1);
        }
        if digits.is_empty() {
            return Ok(Number("0".to_string()));
        }
        if digits.len() > MAX_SIGNIFICANT_DIGITS {
            return Err(format!(
                "has {} significant digits, more than {MAX_SIGNIFICANT_DIGITS}",
                digits.len()
            ));
        }
        // Scale: value = digits (as an integer) * 10^scale.
        let scale = exponent.saturating_sub(fraction_digits);
        // Exponent of the leading digit in scientific notation.
        let leading = scale.saturating_add(digits.len() as i64 - 1);
        if leading > MAX_EXPONENT {
            return Err("is out of range (magnitude above 9.99…E+125)".to_string());
        }
        if leading < MIN_EXPONENT {
            return Err("is out of range (magnitude below 1E-130)".to_string());
        }
        let mut out = String::with_capacity(digits.len() + 140);
        if negative {
            out.push('-');
        }
        let text: String = digits.iter().map(|d| (b'0' + d) as char).collect();
        if scale >= 0 {
            out.push_str(&text);
            out.extend(std::iter::repeat_n('0', scale as usize));
        } else if leading >= 0 {
            let whole = (leading + 1) as usize;
            out.push_str(&text[..whole]);
            out.push('.');
            out.push_str(&text[whole..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-leading - 1) as usize));
            out.push_str(&text);
        }
        Ok(Number(out))
    }

    /// The canonical decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Number {
    type Err = String;
    fn from_str(s: &str) -> Result<Number, String> {
        Number::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Number::parse(s).unwrap().0
    }

    #[test]
    fn canonical_forms() {
        for (input, expected) in [
            ("01.50", "1.5"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("0e99999999999999999999", "0"),
            ("1E+2", "100"),
            ("1e2", "100"),
            ("+7", "7"),
            ("1.", "1"),
            (".5", "0.5"),
            ("-.5e1", "-5"),
            ("123.456e-2", "1.23456"),
            ("0.001", "0.001"),
            ("1E-3", "0.001"),
            ("-12345.6789", "-12345.6789"),
            ("1000", "1000"),
            ("1000.000", "1000"),
            ("0000123", "123"),
        ] {
            assert_eq!(canon(input), expected, "{input}");
        }
    }

    #[test]
    fn range_and_precision_limits() {
        let smallest = canon("1E-130");
        assert_eq!(smallest.len(), 2 + 129 + 1);
        assert!(smallest.starts_with("0.000") && smallest.ends_with('1'));
        let largest = canon("9.9999999999999999999999999999999999999E+125");
        assert_eq!(largest.len(), 126);
        assert!(Number::parse("1E+126")
            .unwrap_err()
            .contains("out of range"));
        assert!(Number::parse("1E-131")
            .unwrap_err()
            .contains("out of range"));
        assert!(Number::parse("-1E-131").is_err());
        assert!(Number::parse("1e-99999999999999999999999").is_err());
        let digits38 = "1".repeat(38);
        assert_eq!(canon(&digits38), digits38);
        assert_eq!(
            Number::parse(&"1".repeat(39)).unwrap_err(),
            "has 39 significant digits, more than 38"
        );
        // Trailing zeros are not significant.
        assert_eq!(canon(&format!("{}000", "1".repeat(38))).len(), 41);
    }

    #[test]
    fn malformed_numbers() {
        for bad in [
            "", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "0x10", "NaN", "Infinity",
            "1,5", "--1", "1e1.5",
        ] {
            assert!(Number::parse(bad).is_err(), "{bad:?}");
        }
    }
}
