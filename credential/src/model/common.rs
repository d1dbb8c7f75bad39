//! Pieces shared by every credential kind: the member reader that names JSON paths in errors,
//! the value types (dates, IIN, regions) and the person members of a subject.

use serde_json::{Map, Value};

use super::reason;
use crate::error::{Code, Error, Result};
use crate::text::Lines;

/// Longest short text (a name, an activity, an organisation), in characters.
pub const MAX_TEXT: usize = 200;
/// Longest long text (a description, a criteria narrative), in characters.
pub const MAX_LONG_TEXT: usize = 2_000;
/// Longest identifier (DID, URI, URL), in characters.
pub const MAX_IDENTIFIER: usize = 1_024;
/// Longest email address (RFC 5321 path limit).
const MAX_EMAIL: usize = 254;

/// An `INVALID_FIELD` error at `path`.
pub(crate) fn invalid(path: impl Into<String>, reason: &'static str) -> Error {
    Error::field_reason(Code::InvalidField, path, reason)
}

/// `path.name`, or `name` at the top level.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// A JSON object being read, member by member, at a known path.
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    /// Check that `value` is an object with no member outside `allowed`. Unknown members are
    /// reported before anything else, so that a typo (`hour`) is named as such rather than as
    /// a missing `hours`.
    pub(crate) fn new(value: &'a Value, path: &'a str, allowed: &[&str]) -> Result<Obj<'a>> {
        let map = value
            .as_object()
            .ok_or_else(|| invalid(path, reason::NOT_OBJECT))?;
        if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            // The name is untrusted: keep the path short.
            let shown: String = key.chars().take(64).collect();
            return Err(invalid(join(path, &shown), reason::UNKNOWN_MEMBER));
        }
        Ok(Obj { map, path })
    }

    /// The JSON path of a member.
    pub(crate) fn path(&self, name: &str) -> String {
        join(self.path, name)
    }

    /// A required member, parsed by `parse`.
    pub(crate) fn req<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&'a Value, &str) -> Result<T>,
    ) -> Result<T> {
        let path = self.path(name);
        match self.map.get(name) {
            Some(v) => parse(v, &path),
            None => Err(invalid(path, reason::MISSING)),
        }
    }

    /// An optional member, parsed by `parse` when present (`null` is not "absent").
    pub(crate) fn opt<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&'a Value, &str) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.map.get(name) {
            Some(v) => parse(v, &self.path(name)).map(Some),
            None => Ok(None),
        }
    }
}

/// A string value.
pub(crate) fn string<'v>(v: &'v Value, path: &str) -> Result<&'v str> {
    v.as_str().ok_or_else(|| invalid(path, reason::NOT_STRING))
}

/// A one-line human text: at most [`MAX_TEXT`] characters, under the text rule
/// ([`crate::text`]: something visible, no control, bidi override or isolate).
pub(crate) fn text(v: &Value, path: &str) -> Result<String> {
    checked_text(v, path, MAX_TEXT, Lines::One)
}

/// A longer text: at most [`MAX_LONG_TEXT`] characters; line feeds allowed.
pub(crate) fn long_text(v: &Value, path: &str) -> Result<String> {
    checked_text(v, path, MAX_LONG_TEXT, Lines::Many)
}

fn checked_text(v: &Value, path: &str, max: usize, lines: Lines) -> Result<String> {
    let s = string(v, path)?;
    crate::text::check_text(s, max, lines).map_err(|r| invalid(path, r))?;
    Ok(s.to_owned())
}

/// A URI: a scheme (RFC 3986 §3.1), a colon, then visible ASCII only.
pub(crate) fn uri(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    if is_uri(s) {
        Ok(s.to_owned())
    } else {
        Err(invalid(path, reason::NOT_URI))
    }
}

pub(crate) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    s.len() <= MAX_IDENTIFIER
        && sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_graphic())
}

/// An `http:` or `https:` URL with a host. `http:` is allowed because a development office
/// (`vpass serve` on 127.0.0.1) publishes its lists without TLS.
pub(crate) fn http_url(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let authority = r.split(['/', '?', '#']).next().unwrap_or_default();
        !authority.is_empty()
    });
    if host_ok && is_uri(s) {
        Ok(s.to_owned())
    } else {
        Err(invalid(path, reason::NOT_HTTP_URL))
    }
}

/// A DID (W3C DID Core §3.1 syntax): `did:` method `:` method-specific-id, where the method is
/// lowercase letters and digits and the id is `idchar`s (ALPHA, DIGIT, `.`, `-`, `_`, `%HH`)
/// possibly separated by colons. No DID URL parts (path, query, fragment).
pub(crate) fn did(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    if is_did(s) {
        Ok(s.to_owned())
    } else {
        Err(invalid(path, reason::NOT_DID))
    }
}

/// Whether `s` has DID syntax (see [`did`]).
pub(crate) fn is_did(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("did:") else {
        return false;
    };
    let Some((method, id)) = rest.split_once(':') else {
        return false;
    };
    if s.len() > MAX_IDENTIFIER
        || method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        || id.is_empty()
        || id.ends_with(':')
    {
        return false;
    }
    let bytes = id.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
        } else if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':') {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// An email address: one `@`, a local part of at most 64 characters, a dotted domain, no
/// white space. Deliverability is not the model's concern.
pub(crate) fn email(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    let ok = s.len() <= MAX_EMAIL
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && domain.split('.').all(|label| !label.is_empty())
                && !domain.contains('@')
        })
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(invalid(path, reason::NOT_EMAIL))
    }
}

/// An E.164 phone number: `+`, a country code not starting with 0, 8 to 15 digits in all
/// (Kazakhstan: `+7` and 10 digits). No spaces or punctuation, so one number has one form.
pub(crate) fn phone(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    let ok = s.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(invalid(path, reason::NOT_PHONE))
    }
}

/// A calendar date written `YYYY-MM-DD` (ISO 8601 extended, four-digit year, no sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate(time::Date);

impl IsoDate {
    /// Parse exactly `YYYY-MM-DD`; `None` for any other form or an impossible date.
    pub fn parse(s: &str) -> Option<IsoDate> {
        let Ok([y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2]) = <[u8; 10]>::try_from(s.as_bytes())
        else {
            return None;
        };
        let year = number(&[y1, y2, y3, y4])?;
        let month = time::Month::try_from(u8::try_from(number(&[m1, m2])?).ok()?).ok()?;
        let day = u8::try_from(number(&[d1, d2])?).ok()?;
        let year = i32::try_from(year).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(IsoDate)
    }

    /// The date as a `time::Date`.
    pub const fn date(self) -> time::Date {
        self.0
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: IsoDate) -> i64 {
        (later.0 - self.0).whole_days()
    }

    /// The UTC calendar day of a Unix time.
    pub(crate) fn from_unix(t: i64) -> Option<IsoDate> {
        time::OffsetDateTime::from_unix_timestamp(t)
            .ok()
            .map(|t| IsoDate(t.date()))
    }

    /// The next day (saturating at the end of the calendar).
    pub(crate) fn next_day(self) -> IsoDate {
        IsoDate(self.0.next_day().unwrap_or(self.0))
    }
}

impl std::fmt::Display for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// The decimal value of ASCII digits, `None` if any byte is not a digit.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

pub(crate) fn date(v: &Value, path: &str) -> Result<IsoDate> {
    IsoDate::parse(string(v, path)?).ok_or_else(|| invalid(path, reason::NOT_DATE))
}

/// A Kazakhstan individual identification number (IIN, ЖСН/ИИН), checked in full.
///
/// Layout: digits 1–6 are the birth date `YYMMDD`; digit 7 gives century and sex (1/2: 1800s
/// male/female, 3/4: 1900s, 5/6: 2000s); digits 8–11 are a serial; digit 12 is the check digit
/// (see [`iin_check_digit`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iin {
    digits: String,
    birth_date: IsoDate,
}

impl Iin {
    /// Parse and check an IIN. The error is the reason from [`reason`]: `IIN_FORMAT`,
    /// `IIN_BIRTH_DATE` or `IIN_CHECK_DIGIT`.
    pub fn parse(s: &str) -> std::result::Result<Iin, &'static str> {
        let Ok(bytes) = <[u8; 12]>::try_from(s.as_bytes()) else {
            return Err(reason::IIN_FORMAT);
        };
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(reason::IIN_FORMAT);
        }
        let birth_date = birth_date_of(&bytes).ok_or(reason::IIN_BIRTH_DATE)?;
        let (first, last) = s.split_at_checked(11).ok_or(reason::IIN_FORMAT)?;
        let expected = iin_check_digit(first).map(|d| char::from(d + b'0'));
        if expected.is_some() && expected == last.chars().next() {
            Ok(Iin {
                digits: s.to_owned(),
                birth_date,
            })
        } else {
            Err(reason::IIN_CHECK_DIGIT)
        }
    }

    /// The IIN as written.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The birth date the IIN encodes.
    pub const fn birth_date(&self) -> IsoDate {
        self.birth_date
    }
}

fn birth_date_of(digits: &[u8; 12]) -> Option<IsoDate> {
    let [y1, y2, m1, m2, d1, d2, century, ..] = *digits;
    let base = match century {
        b'1' | b'2' => 1800,
        b'3' | b'4' => 1900,
        b'5' | b'6' => 2000,
        _ => return None,
    };
    let year = base + i32::try_from(number(&[y1, y2])?).ok()?;
    let month = time::Month::try_from(u8::try_from(number(&[m1, m2])?).ok()?).ok()?;
    let day = u8::try_from(number(&[d1, d2])?).ok()?;
    time::Date::from_calendar_date(year, month, day)
        .ok()
        .map(IsoDate)
}

/// The IIN check digit for the first 11 digits (ASCII), or `None` if `first_eleven` is not 11
/// digits or no check digit exists (such numbers are never assigned).
///
/// The sum of digit × weight with weights 1..11, modulo 11; if that is 10, the sum again with
/// weights 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2, modulo 11; if that is 10 as well, there is none.
pub fn iin_check_digit(first_eleven: &str) -> Option<u8> {
    const FIRST: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const SECOND: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    let bytes = first_eleven.as_bytes();
    if bytes.len() != 11 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum = |weights: &[u32; 11]| -> u32 {
        bytes
            .iter()
            .zip(weights)
            .map(|(&b, &w)| u32::from(b - b'0') * w)
            .sum::<u32>()
            % 11
    };
    [sum(&FIRST), sum(&SECOND)]
        .into_iter()
        .find(|&r| r != 10)
        .and_then(|r| u8::try_from(r).ok())
}

pub(crate) fn iin(v: &Value, path: &str) -> Result<Iin> {
    Iin::parse(string(v, path)?).map_err(|r| invalid(path, r))
}

/// ISO 3166-2:KZ: (current numeric code, former letter code, English short name).
///
/// The numeric codes replaced the letter codes in ISO 3166-2 in November 2022, when Abai,
/// Jetisu and Ulytau regions were created (they have no letter code). A former code maps to
/// the region that kept its name: `KZ-ALM` → `KZ-19` (Jetisu was split off it), `KZ-KAR` →
/// `KZ-35` (Ulytau), `KZ-VOS` → `KZ-63` (Abai).
const KZ_REGIONS: [(&str, Option<&str>, &str); 20] = [
    ("KZ-10", None, "Abai"),
    ("KZ-11", Some("KZ-AKM"), "Akmola"),
    ("KZ-15", Some("KZ-AKT"), "Aktobe"),
    ("KZ-19", Some("KZ-ALM"), "Almaty Region"),
    ("KZ-23", Some("KZ-ATY"), "Atyrau"),
    ("KZ-27", Some("KZ-ZAP"), "West Kazakhstan"),
    ("KZ-31", Some("KZ-ZHA"), "Jambyl"),
    ("KZ-33", None, "Jetisu"),
    ("KZ-35", Some("KZ-KAR"), "Karaganda"),
    ("KZ-39", Some("KZ-KUS"), "Kostanay"),
    ("KZ-43", Some("KZ-KZY"), "Kyzylorda"),
    ("KZ-47", Some("KZ-MAN"), "Mangystau"),
    ("KZ-55", Some("KZ-PAV"), "Pavlodar"),
    ("KZ-59", Some("KZ-SEV"), "North Kazakhstan"),
    ("KZ-61", Some("KZ-YUZ"), "Turkistan"),
    ("KZ-62", None, "Ulytau"),
    ("KZ-63", Some("KZ-VOS"), "East Kazakhstan"),
    ("KZ-71", Some("KZ-AST"), "Astana"),
    ("KZ-75", Some("KZ-ALA"), "Almaty"),
    ("KZ-79", Some("KZ-SHY"), "Shymkent"),
];

/// A region of Kazakhstan by its ISO 3166-2:KZ code, current (`KZ-71`) or former (`KZ-AST`).
/// The code is kept as written, so that a signed credential reads back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    code: &'static str,
    current: &'static str,
    name: &'static str,
}

impl Region {
    /// Look up a code (exact, upper case).
    pub fn parse(code: &str) -> Option<Region> {
        KZ_REGIONS
            .iter()
            .find(|(current, former, _)| *current == code || *former == Some(code))
            .map(|&(current, former, name)| Region {
                code: if current == code {
                    current
                } else {
                    former.unwrap_or(current)
                },
                current,
                name,
            })
    }

    /// The code as written in the credential.
    pub const fn as_str(&self) -> &'static str {
        self.code
    }

    /// The current numeric code (`KZ-AST` → `KZ-71`), for grouping and statistics.
    pub const fn current_code(&self) -> &'static str {
        self.current
    }

    /// The English short name (`Astana`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Every current code, in numeric order.
    pub fn all_current() -> impl Iterator<Item = Region> {
        KZ_REGIONS.iter().map(|&(current, _, name)| Region {
            code: current,
            current,
            name,
        })
    }
}

pub(crate) fn region(v: &Value, path: &str) -> Result<Region> {
    Region::parse(string(v, path)?).ok_or_else(|| invalid(path, reason::NOT_REGION))
}

/// What the model knows about the credential as a whole while reading a subject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Envelope {
    /// The UTC day of `validFrom`.
    pub(crate) valid_from_day: IsoDate,
}

/// The members that identify the volunteer, common to every subject. Every one but `name` is
/// optional, and every selectively disclosable member is among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub(crate) id: Option<String>,
    pub(crate) name: String,
    pub(crate) iin: Option<Iin>,
    pub(crate) birth_date: Option<IsoDate>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) region: Option<Region>,
}

impl Person {
    pub(crate) fn parse(obj: &Obj<'_>, env: Envelope) -> Result<Person> {
        let id = obj.opt("id", did)?;
        let name = obj.req("name", text)?;
        let iin = obj.opt("iin", iin)?;
        let birth_date = obj.opt("birthDate", date)?;
        if let Some(born) = birth_date {
            if iin.as_ref().is_some_and(|i| i.birth_date() != born) {
                return Err(invalid(obj.path("birthDate"), reason::BIRTH_DATE_NOT_IIN));
            }
            if born > env.valid_from_day {
                return Err(invalid(
                    obj.path("birthDate"),
                    reason::DATE_AFTER_VALID_FROM,
                ));
            }
        }
        let email = obj.opt("email", email)?;
        let phone = obj.opt("phone", phone)?;
        let region = obj.opt("region", region)?;
        Ok(Person {
            id,
            name,
            iin,
            birth_date,
            email,
            phone,
            region,
        })
    }

    /// The holder's DID (`credentialSubject.id`), if set.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The volunteer's full name as the office records it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The national identification number, if given.
    pub fn iin(&self) -> Option<&Iin> {
        self.iin.as_ref()
    }

    /// The birth date, if given.
    pub fn birth_date(&self) -> Option<IsoDate> {
        self.birth_date
    }

    /// The email address, if given.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The phone number, if given.
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref()
    }

    /// The region, if given.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// Write `id`, `name`, `iin`, `birthDate`, `email`, `phone` (not `region`: its place
    /// differs between kinds).
    pub(crate) fn write_identity(&self, out: &mut Map<String, Value>) {
        put_opt(out, "id", self.id.as_deref());
        out.insert("name".into(), self.name.clone().into());
        put_opt(out, "iin", self.iin.as_ref().map(Iin::as_str));
        put_opt(out, "birthDate", self.birth_date.map(|d| d.to_string()));
        put_opt(out, "email", self.email.as_deref());
        put_opt(out, "phone", self.phone.as_deref());
    }

    pub(crate) fn write_region(&self, out: &mut Map<String, Value>) {
        put_opt(out, "region", self.region.map(|r| r.as_str()));
    }
}

/// Insert `name` when `value` is present.
pub(crate) fn put_opt<T: Into<Value>>(out: &mut Map<String, Value>, name: &str, value: Option<T>) {
    if let Some(v) = value {
        out.insert(name.to_owned(), v.into());
    }
}
