//! Time as the verifier sees it: injected, never read from the system inside the core.

/// Seconds since the Unix epoch (a JWT NumericDate, integers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// Parse an RFC 3339 timestamp (`2026-06-01T00:00:00Z`).
    pub fn parse_rfc3339(s: &str) -> Option<UnixTime> {
        let t =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
        Some(UnixTime(t.unix_timestamp()))
    }

    /// Format as RFC 3339 in UTC (`2026-06-01T00:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| self.0.to_string()),
            Err(_) => self.0.to_string(),
        }
    }
}

/// A source of the current time. Libraries take a `&dyn Clock` or a `UnixTime`; only binaries
/// and services use [`SystemClock`].
pub trait Clock {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime(time::OffsetDateTime::now_utc().unix_timestamp())
    }
}

/// A clock stopped at one instant (tests, `vpass verify --at`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}
