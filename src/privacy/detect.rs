//! The built-in detectors of secrets and personal data in text (all in linear time, `regex`
//! crate) and how each one masks what it found; key names that name a secret; percent
//! decoding.

use std::borrow::Cow;

use regex::{Captures, Regex};

/// What replaces a value masked whole.
pub const MASK: &str = "***";

/// Names of the built-in detectors.
pub const PATTERNS: &[&str] = &[
    "email",
    "aws_access_key_id",
    "aws_secret_key",
    "bearer",
    "jwt",
    "url_password",
    "secret_pair",
    "card",
    "phone",
];

pub(super) struct Detector {
    pub(super) name: &'static str,
    pub(super) re: Regex,
}

pub(super) fn detector_regex(name: &str) -> Option<&'static str> {
    Some(match name {
        // The `@` as itself, full-width, percent-encoded (`%40`, double `%2540`...), as an
        // HTML entity or a literal escape; dots plain or percent-encoded. No word boundary
        // at either end: an address glued to digits or letters (`1,jane@example.com6726,`,
        // `éjane@...`) is still an address; the greedy parts take the longest one.
        "email" => {
            r"(?i)([a-z0-9._%+-])[a-z0-9._%+-]*(@|\x{ff20}|%(?:25)*40|&#0*64;|&#x0*40;|&commat;|\\u0040|\\x40)([a-z0-9-]+(?:(?:\.|%(?:25)*2e)[a-z0-9-]+)*(?:\.|%(?:25)*2e)[a-z]{2,})"
        }
        // No word boundary either: a key glued to other text (`AuditAKIA...istKey`, or after
        // a literal `\n` escape in a raw record) is still a key. The whole upper-case run is
        // taken, so the kept first and last four characters can never rebuild a key with
        // what follows.
        "aws_access_key_id" => {
            r"((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{12,})"
        }
        "aws_secret_key" => r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])",
        "bearer" => {
            r"(?i)\b(bearer|authorization:\s*basic|authorization:\s*token)(\s+)([A-Za-z0-9._~+/-]{8,}=*)"
        }
        "jwt" => r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        "url_password" => r"\b([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)@",
        // The name may carry a prefix (`db_password=`, `apiToken:`, `X-Auth-Token:`); the `=`
        // or `:` may be percent-encoded.
        "secret_pair" => {
            r#"(?i)\b([a-z0-9_.-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|secret[_-]?access[_-]?key))(["']?\s*(?:[=:]|%(?:25)*3[ad])\s*["']?)([^\s"'&,;]+)"#
        }
        "card" => r"\b(?:\d[ -]?){12,18}\d\b",
        "phone" => {
            r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}\b|\(\d{3}\)\s?\d{3}[ .-]\d{4}\b|\b\d{3}-\d{3}-\d{4}\b)"
        }
        _ => return None,
    })
}

/// True when the digits pass the Luhn check.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    for c in digits.chars().rev() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum.is_multiple_of(10)
}

pub(super) fn is_card(digits: &str) -> bool {
    (13..=19).contains(&digits.len())
        && luhn(digits)
        && matches!(digits.as_bytes()[0], b'2'..=b'6')
        && digits.bytes().any(|b| b != digits.as_bytes()[0])
}

fn star(n: usize) -> String {
    "*".repeat(n)
}

/// A 40-character token looks like an AWS secret key (mixed case and digits, not hex).
fn looks_like_secret_key(s: &str) -> bool {
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
    upper && lower && digit && !hex
}

/// A key name reduced for comparison: its letters and digits, lower-cased, so `API-Token`,
/// `api_token`, `api.token`, `apiToken` and `apitoken` are all `apitoken`.
pub(super) fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `key` names a secret: reduced by [`squash`], it ends with one of
/// `secret_keys` (already squashed). So `password`, `db_password`, `userPassword`,
/// `X-Api-Key`, `client.secret` and `sessionToken` do, but `token_count`, `max_tokens`,
/// `passwordLastUsed` and `secretName` do not.
pub(crate) fn key_names_secret(key: &str, secret_keys: &[String]) -> bool {
    let k = squash(key);
    !k.is_empty()
        && secret_keys
            .iter()
            .any(|s| !s.is_empty() && k.ends_with(s.as_str()))
}

/// Decodes `%XX` escapes (any case); `None` when there are none. Invalid UTF-8 in the result
/// becomes U+FFFD.
pub(super) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            changed = true;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// `:` as itself or percent-encoded (`%3A`, `%253A`, ...).
fn is_colon(t: &str) -> bool {
    if t == ":" {
        return true;
    }
    let Some(mut rest) = t.strip_prefix('%') else {
        return false;
    };
    while let Some(r) = rest.strip_prefix("25") {
        rest = r;
    }
    rest.eq_ignore_ascii_case("3a")
}

pub(super) fn mask_card(digits: &str) -> String {
    let keep = &digits[digits.len() - 4..];
    format!("{}{keep}", star(digits.len() - 4))
}

/// Masks what `d` finds in `s`. The detectors of personal data that can be an identity (an
/// actor id that is an e-mail address or a phone number) leave a match that is, as a whole,
/// one of `keep` (ASCII case ignored): a role that sees identities passes the actors here.
/// Secrets (keys, tokens, passwords, cards) are masked whatever `keep` holds.
pub(super) fn apply<'a>(d: &Detector, s: &'a str, keep: &[&str]) -> Cow<'a, str> {
    if !d.re.is_match(s) {
        return Cow::Borrowed(s);
    }
    let kept = |m: &str| keep.iter().any(|k| k.eq_ignore_ascii_case(m));
    let out = match d.name {
        "email" => d.re.replace_all(s, |c: &Captures| {
            if kept(&c[0]) {
                c[0].to_owned()
            } else {
                format!("{}***{}{}", &c[1], &c[2], &c[3])
            }
        }),
        "aws_access_key_id" => d.re.replace_all(s, |c: &Captures| {
            let k = &c[1];
            format!("{}{}{}", &k[..4], star(k.len() - 8), &k[k.len() - 4..])
        }),
        "aws_secret_key" => d.re.replace_all(s, |c: &Captures| {
            let whole = &c[0];
            let key = c.get(1).expect("invariant: group 1 always matches");
            if !looks_like_secret_key(key.as_str()) {
                return whole.to_owned();
            }
            let start = key.start() - c.get(0).map_or(0, |m| m.start());
            let end = start + key.len();
            format!(
                "{}{}{}{}",
                &whole[..start],
                &key.as_str()[..4],
                star(36),
                &whole[end..]
            )
        }),
        "bearer" => {
            d.re.replace_all(s, |c: &Captures| format!("{}{}{MASK}", &c[1], &c[2]))
        }
        "jwt" => d.re.replace_all(s, format!("eyJ{MASK}").as_str()),
        "url_password" => {
            d.re.replace_all(s, |c: &Captures| format!("{}{MASK}@", &c[1]))
        }
        "secret_pair" => d.re.replace_all(s, |c: &Captures| {
            let start = c.get(0).map_or(0, |m| m.start());
            // `secret:name` with no space is an identifier (an ARN's `:secret:MyDb`), not a pair.
            let bare_colon = is_colon(c[2].trim_matches(|ch| ch == '"' || ch == '\''))
                && !c[2].contains(['"', '\'']);
            let before = &s[..start];
            let after_colon =
                before.ends_with(':') || before.rfind('%').is_some_and(|i| is_colon(&before[i..]));
            if c[3].starts_with(MASK) || bare_colon || after_colon {
                c[0].to_owned()
            } else {
                format!("{}{}{MASK}", &c[1], &c[2])
            }
        }),
        "card" => d.re.replace_all(s, |c: &Captures| {
            let digits: String = c[0].chars().filter(char::is_ascii_digit).collect();
            if is_card(&digits) {
                mask_card(&digits)
            } else {
                c[0].to_owned()
            }
        }),
        "phone" => d.re.replace_all(s, |c: &Captures| {
            let m = &c[0];
            let total = m.chars().filter(char::is_ascii_digit).count();
            if !(7..=15).contains(&total) || kept(m) {
                return m.to_owned();
            }
            let mut seen = 0;
            m.chars()
                .map(|ch| {
                    if ch.is_ascii_digit() {
                        seen += 1;
                        if seen > total - 2 { ch } else { '*' }
                    } else {
                        ch
                    }
                })
                .collect()
        }),
        _ => Cow::Borrowed(s),
    };
    match out {
        Cow::Owned(o) if o != s => Cow::Owned(o),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use crate::privacy::Masker;

    fn m() -> Masker {
        Masker::default_policy()
    }

    #[test]
    fn emails_glued_to_digits_or_letters_are_masked() {
        // Found by the `mask` fuzz target: the trailing word boundary let these through.
        for (text, shown) in [
            (
                "1,jane.roe@example.com672601487986,",
                "1,j***@example.com672601487986,",
            ),
            ("x:éjane.roe@example.com", "x:éj***@example.com"),
            ("id42jane@example.org_x", "i***@example.org_x"),
        ] {
            assert_eq!(m().mask_text(text), shown, "{text}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            m().mask_text("mail mary@example.org now"),
            "mail m***@example.org now"
        );
        assert_eq!(m().mask_text("no at sign here"), "no at sign here");
        assert_eq!(m().mask_text("pkg@1.2.3"), "pkg@1.2.3");
    }

    #[test]
    fn aws_keys() {
        assert_eq!(
            m().mask_text("key AKIAIOSFODNN7EXAMPLE"),
            "key AKIA************MPLE"
        );
        // Glued to other text, after a literal `\n` escape, or inside a longer upper-case run.
        assert_eq!(
            m().mask_text("AuditAKIAIOSFODNN7EXAMPLEistKey"),
            "AuditAKIA************MPLEistKey"
        );
        assert_eq!(
            m().mask_text(r"line\nAKIAIOSFODNN7EXAMPLE"),
            r"line\nAKIA************MPLE"
        );
        let run = format!("ASIA{}AKIAIOSFODNN7EXAMPLE", "X".repeat(20));
        let t = m().mask_text(&run);
        assert!(!t.contains("AKIAIOSFODNN7EXAMPLE"), "{t}");
        assert_eq!(t, format!("ASIA{}MPLE", "*".repeat(36)));
        // Too short after the prefix to be a key.
        assert_eq!(m().mask_text("ASIAN MARKETS"), "ASIAN MARKETS");
        let t = m().mask_text("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end");
        assert_eq!(t, format!("secret wJal{} end", "*".repeat(36)));
        // A SHA-1 is not a secret key.
        let sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
        assert_eq!(m().mask_text(sha), sha);
    }

    #[test]
    fn cards_luhn() {
        assert_eq!(
            m().mask_text("card 4111 1111 1111 1111"),
            "card ************1111"
        );
        assert_eq!(m().mask_text("n 4111111111111112"), "n 4111111111111112");
        let mut v = serde_json::json!({"n": 4_111_111_111_111_111_u64});
        m().mask_value("", &mut v);
        assert_eq!(v["n"], "************1111");
    }

    #[test]
    fn tokens_and_passwords() {
        let t = m().mask_text("Authorization: Bearer abcdefghijkl.mnop");
        assert_eq!(t, "Authorization: Bearer ***");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-x";
        assert_eq!(m().mask_text(&format!("t {jwt}")), "t eyJ***");
        assert_eq!(
            m().mask_text("postgres://admin:hunter2@db:5432/x"),
            "postgres://admin:***@db:5432/x"
        );
        assert_eq!(
            m().mask_text("password=hunter2 user=x"),
            "password=*** user=x"
        );
        assert_eq!(m().mask_text("max_tokens=100"), "max_tokens=100");
        let arn = "arn:aws:secretsmanager:us-east-2:123456789012:secret:prod-db-AbCdEf";
        assert_eq!(m().mask_text(arn), arn);
        assert_eq!(m().mask_text("secret: abc123"), "secret: ***");
        assert_eq!(m().mask_text(r#"{"token":"abc"}"#), r#"{"token":"***"}"#);
        assert_eq!(
            m().mask_text("create serviceaccounts/token coredns-sa -> 201"),
            "create serviceaccounts/token coredns-sa -> 201"
        );
        assert_eq!(
            m().mask_text("basic authentication enabled"),
            "basic authentication enabled"
        );
        assert_eq!(
            m().mask_text("Authorization: Basic dXNlcjpwYXNzd29yZA=="),
            "Authorization: Basic ***"
        );
    }

    #[test]
    fn leaves_ordinary_values() {
        for s in [
            "550e8400-e29b-41d4-a716-446655440000",
            "2024-05-01T12:00:00.123Z",
            "10.0.0.12",
            "v1.2.3",
            "run-20240501-0001",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "model fraud-detector@3.1.0",
        ] {
            assert_eq!(m().mask_text(s), s, "{s}");
        }
    }

    #[test]
    fn percent_encoded_and_escaped_emails_are_masked() {
        for (input, want) in [
            (
                "https://x.example/?u=jane.roe%40example.com&a=1",
                "https://x.example/?u=j***%40example.com&a=1",
            ),
            ("u=JANE.ROE%40EXAMPLE.COM", "u=J***%40EXAMPLE.COM"),
            ("u=jane.roe%2540example.com", "u=j***%2540example.com"),
            (
                "u=jane.roe%252540example%252Ecom",
                "u=j***%252540example%252Ecom",
            ),
            ("u=jane%40example%2ecom", "u=j***%40example%2ecom"),
            (
                "jane&#64;example.com and jane&#x40;example.com",
                "j***&#64;example.com and j***&#x40;example.com",
            ),
            ("jane&commat;example.com", "j***&commat;example.com"),
            (r"jane\u0040example.com", r"j***\u0040example.com"),
            ("jane\u{ff20}example.com", "j***\u{ff20}example.com"),
        ] {
            assert_eq!(m().mask_text(input), want, "{input}");
        }
        // Other detectors are not beaten by percent-encoding either: the decoded text is shown.
        let t = m().mask_text("next=https%3A%2F%2Fbob%3As3cret%40db.example.com%2Fx");
        assert!(!t.contains("s3cret"), "{t}");
        assert_eq!(
            m().mask_text("next=postgres%3A%2F%2Fbob%3As3cret%2540db%3A5432"),
            "next=postgres://bob:***@db:5432"
        );
        assert_eq!(
            m().mask_text("k=%41%4B%49%41IOSFODNN7EXAMPLE"),
            "k=AKIA************MPLE"
        );
        assert_eq!(m().mask_text("h=Bearer%20abcdefghijkl"), "h=Bearer ***");
        // Encoded text without secrets is left as it is.
        for s in [
            "q=a%20b%2Fc",
            "v=1.2.3%2Brc1",
            "path=%2Fdata%2F550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert_eq!(m().mask_text(s), s);
        }
        // A prefix before a secret name, and an encoded `=`.
        assert_eq!(
            m().mask_text("db_password=x1 apiToken: x2"),
            "db_password=*** apiToken: ***"
        );
        assert_eq!(m().mask_text("?api_token%3Dx3"), "?api_token%3D***");
        let arn = "arn%3Aaws%3Asecretsmanager%3Aus-east-2%3A123456789012%3Asecret%3Aprod-db";
        assert_eq!(m().mask_text(arn), arn);
    }

    #[test]
    fn phones() {
        assert_eq!(
            m().mask_text("call +1 415 555 0123"),
            "call +* *** *** **23"
        );
        assert_eq!(m().mask_text("call 415-555-0123"), "call ***-***-**23");
    }
}
