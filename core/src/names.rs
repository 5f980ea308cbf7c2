//! The shapes of the AWS names keyrings are configured with, checked at
//! construction so that a typo fails there with the parameter named, not
//! later as a KMS error or a decrypt that finds no key: Regions
//! (`us-east-1`), account ids (12 digits), and identifiers free of
//! whitespace and control characters (a key id pasted with a newline).

/// Fails unless `region` has the shape of an AWS Region: lower-case letters
/// in two or more hyphen-separated parts, then a number, e.g. `us-east-1`,
/// `us-gov-west-1`, `cn-north-1`, `eu-central-2`, `us-isob-east-1`. The
/// error is the problem in words.
pub fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(letters)
        && parts[0].len() == 2
        && parts.last().is_some_and(|p| {
            !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not an AWS Region (a Region looks like \"us-east-1\": \
             lower-case letters and hyphens, then a number)"
        ))
    }
}

/// Fails unless `account` is an AWS account id: exactly 12 ASCII digits.
pub fn check_account_id(account: &str) -> Result<(), String> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "{account:?} is not an AWS account id (an account id is exactly 12 digits, \
             e.g. \"111122223333\")"
        ))
    }
}

/// The byte offset of the first whitespace or control character in `text`,
/// if any.
pub fn first_space_or_control(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
        .map(|(at, _)| at)
}

/// Fails when `value` (the parameter `name`) contains whitespace or a
/// control character, naming the parameter and the byte.
pub fn check_no_space(name: &str, value: &str) -> Result<(), String> {
    match first_space_or_control(value) {
        None => Ok(()),
        Some(at) => Err(format!(
            "{name} {value:?} contains whitespace or a control character at byte {at}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_regions_pass_and_typos_fail() {
        for region in [
            "us-east-1",
            "us-west-2",
            "us-gov-west-1",
            "us-gov-east-1",
            "cn-north-1",
            "cn-northwest-1",
            "eu-central-2",
            "ap-southeast-5",
            "il-central-1",
            "me-south-1",
            "ca-west-1",
            "mx-central-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "us-isof-south-1",
        ] {
            assert_eq!(check_region(region), Ok(()), "{region}");
        }
        for region in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "us-east-1 ",
            "useast1",
            "us-east-1a",
            "arn:aws:kms",
            "us--1",
            "u-east-1",
            "us-east-",
        ] {
            assert!(check_region(region).is_err(), "{region:?}");
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(check_account_id("111122223333"), Ok(()));
        assert_eq!(check_account_id("000000000000"), Ok(()));
        for bad in [
            "",
            "11112222333",
            "1111222233334",
            "11112222333a",
            " 111122223333",
        ] {
            let err = check_account_id(bad).unwrap_err();
            assert!(err.contains("exactly 12 digits"), "{err}");
        }
    }

    #[test]
    fn whitespace_and_control_characters_are_found() {
        assert_eq!(first_space_or_control("alias/my-key"), None);
        assert_eq!(first_space_or_control("alias/my key"), Some(8));
        assert_eq!(first_space_or_control("key\n"), Some(3));
        assert_eq!(first_space_or_control("a\u{0}b"), Some(1));
        assert_eq!(first_space_or_control("a\u{a0}b"), Some(1));
        let err = check_no_space("key name", "k 1").unwrap_err();
        assert_eq!(
            err,
            "key name \"k 1\" contains whitespace or a control character at byte 1"
        );
    }
}
