//! The integrity status of one record of a sealed bundle (spec section 7): set by the
//! verifier, attached to events (`integrity:verified`), shown by the explorer.

/// Exactly one per record line (spec section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum RecordStatus {
    /// Authenticated from a signed anchor.
    Verified = 0,
    /// The stored hash does not match the record bytes.
    Modified = 1,
    /// Consistent, but not the authenticated hash for its seq.
    Replaced = 2,
    /// Consistent, but its seq is authenticated by another line, or before `first_seq`.
    Inserted = 3,
    /// The same hash as an earlier line.
    Duplicate = 4,
    /// Authenticated, but out of seq order in the file.
    Reordered = 5,
    /// Seq after the signed `last_seq`.
    AppendedUnsigned = 6,
    /// `rec.stream` is not the file's stream.
    ForeignStream = 7,
    /// Not a well-formed envelope.
    Malformed = 8,
    /// Consistent but not reachable from a trusted anchor.
    Unverified = 9,
}

/// The integrity label of a record whose verdict is not known yet (the explorer indexes a
/// sealed bundle while it is verified); not a [`RecordStatus`].
pub const PENDING: &str = "pending";

impl RecordStatus {
    /// Every status, in report order.
    pub const ALL: [Self; 10] = [
        Self::Verified,
        Self::Modified,
        Self::Replaced,
        Self::Inserted,
        Self::Duplicate,
        Self::Reordered,
        Self::AppendedUnsigned,
        Self::ForeignStream,
        Self::Malformed,
        Self::Unverified,
    ];

    /// The code as the spec spells it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Verified => "VERIFIED",
            Self::Modified => "MODIFIED",
            Self::Replaced => "REPLACED",
            Self::Inserted => "INSERTED",
            Self::Duplicate => "DUPLICATE",
            Self::Reordered => "REORDERED",
            Self::AppendedUnsigned => "APPENDED_UNSIGNED",
            Self::ForeignStream => "FOREIGN_STREAM",
            Self::Malformed => "MALFORMED",
            Self::Unverified => "UNVERIFIED",
        }
    }

    /// Lower case, as attached to events (`integrity:verified`).
    pub(crate) fn lower(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Modified => "modified",
            Self::Replaced => "replaced",
            Self::Inserted => "inserted",
            Self::Duplicate => "duplicate",
            Self::Reordered => "reordered",
            Self::AppendedUnsigned => "appended_unsigned",
            Self::ForeignStream => "foreign_stream",
            Self::Malformed => "malformed",
            Self::Unverified => "unverified",
        }
    }

    /// From the lower-case spelling (`verified`, `appended_unsigned`...); `None` for any
    /// other text.
    pub(crate) fn from_lower(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.lower() == s)
    }

    /// From the `u8` representation.
    pub(crate) fn from_u8(b: u8) -> Option<Self> {
        Self::ALL.get(usize::from(b)).copied()
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Every integrity label a query may name: `pending`, then the record statuses (lower case).
pub(crate) fn integrity_labels() -> impl Iterator<Item = &'static str> {
    std::iter::once(PENDING).chain(RecordStatus::ALL.iter().map(|s| s.lower()))
}

#[cfg(test)]
mod tests {
    use super::{RecordStatus, glob};

    #[test]
    fn statuses_read_back_from_their_lower_case_spelling_only() {
        for s in RecordStatus::ALL {
            assert_eq!(RecordStatus::from_lower(s.lower()), Some(s));
            assert_eq!(RecordStatus::from_u8(s as u8), Some(s));
        }
        assert_eq!(RecordStatus::from_lower("VERIFIED"), None);
        assert_eq!(RecordStatus::from_lower("verified "), None);
        assert_eq!(RecordStatus::from_lower(""), None);
    }

    #[test]
    fn wildcards_stand_for_any_run_of_characters() {
        for (p, t, m) in [
            ("verified", "verified", true),
            ("verified", "verifie", false),
            ("mod*", "modified", true),
            ("*ed", "modified", true),
            ("*ed", "malformed", true),
            ("m*f*d", "modified", true),
            ("m*f*d", "malformed", true),
            ("m*z*d", "modified", false),
            ("*", "x", true),
            ("a*a", "a", false),
            ("ver*", "unverified", false),
        ] {
            assert_eq!(glob(p, t), m, "{p} ~ {t}");
        }
    }
}
