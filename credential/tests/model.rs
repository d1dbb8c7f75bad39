//! The typed credential model: what `Credential::from_json` accepts and rejects, with the code
//! and the JSON path of every rejection.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{json, Value};
use vpass_credential::error::Context;
use vpass_credential::model::{
    iin_check_digit, reason, AwardEntry, Category, Credential, CredentialKind, HoursTotal, Iin,
    IsoDate, PassportSubject, Region, SkillEntry, SkillLevel, StatusPurpose, Subject,
};
use vpass_credential::{json as strict_json, Code};

const FIXTURE: &str = include_str!("../../testdata/fixtures/standard-hours.json");
/// The example passport summary.
const PASSPORT: &str = include_str!("../../examples/passport.json");
/// The fixture's IIN as committed; its check digit is wrong (the right one is 1).
const FIXTURE_IIN: &str = "950101400123";
/// The fixture's IIN with the check digit the algorithm gives.
const FIXTURE_IIN_CORRECTED: &str = "950101400121";

/// The standard hours fixture exactly as committed.
fn fixture() -> Value {
    strict_json::parse(FIXTURE.as_bytes(), "fixture").unwrap()
}

/// The standard hours fixture with its IIN's check digit corrected; otherwise unchanged.
fn hours() -> Value {
    let mut v = fixture();
    assert_eq!(v["credentialSubject"]["iin"], FIXTURE_IIN);
    v["credentialSubject"]["iin"] = FIXTURE_IIN_CORRECTED.into();
    v
}

fn skill() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VolunteerSkillCredential"],
        "issuer": "did:web:front-office.example:almaty",
        "validFrom": "2026-04-10T09:00:00Z",
        "validUntil": "2029-04-10T09:00:00Z",
        "credentialSubject": {
            "name": "Данияр Сейткали",
            "phone": "+77011234567",
            "region": "KZ-75",
            "skill": "First aid",
            "level": "advanced",
            "trainingProvider": "Kazakhstan Red Crescent",
            "validUntil": "2028-04-10"
        }
    })
}

fn award() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VolunteerAwardCredential"],
        "issuer": {"id": "did:web:front-office.example:national", "name": "National Office"},
        "validFrom": "2026-12-06T00:00:00Z",
        "validUntil": "2036-12-06T00:00:00Z",
        "credentialSubject": {
            "name": "Айгерим Нурланова",
            "email": "aigerim@example.kz",
            "award": "«Шапағат» медалі",
            "awardedBy": "President of the Republic of Kazakhstan",
            "awardDate": "2026-12-05",
            "achievement": {
                "id": "urn:vpass:award:shapagat",
                "type": ["Achievement"],
                "name": "Medal «Шапағат»",
                "description": "State award for charity and volunteering.",
                "criteria": {"narrative": "Outstanding charitable and volunteer work."}
            }
        }
    })
}

#[track_caller]
fn assert_rejected(v: &Value, code: Code, field: &str, why: &str) {
    let err = Credential::from_json(v).expect_err("must be rejected");
    assert_eq!(err.code(), code, "{err}");
    match err.context() {
        Context::FieldReason {
            field: f,
            reason: r,
        } => {
            assert_eq!((f.as_str(), *r), (field, why), "{err}");
        }
        other => panic!("expected a field and a reason, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid(v: &Value, field: &str, why: &str) {
    assert_rejected(v, Code::InvalidField, field, why);
}

#[track_caller]
fn with_subject(base: Value, member: &str, value: Value) -> Value {
    let mut v = base;
    v["credentialSubject"][member] = value;
    v
}

#[track_caller]
fn without_subject(base: Value, member: &str) -> Value {
    let mut v = base;
    let removed = v["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .shift_remove(member);
    assert!(removed.is_some(), "{member} was not there");
    v
}

#[track_caller]
fn with_top(base: Value, member: &str, value: Value) -> Value {
    let mut v = base;
    v[member] = value;
    v
}

// ---------------------------------------------------------------- the fixture and the IIN

#[test]
fn fixture_iin_fails_check_digit() {
    // Weights 1..11 over 9 5 0 1 0 1 4 0 0 1 2: 9+10+0+4+0+6+28+0+0+10+22 = 89 ≡ 1 (mod 11).
    assert_eq!(iin_check_digit("95010140012"), Some(1));
    assert_eq!(Iin::parse(FIXTURE_IIN), Err(reason::IIN_CHECK_DIGIT));
}

/// When the fixture's IIN is corrected to 950101400121, this test fails: delete it, and make
/// `hours()` load the fixture unchanged.
#[test]
fn reject_standard_hours_fixture_as_committed() {
    assert_invalid(&fixture(), "credentialSubject.iin", reason::IIN_CHECK_DIGIT);
}

#[test]
fn accept_standard_hours_fixture_with_corrected_iin() {
    let c = Credential::from_json(&hours()).unwrap();
    assert_eq!(c.kind(), CredentialKind::Hours);
    assert_eq!(c.issuer().id(), "did:web:front-office.example:astana");
    assert_eq!(c.issuer().name(), None);
    assert_eq!(c.valid_from().to_rfc3339(), "2026-06-01T00:00:00Z");
    assert_eq!(c.valid_until().to_rfc3339(), "2031-06-01T00:00:00Z");
    let Subject::Hours(s) = c.subject() else {
        panic!("not hours")
    };
    assert_eq!(s.person().name(), "Айгерим Нурланова");
    assert_eq!(
        s.person().iin().map(Iin::as_str),
        Some(FIXTURE_IIN_CORRECTED)
    );
    assert_eq!(
        s.person()
            .iin()
            .map(|i| i.birth_date().to_string())
            .as_deref(),
        Some("1995-01-01")
    );
    assert_eq!(s.hours(), 48.0);
    assert_eq!(s.activity(), "Таза Қазақстан: көктемгі сенбілік");
    assert_eq!(s.organization(), "Astana Volunteer Center");
    assert_eq!(s.person().region().map(|r| r.current_code()), Some("KZ-71"));
    assert_eq!(s.period_start().to_string(), "2026-03-01");
    assert_eq!(s.period_end().to_string(), "2026-05-31");
    let status = c.status().unwrap();
    assert_eq!(status.purpose(), StatusPurpose::Revocation);
    assert_eq!(status.index(), 94_567);
    assert_eq!(
        status.list_credential(),
        "https://front-office.example/status/1"
    );
}

#[test]
fn to_json_reproduces_fixture_member_order_byte_for_byte() {
    let input = hours();
    let out = Credential::from_json(&input).unwrap().to_json();
    assert_eq!(out.to_string(), input.to_string());
}

#[test]
fn serialize_is_to_json() {
    let c = Credential::from_json(&hours()).unwrap();
    assert_eq!(serde_json::to_value(&c).unwrap(), c.to_json());
}

#[test]
fn iin_check_digit_hand_computed() {
    // 0 5 0 3 1 5 6 0 0 0 0: 0+10+0+12+5+30+42 = 99 ≡ 0.
    assert_eq!(iin_check_digit("05031560000"), Some(0));
    // 8 8 0 7 2 0 3 0 0 0 0: 8+16+0+28+10+0+21 = 83 ≡ 6.
    assert_eq!(iin_check_digit("88072030000"), Some(6));
    // First pass 9+10+0+4+0+6+28+0+0+30+0 = 87 ≡ 10; second pass with 3,4,...,11,1,2:
    // 27+20+0+6+0+8+36+0+0+3+0 = 100 ≡ 1.
    assert_eq!(iin_check_digit("95010140030"), Some(1));
    // First pass 9+10+0+4+0+6+28+0+9+10+0 = 76 ≡ 10; second 27+20+0+6+0+8+36+0+11+1+0 = 109
    // ≡ 10: no check digit exists.
    assert_eq!(iin_check_digit("95010140110"), None);
    assert_eq!(iin_check_digit("9501014011"), None);
    assert_eq!(iin_check_digit("9501014011x"), None);
}

#[test]
fn accept_valid_iins() {
    for iin in [
        "050315600000",
        "880720300006",
        "950101400301",
        FIXTURE_IIN_CORRECTED,
    ] {
        let parsed = Iin::parse(iin).unwrap();
        assert_eq!(parsed.as_str(), iin);
        let v = with_subject(hours(), "iin", iin.into());
        Credential::from_json(&v).unwrap();
    }
    assert_eq!(
        Iin::parse("050315600000").unwrap().birth_date().to_string(),
        "2005-03-15"
    );
    assert_eq!(
        Iin::parse("880720300006").unwrap().birth_date().to_string(),
        "1988-07-20"
    );
}

#[test]
fn reject_invalid_iin_check_digit() {
    for iin in ["880720300007", "950101400300", FIXTURE_IIN] {
        let v = with_subject(hours(), "iin", iin.into());
        assert_invalid(&v, "credentialSubject.iin", reason::IIN_CHECK_DIGIT);
    }
}

#[test]
fn reject_iin_without_any_check_digit() {
    for last in '0'..='9' {
        let v = with_subject(hours(), "iin", format!("95010140110{last}").into());
        assert_invalid(&v, "credentialSubject.iin", reason::IIN_CHECK_DIGIT);
    }
}

#[test]
fn reject_iin_not_12_digits() {
    for iin in [
        "95010140012",
        "9501014001211",
        "9501014001a1",
        "+95010140012",
        "",
    ] {
        let v = with_subject(hours(), "iin", iin.into());
        assert_invalid(&v, "credentialSubject.iin", reason::IIN_FORMAT);
    }
    let v = with_subject(hours(), "iin", json!(950101400121u64));
    assert_invalid(&v, "credentialSubject.iin", reason::NOT_STRING);
}

#[test]
fn reject_iin_without_birth_date() {
    // Month 13; day 30 of February; century digits 0 and 7.
    for iin in [
        "951301400121",
        "950230400121",
        "950101000121",
        "950101700121",
    ] {
        let v = with_subject(hours(), "iin", iin.into());
        assert_invalid(&v, "credentialSubject.iin", reason::IIN_BIRTH_DATE);
    }
}

#[test]
fn accept_birth_date_matching_iin() {
    let v = with_subject(hours(), "birthDate", "1995-01-01".into());
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_birth_date_not_matching_iin() {
    let v = with_subject(hours(), "birthDate", "1995-01-02".into());
    assert_invalid(
        &v,
        "credentialSubject.birthDate",
        reason::BIRTH_DATE_NOT_IIN,
    );
}

#[test]
fn reject_birth_date_after_valid_from() {
    let v = without_subject(hours(), "iin");
    let v = with_subject(v, "birthDate", "2026-06-02".into());
    assert_invalid(
        &v,
        "credentialSubject.birthDate",
        reason::DATE_AFTER_VALID_FROM,
    );
}

#[test]
fn reject_malformed_birth_date() {
    for d in [
        "1995-1-1",
        "01.01.1995",
        "1995-02-29",
        "1995-01-01T00:00:00Z",
        "+1995-01-01",
    ] {
        let v = with_subject(hours(), "birthDate", d.into());
        assert_invalid(&v, "credentialSubject.birthDate", reason::NOT_DATE);
    }
}

// ---------------------------------------------------------------- hours

#[test]
fn reject_hours_zero() {
    for h in [json!(0), json!(0.0), json!(-0.0)] {
        let v = with_subject(hours(), "hours", h);
        assert_invalid(&v, "credentialSubject.hours", reason::HOURS_NOT_POSITIVE);
    }
}

#[test]
fn reject_hours_negative() {
    let v = with_subject(hours(), "hours", json!(-5));
    assert_invalid(&v, "credentialSubject.hours", reason::HOURS_NOT_POSITIVE);
}

#[test]
fn reject_hours_not_a_number() {
    for h in [json!("48"), json!(null), json!(true), json!([48])] {
        let v = with_subject(hours(), "hours", h);
        assert_invalid(&v, "credentialSubject.hours", reason::HOURS_NOT_POSITIVE);
    }
}

#[test]
fn reject_hours_absurd() {
    for h in [json!(10_001), json!(100_000), json!(1e300), json!(u64::MAX)] {
        let v = with_subject(hours(), "hours", h);
        assert_invalid(&v, "credentialSubject.hours", reason::HOURS_OVER_CEILING);
    }
}

#[test]
fn reject_hours_over_24_per_day_of_period() {
    let v = with_subject(hours(), "periodStart", "2026-05-31".into());
    let v = with_subject(v, "hours", json!(24.5));
    assert_invalid(&v, "credentialSubject.hours", reason::HOURS_OVER_PERIOD);
    // 92 days: 2208 is the most.
    let v = with_subject(hours(), "hours", json!(2209));
    assert_invalid(&v, "credentialSubject.hours", reason::HOURS_OVER_PERIOD);
}

#[test]
fn accept_hours_at_the_caps_and_fractions() {
    let one_day = with_subject(hours(), "periodStart", "2026-05-31".into());
    Credential::from_json(&with_subject(one_day, "hours", json!(24))).unwrap();
    Credential::from_json(&with_subject(hours(), "hours", json!(2208))).unwrap();
    let long = with_subject(hours(), "periodStart", "2020-01-01".into());
    Credential::from_json(&with_subject(long, "hours", json!(10_000))).unwrap();
    let half = Credential::from_json(&with_subject(hours(), "hours", json!(2.5))).unwrap();
    let Subject::Hours(s) = half.subject() else {
        panic!()
    };
    assert_eq!(s.hours(), 2.5);
}

#[test]
fn hours_number_is_kept_as_signed() {
    let c = Credential::from_json(&hours()).unwrap();
    assert_eq!(c.to_json()["credentialSubject"]["hours"].to_string(), "48");
    let c = Credential::from_json(&with_subject(hours(), "hours", json!(48.0))).unwrap();
    assert_eq!(
        c.to_json()["credentialSubject"]["hours"].to_string(),
        "48.0"
    );
}

#[test]
fn reject_end_before_start() {
    let v = with_subject(hours(), "periodEnd", "2026-02-28".into());
    assert_invalid(&v, "credentialSubject.periodEnd", reason::END_BEFORE_START);
}

#[test]
fn accept_one_day_period() {
    let v = with_subject(hours(), "periodStart", "2026-05-31".into());
    Credential::from_json(&with_subject(v, "hours", json!(8))).unwrap();
}

#[test]
fn reject_period_end_after_valid_from() {
    // validFrom is 2026-06-01T00:00:00Z; one day of slack allows 2026-06-02.
    let ok = with_subject(hours(), "periodEnd", "2026-06-02".into());
    Credential::from_json(&ok).unwrap();
    let v = with_subject(hours(), "periodEnd", "2026-06-03".into());
    assert_invalid(
        &v,
        "credentialSubject.periodEnd",
        reason::DATE_AFTER_VALID_FROM,
    );
}

#[test]
fn reject_malformed_period_dates() {
    for d in [
        "2026-02-30",
        "2026-3-01",
        "2026-03-01T00:00:00Z",
        "20260301",
        "２０２６-03-01",
    ] {
        let v = with_subject(hours(), "periodStart", d.into());
        assert_invalid(&v, "credentialSubject.periodStart", reason::NOT_DATE);
        let v = with_subject(hours(), "periodEnd", d.into());
        assert_invalid(&v, "credentialSubject.periodEnd", reason::NOT_DATE);
    }
}

#[test]
fn reject_missing_required_hours_members() {
    for member in [
        "name",
        "hours",
        "activity",
        "organization",
        "periodStart",
        "periodEnd",
    ] {
        let v = without_subject(hours(), member);
        assert_invalid(&v, &format!("credentialSubject.{member}"), reason::MISSING);
    }
}

#[test]
fn reject_unknown_subject_member() {
    // A typo: `hour` is named, not a missing `hours`.
    let v = without_subject(hours(), "hours");
    let v = with_subject(v, "hour", json!(48));
    assert_invalid(&v, "credentialSubject.hour", reason::UNKNOWN_MEMBER);
    // Also when everything else is right.
    let v = with_subject(hours(), "nickname", "Aika".into());
    assert_invalid(&v, "credentialSubject.nickname", reason::UNKNOWN_MEMBER);
}

#[test]
fn reject_unknown_category() {
    for c in ["Social", "ecology", ""] {
        let v = with_subject(hours(), "category", c.into());
        assert_invalid(&v, "credentialSubject.category", reason::NOT_CATEGORY);
    }
}

#[test]
fn accept_every_category() {
    for c in Category::ALL {
        let v = with_subject(hours(), "category", c.as_str().into());
        let cred = Credential::from_json(&v).unwrap();
        let Subject::Hours(s) = cred.subject() else {
            panic!()
        };
        assert_eq!(s.category(), Some(c));
        assert_eq!(Category::parse(c.as_str()), Some(c));
        assert_eq!(cred.to_json(), v);
    }
}

#[test]
fn accept_current_and_former_region_codes() {
    let current = Region::all_current()
        .map(|r| r.as_str())
        .collect::<Vec<_>>();
    assert_eq!(current.len(), 20);
    let former = [
        "KZ-AKM", "KZ-AKT", "KZ-ALM", "KZ-ATY", "KZ-ZAP", "KZ-ZHA", "KZ-KAR", "KZ-KUS", "KZ-KZY",
        "KZ-MAN", "KZ-PAV", "KZ-SEV", "KZ-YUZ", "KZ-VOS", "KZ-AST", "KZ-ALA", "KZ-SHY",
    ];
    for code in current.iter().copied().chain(former) {
        let v = with_subject(hours(), "region", code.into());
        let c = Credential::from_json(&v).unwrap();
        assert_eq!(c.to_json()["credentialSubject"]["region"], code);
    }
}

#[test]
fn region_current_code_of_former_codes() {
    for (former, current) in [
        ("KZ-AST", "KZ-71"),
        ("KZ-ALA", "KZ-75"),
        ("KZ-SHY", "KZ-79"),
    ] {
        let r = Region::parse(former).unwrap();
        assert_eq!((r.as_str(), r.current_code()), (former, current));
    }
    assert_eq!(Region::parse("KZ-71").unwrap().name(), "Astana");
}

#[test]
fn reject_unknown_region() {
    for code in [
        "KZ-BAY", "KZ-12", "kz-ast", "KZ-AST ", "AST", "KZ-NUR", "RU-MOW", "",
    ] {
        let v = with_subject(hours(), "region", code.into());
        assert_invalid(&v, "credentialSubject.region", reason::NOT_REGION);
    }
}

#[test]
fn reject_bad_email() {
    for e in [
        "aigerim",
        "aigerim@",
        "@example.kz",
        "a@b",
        "a b@example.kz",
        "a@@example.kz",
    ] {
        let v = with_subject(hours(), "email", e.into());
        assert_invalid(&v, "credentialSubject.email", reason::NOT_EMAIL);
    }
    let v = with_subject(hours(), "email", "aigerim.n@mail.example.kz".into());
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_bad_phone() {
    for p in [
        "87011234567",
        "+7 701 123 45 67",
        "+7(701)1234567",
        "+0701123456",
        "+7",
        "+1234567890123456",
    ] {
        let v = with_subject(hours(), "phone", p.into());
        assert_invalid(&v, "credentialSubject.phone", reason::NOT_PHONE);
    }
    let v = with_subject(hours(), "phone", "+77011234567".into());
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_blank_long_or_control_text() {
    let v = with_subject(hours(), "name", "   ".into());
    assert_invalid(&v, "credentialSubject.name", reason::EMPTY);
    let v = with_subject(hours(), "activity", "x".repeat(201).into());
    assert_invalid(&v, "credentialSubject.activity", reason::TOO_LONG);
    let v = with_subject(hours(), "activity", "ж".repeat(200).into());
    Credential::from_json(&v).unwrap();
    let v = with_subject(hours(), "organization", "Astana\nVolunteer Center".into());
    assert_invalid(
        &v,
        "credentialSubject.organization",
        reason::CONTROL_CHARACTER,
    );
    let v = with_subject(hours(), "name", json!(["Айгерим"]));
    assert_invalid(&v, "credentialSubject.name", reason::NOT_STRING);
}

/// Issue 8, finding 20: names of only zero-width characters, and bidi overrides, were signed.
#[test]
fn r5_reject_invisible_or_bidi_text() {
    for name in ["\u{200b}\u{200b}", "\u{feff}\u{2060}", " \u{3164} "] {
        let v = with_subject(hours(), "name", name.into());
        assert_invalid(&v, "credentialSubject.name", reason::INVISIBLE);
    }
    for text in ["Aigerim\u{202e}vonalruN", "\u{2067}Центр\u{2069}"] {
        let v = with_subject(hours(), "organization", text.into());
        assert_invalid(&v, "credentialSubject.organization", reason::BIDI_CONTROL);
    }
    let v = with_subject(hours(), "activity", "a\u{1b}[2Jb".into());
    assert_invalid(&v, "credentialSubject.activity", reason::CONTROL_CHARACTER);
    let v = with_subject(hours(), "name", "Айгерим\u{200c}Нурланова".into());
    Credential::from_json(&v).unwrap();
}

/// The dotted subject paths (what a CSV row may fill) name members of the kind and fit the
/// CSV header limits.
#[test]
fn subject_paths_are_members_within_csv_limits() {
    use vpass_credential::limits::{MAX_CSV_COLUMN_NAME, MAX_CSV_PATH_SEGMENTS};
    for kind in CredentialKind::ALL {
        for path in kind.subject_paths() {
            let first = path.split('.').next().unwrap();
            assert!(kind.subject_members().contains(&first), "{path}");
            assert!(path.len() <= MAX_CSV_COLUMN_NAME, "{path}");
            assert!(path.split('.').count() <= MAX_CSV_PATH_SEGMENTS, "{path}");
        }
    }
    assert!(CredentialKind::Award
        .subject_paths()
        .contains(&"achievement.criteria.narrative"));
}

#[test]
fn reject_null_as_absent() {
    let v = with_subject(hours(), "iin", Value::Null);
    assert_invalid(&v, "credentialSubject.iin", reason::NOT_STRING);
}

#[test]
fn subject_id_must_be_a_did() {
    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let c = Credential::from_json(&with_subject(hours(), "id", did.into())).unwrap();
    assert_eq!(c.subject().id(), Some(did));
    for bad in [
        "https://example.kz/me",
        "did:",
        "did:key:",
        "did:Key:z6Mk",
        "did:key:a b",
    ] {
        let v = with_subject(hours(), "id", bad.into());
        assert_invalid(&v, "credentialSubject.id", reason::NOT_DID);
    }
}

#[test]
fn reject_subject_not_object() {
    let v = with_top(
        hours(),
        "credentialSubject",
        json!([hours()["credentialSubject"]]),
    );
    assert_invalid(&v, "credentialSubject", reason::NOT_OBJECT);
    let mut v = hours();
    v.as_object_mut().unwrap().shift_remove("credentialSubject");
    assert_invalid(&v, "credentialSubject", reason::MISSING);
}

// ---------------------------------------------------------------- envelope

#[test]
fn reject_unknown_credential_type() {
    let v = with_top(
        hours(),
        "type",
        json!(["VerifiableCredential", "VolunteerHourCredential"]),
    );
    assert_rejected(&v, Code::MalformedCredential, "type", reason::TYPE_UNKNOWN);
    let v = with_top(
        hours(),
        "type",
        json!([
            "VerifiableCredential",
            "VolunteerHoursCredential",
            "OpenBadgeCredential"
        ]),
    );
    assert_rejected(&v, Code::MalformedCredential, "type", reason::TYPE_UNKNOWN);
}

#[test]
fn reject_missing_type() {
    let mut v = hours();
    v.as_object_mut().unwrap().shift_remove("type");
    assert_rejected(&v, Code::MalformedCredential, "type", reason::MISSING);
}

#[test]
fn reject_type_not_array_of_strings() {
    for t in [
        json!("VolunteerHoursCredential"),
        json!(["VerifiableCredential", 1]),
    ] {
        let v = with_top(hours(), "type", t);
        assert_rejected(
            &v,
            Code::MalformedCredential,
            "type",
            reason::TYPE_NOT_STRINGS,
        );
    }
}

#[test]
fn reject_type_without_verifiable_credential() {
    let v = with_top(hours(), "type", json!(["VolunteerHoursCredential"]));
    assert_rejected(
        &v,
        Code::MalformedCredential,
        "type",
        reason::TYPE_NO_VERIFIABLE_CREDENTIAL,
    );
}

#[test]
fn reject_not_exactly_one_vpass_type() {
    for t in [
        json!(["VerifiableCredential"]),
        json!([
            "VerifiableCredential",
            "VolunteerHoursCredential",
            "VolunteerSkillCredential"
        ]),
    ] {
        let v = with_top(hours(), "type", t);
        assert_rejected(
            &v,
            Code::MalformedCredential,
            "type",
            reason::TYPE_NOT_ONE_KIND,
        );
    }
}

#[test]
fn reject_repeated_type() {
    let v = with_top(
        hours(),
        "type",
        json!([
            "VerifiableCredential",
            "VolunteerHoursCredential",
            "VerifiableCredential"
        ]),
    );
    assert_rejected(&v, Code::MalformedCredential, "type", reason::TYPE_REPEATED);
}

#[test]
fn type_order_is_normalised() {
    let v = with_top(
        hours(),
        "type",
        json!(["VolunteerHoursCredential", "VerifiableCredential"]),
    );
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json()["type"], hours()["type"]);
}

#[test]
fn kinds_from_types_and_names() {
    for kind in CredentialKind::ALL {
        let types = vec![
            "VerifiableCredential".to_owned(),
            kind.type_name().to_owned(),
        ];
        assert_eq!(CredentialKind::from_types(&types), Ok(kind));
        assert_eq!(CredentialKind::from_type_name(kind.type_name()), Some(kind));
    }
    assert_eq!(
        CredentialKind::Hours.type_name(),
        "VolunteerHoursCredential"
    );
    assert_eq!(
        CredentialKind::Passport.type_name(),
        "VolunteerPassportCredential"
    );
}

#[test]
fn reject_credential_not_object() {
    for v in [json!([]), json!("vc"), Value::Null] {
        assert_rejected(
            &v,
            Code::MalformedCredential,
            "credential",
            reason::NOT_OBJECT,
        );
    }
}

#[test]
fn reject_unknown_top_level_member() {
    let v = with_top(hours(), "proof", json!({"type": "DataIntegrityProof"}));
    assert_invalid(&v, "proof", reason::UNKNOWN_MEMBER);
    let v = with_top(hours(), "issuanceDate", "2026-06-01T00:00:00Z".into());
    assert_invalid(&v, "issuanceDate", reason::UNKNOWN_MEMBER);
}

#[test]
fn reject_unknown_member_name_is_truncated() {
    let long = "x".repeat(10_000);
    let v = with_subject(hours(), &long, json!(1));
    let expected = format!("credentialSubject.{}", "x".repeat(64));
    assert_invalid(&v, &expected, reason::UNKNOWN_MEMBER);
}

#[test]
fn reject_context_without_vcdm2_first() {
    for ctx in [
        json!(["https://www.w3.org/2018/credentials/v1"]),
        json!([
            "https://example.kz/ctx",
            "https://www.w3.org/ns/credentials/v2"
        ]),
        json!([]),
    ] {
        let v = with_top(hours(), "@context", ctx);
        assert_invalid(&v, "@context", reason::CONTEXT_FIRST);
    }
}

#[test]
fn reject_context_not_array_of_urls() {
    for ctx in [
        json!("https://www.w3.org/ns/credentials/v2"),
        json!(["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://example.kz#"}]),
        json!(["https://www.w3.org/ns/credentials/v2", "not a url"]),
    ] {
        let v = with_top(hours(), "@context", ctx);
        assert_invalid(&v, "@context", reason::CONTEXT_NOT_URLS);
    }
    let mut v = hours();
    v.as_object_mut().unwrap().shift_remove("@context");
    assert_invalid(&v, "@context", reason::MISSING);
}

#[test]
fn reject_repeated_context() {
    let v = with_top(
        hours(),
        "@context",
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/v2"
        ]),
    );
    assert_invalid(&v, "@context", reason::CONTEXT_REPEATED);
}

#[test]
fn accept_extra_context() {
    let ctx = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://vpass.example/ctx/v1"
    ]);
    let c = Credential::from_json(&with_top(hours(), "@context", ctx.clone())).unwrap();
    assert_eq!(c.to_json()["@context"], ctx);
}

#[test]
fn credential_id_must_be_a_uri() {
    let v = with_top(
        hours(),
        "id",
        "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5".into(),
    );
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json(), v);
    for bad in ["3978344f", "urn:uuid with space", ""] {
        assert_invalid(&with_top(hours(), "id", bad.into()), "id", reason::NOT_URI);
    }
}

#[test]
fn name_and_description() {
    let v = with_top(hours(), "name", "Volunteer hours".into());
    let v = with_top(
        v,
        "description",
        "Hours at the spring clean-up.\nThank you!".into(),
    );
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.name(), Some("Volunteer hours"));
    assert_eq!(c.to_json(), v);
    let v = with_top(
        hours(),
        "name",
        json!({"@value": "Hours", "@language": "en"}),
    );
    assert_invalid(&v, "name", reason::NOT_STRING);
    let v = with_top(hours(), "description", "".into());
    assert_invalid(&v, "description", reason::EMPTY);
}

#[test]
fn issuer_as_object_with_name() {
    let issuer = json!({"id": "did:web:front-office.example:astana", "name": "Astana office"});
    let v = with_top(hours(), "issuer", issuer.clone());
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.issuer().name(), Some("Astana office"));
    assert_eq!(c.to_json()["issuer"], issuer);
    // Without a name, the object is written as its DID.
    let v = with_top(
        hours(),
        "issuer",
        json!({"id": "did:web:front-office.example:astana"}),
    );
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json()["issuer"], "did:web:front-office.example:astana");
}

#[test]
fn reject_bad_issuer() {
    let v = with_top(hours(), "issuer", "https://front-office.example".into());
    assert_invalid(&v, "issuer", reason::NOT_DID);
    let v = with_top(hours(), "issuer", json!(42));
    assert_invalid(&v, "issuer", reason::ISSUER_SHAPE);
    let v = with_top(hours(), "issuer", json!({"name": "Astana office"}));
    assert_invalid(&v, "issuer.id", reason::MISSING);
    let v = with_top(
        hours(),
        "issuer",
        json!({"id": "did:web:front-office.example", "type": "Profile"}),
    );
    assert_invalid(&v, "issuer.type", reason::UNKNOWN_MEMBER);
    let mut v = hours();
    v.as_object_mut().unwrap().shift_remove("issuer");
    assert_invalid(&v, "issuer", reason::MISSING);
}

#[test]
fn accept_did_web_with_port_and_path() {
    let v = with_top(
        hours(),
        "issuer",
        "did:web:localhost%3A8080:offices:astana".into(),
    );
    Credential::from_json(&v).unwrap();
    let v = with_top(hours(), "issuer", "did:web:localhost%3G8080".into());
    assert_invalid(&v, "issuer", reason::NOT_DID);
}

#[test]
fn reject_valid_until_before_valid_from() {
    let v = with_top(hours(), "validUntil", "2026-05-31T23:59:59Z".into());
    assert_invalid(&v, "validUntil", reason::NOT_AFTER_VALID_FROM);
}

#[test]
fn reject_valid_until_equal_to_valid_from() {
    let v = with_top(hours(), "validUntil", "2026-06-01T05:00:00+05:00".into());
    assert_invalid(&v, "validUntil", reason::NOT_AFTER_VALID_FROM);
}

#[test]
fn reject_malformed_validity_times() {
    for t in [
        json!("2026-06-01"),
        json!("2026-06-01T00:00:00"),
        json!("2026-06-01T00:00:00.500Z"),
        json!("2026-06-01T00:00:00.000Z"),
        json!("2026-06-01 00:00:00Z"),
        json!("2026-06-01t00:00:00z"),
        json!("2026-06-01T00:00:60Z"),
        json!(1_780_272_000),
    ] {
        let expected = if t.is_string() {
            reason::NOT_DATE_TIME
        } else {
            reason::NOT_STRING
        };
        assert_invalid(
            &with_top(hours(), "validFrom", t.clone()),
            "validFrom",
            expected,
        );
        assert_invalid(&with_top(hours(), "validUntil", t), "validUntil", expected);
    }
}

#[test]
fn reject_missing_validity_times() {
    for member in ["validFrom", "validUntil"] {
        let mut v = hours();
        v.as_object_mut().unwrap().shift_remove(member);
        assert_invalid(&v, member, reason::MISSING);
    }
}

#[test]
fn validity_times_with_offset_are_written_in_utc() {
    let v = with_top(hours(), "validFrom", "2026-06-01T05:00:00+05:00".into());
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json()["validFrom"], "2026-06-01T00:00:00Z");
}

// ---------------------------------------------------------------- credentialStatus

fn with_status(member: &str, value: Value) -> Value {
    let mut v = hours();
    v["credentialStatus"][member] = value;
    v
}

#[test]
fn reject_status_wrong_type() {
    let v = with_status("type", "StatusList2021Entry".into());
    assert_invalid(&v, "credentialStatus.type", reason::STATUS_TYPE);
}

#[test]
fn reject_status_purpose() {
    for p in ["message", "Revocation", ""] {
        let v = with_status("statusPurpose", p.into());
        assert_invalid(&v, "credentialStatus.statusPurpose", reason::STATUS_PURPOSE);
    }
    let c = Credential::from_json(&with_status("statusPurpose", "suspension".into())).unwrap();
    assert_eq!(c.status().unwrap().purpose(), StatusPurpose::Suspension);
}

#[test]
fn reject_status_index_not_canonical() {
    for i in [
        "094567",
        "+94567",
        "-1",
        "1.0",
        "",
        " 1",
        "1e3",
        "18446744073709551616",
    ] {
        let v = with_status("statusListIndex", i.into());
        assert_invalid(&v, "credentialStatus.statusListIndex", reason::STATUS_INDEX);
    }
    let v = with_status("statusListIndex", json!(94567));
    assert_invalid(&v, "credentialStatus.statusListIndex", reason::NOT_STRING);
    let c = Credential::from_json(&with_status("statusListIndex", "0".into())).unwrap();
    assert_eq!(c.status().unwrap().index(), 0);
}

#[test]
fn reject_status_list_not_http_url() {
    for u in [
        "ftp://front-office.example/status/1",
        "front-office.example/status/1",
        "https://",
        "https:///status",
    ] {
        let v = with_status("statusListCredential", u.into());
        assert_invalid(
            &v,
            "credentialStatus.statusListCredential",
            reason::NOT_HTTP_URL,
        );
    }
    let v = with_status(
        "statusListCredential",
        "http://127.0.0.1:8080/status/1".into(),
    );
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_status_unknown_or_missing_member() {
    let v = with_status("statusSize", json!(1));
    assert_invalid(&v, "credentialStatus.statusSize", reason::UNKNOWN_MEMBER);
    let mut v = hours();
    v["credentialStatus"]
        .as_object_mut()
        .unwrap()
        .shift_remove("statusListIndex");
    assert_invalid(&v, "credentialStatus.statusListIndex", reason::MISSING);
    let v = with_top(
        hours(),
        "credentialStatus",
        json!([hours()["credentialStatus"]]),
    );
    assert_invalid(&v, "credentialStatus", reason::NOT_OBJECT);
}

#[test]
fn accept_status_with_id_and_without_status() {
    let v = with_status("id", "https://front-office.example/status/1#94567".into());
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json(), v);
    let mut v = hours();
    v.as_object_mut().unwrap().shift_remove("credentialStatus");
    assert!(Credential::from_json(&v).unwrap().status().is_none());
}

// ---------------------------------------------------------------- skill

#[test]
fn accept_skill_credential() {
    let v = skill();
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.kind(), CredentialKind::Skill);
    let Subject::Skill(s) = c.subject() else {
        panic!()
    };
    assert_eq!(s.skill(), "First aid");
    assert_eq!(s.level(), Some(SkillLevel::Advanced));
    assert_eq!(s.training_provider(), "Kazakhstan Red Crescent");
    assert_eq!(
        s.valid_until().map(|d| d.to_string()).as_deref(),
        Some("2028-04-10")
    );
    assert_eq!(c.to_json(), v);
    assert_eq!(c.to_json().to_string(), v.to_string());
}

#[test]
fn accept_every_skill_level_and_none() {
    for level in SkillLevel::ALL {
        let v = with_subject(skill(), "level", level.as_str().into());
        Credential::from_json(&v).unwrap();
    }
    Credential::from_json(&without_subject(skill(), "level")).unwrap();
    Credential::from_json(&without_subject(skill(), "validUntil")).unwrap();
}

#[test]
fn reject_skill_bad_level() {
    for l in ["expert", "Advanced", "3"] {
        let v = with_subject(skill(), "level", l.into());
        assert_invalid(&v, "credentialSubject.level", reason::NOT_SKILL_LEVEL);
    }
}

#[test]
fn reject_skill_missing_members() {
    for member in ["name", "skill", "trainingProvider"] {
        let v = without_subject(skill(), member);
        assert_invalid(&v, &format!("credentialSubject.{member}"), reason::MISSING);
    }
}

#[test]
fn reject_skill_lapsed_before_valid_from() {
    let v = with_subject(skill(), "validUntil", "2026-04-09".into());
    assert_invalid(
        &v,
        "credentialSubject.validUntil",
        reason::DATE_BEFORE_VALID_FROM,
    );
    let v = with_subject(skill(), "validUntil", "2026-04-10".into());
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_skill_unknown_member() {
    let v = with_subject(skill(), "hours", json!(16));
    assert_invalid(&v, "credentialSubject.hours", reason::UNKNOWN_MEMBER);
}

// ---------------------------------------------------------------- award

#[test]
fn accept_award_credential() {
    let v = award();
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.kind(), CredentialKind::Award);
    let Subject::Award(s) = c.subject() else {
        panic!()
    };
    assert_eq!(s.award(), "«Шапағат» медалі");
    assert_eq!(s.awarded_by(), "President of the Republic of Kazakhstan");
    assert_eq!(s.award_date().to_string(), "2026-12-05");
    assert_eq!(s.achievement().name(), "Medal «Шапағат»");
    assert_eq!(s.achievement().id(), Some("urn:vpass:award:shapagat"));
    assert_eq!(
        s.achievement().criteria_narrative(),
        Some("Outstanding charitable and volunteer work.")
    );
    assert_eq!(c.to_json().to_string(), v.to_string());
}

#[test]
fn accept_minimal_achievement() {
    let v = with_subject(
        award(),
        "achievement",
        json!({"type": ["Achievement"], "name": "Letter of gratitude"}),
    );
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json(), v);
}

#[test]
fn reject_achievement_type() {
    for t in [
        json!("Achievement"),
        json!(["Achievement", "Badge"]),
        json!([]),
    ] {
        let mut v = award();
        v["credentialSubject"]["achievement"]["type"] = t;
        assert_invalid(
            &v,
            "credentialSubject.achievement.type",
            reason::ACHIEVEMENT_TYPE,
        );
    }
}

#[test]
fn reject_achievement_unknown_or_missing_member() {
    let mut v = award();
    v["credentialSubject"]["achievement"]["image"] = "https://example.kz/m.png".into();
    assert_invalid(
        &v,
        "credentialSubject.achievement.image",
        reason::UNKNOWN_MEMBER,
    );
    let mut v = award();
    v["credentialSubject"]["achievement"]["criteria"] = json!({"id": "https://example.kz/c"});
    assert_invalid(
        &v,
        "credentialSubject.achievement.criteria.id",
        reason::UNKNOWN_MEMBER,
    );
    let mut v = award();
    v["credentialSubject"]["achievement"]["criteria"] = json!({});
    assert_invalid(
        &v,
        "credentialSubject.achievement.criteria.narrative",
        reason::MISSING,
    );
    let mut v = award();
    v["credentialSubject"]["achievement"]
        .as_object_mut()
        .unwrap()
        .shift_remove("name");
    assert_invalid(&v, "credentialSubject.achievement.name", reason::MISSING);
}

#[test]
fn reject_award_missing_members() {
    for member in ["award", "awardedBy", "awardDate", "achievement"] {
        let v = without_subject(award(), member);
        assert_invalid(&v, &format!("credentialSubject.{member}"), reason::MISSING);
    }
}

#[test]
fn reject_award_date_after_valid_from() {
    let v = with_subject(award(), "awardDate", "2026-12-08".into());
    assert_invalid(
        &v,
        "credentialSubject.awardDate",
        reason::DATE_AFTER_VALID_FROM,
    );
    let v = with_subject(award(), "awardDate", "2026-12-31T00:00:00Z".into());
    assert_invalid(&v, "credentialSubject.awardDate", reason::NOT_DATE);
}

// ---------------------------------------------------------------- passport

/// The example passport (`examples/passport.json`): the volunteer of the hours example.
fn passport() -> Value {
    strict_json::parse(PASSPORT.as_bytes(), "passport").unwrap()
}

/// A passport whose `hoursByCategory` is `entries`, with `totalHours` set to their sum.
fn passport_with_hours(entries: Vec<Value>) -> Value {
    let sum: f64 = entries.iter().map(|e| e["hours"].as_f64().unwrap()).sum();
    let v = with_subject(passport(), "hoursByCategory", Value::Array(entries));
    with_subject(v, "totalHours", json!(sum))
}

/// Replace `member` of `credentialSubject.<array>[index]`.
fn with_entry(base: Value, array: &str, index: usize, member: &str, value: Value) -> Value {
    let mut v = base;
    v["credentialSubject"][array][index][member] = value;
    v
}

fn without_entry(base: Value, array: &str, index: usize, member: &str) -> Value {
    let mut v = base;
    let removed = v["credentialSubject"][array][index]
        .as_object_mut()
        .unwrap()
        .shift_remove(member);
    assert!(removed.is_some(), "{member} was not there");
    v
}

#[test]
fn accept_example_passport() {
    let v = passport();
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.kind(), CredentialKind::Passport);
    let Subject::Passport(s) = c.subject() else {
        panic!("not a passport: {:?}", c.subject());
    };
    assert_eq!(s.person().name(), "Айгерим Нурланова");
    assert_eq!(c.subject().person().name(), "Айгерим Нурланова");
    assert_eq!(
        s.person().iin().map(Iin::as_str),
        Some(FIXTURE_IIN_CORRECTED)
    );
    assert_eq!(s.as_of().to_string(), "2026-12-10");
    assert_eq!(s.total_hours(), 316.5);
    assert_eq!(s.events(), 9);
    let by: Vec<(Category, u16, f64)> = s
        .hours_by_category()
        .iter()
        .map(|h| (h.category(), h.year(), h.hours()))
        .collect();
    assert_eq!(
        by,
        [
            (Category::Social, 2026, 64.0),
            (Category::Environment, 2026, 120.0),
            (Category::Emergency, 2026, 36.0),
            (Category::Environment, 2025, 56.0),
            (Category::Education, 2025, 40.5),
        ]
    );
    assert_eq!(s.hours_by_category()[0].hours_number().to_string(), "64");
    assert_eq!(s.skills().len(), 2);
    assert_eq!(s.skills()[0].skill(), "First aid");
    assert_eq!(s.skills()[0].level(), Some(SkillLevel::Basic));
    assert_eq!(
        s.skills()[0]
            .valid_until()
            .map(|d| d.to_string())
            .as_deref(),
        Some("2028-09-15")
    );
    assert_eq!(s.skills()[1].valid_until(), None);
    assert_eq!(s.skills()[1].training_provider(), "Astana Volunteer Center");
    assert_eq!(s.awards().len(), 1);
    assert_eq!(s.awards()[0].award(), "Шапағат");
    assert_eq!(s.awards()[0].awarded_by(), "National Volunteer Center");
    assert_eq!(s.awards()[0].award_date().to_string(), "2026-12-05");
    // Written back member for member, in the file's order.
    assert_eq!(c.to_json(), v);
    assert_eq!(c.to_json().to_string(), v.to_string());
}

#[test]
fn passport_members_in_written_order() {
    let mut v = passport();
    let subject = v["credentialSubject"].as_object_mut().unwrap();
    // Insert the optional members at the end; `to_json` must put them in place.
    subject.insert(
        "id".into(),
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into(),
    );
    subject.insert("birthDate".into(), "1995-01-01".into());
    subject.insert("email".into(), "aigerim@example.kz".into());
    subject.insert("phone".into(), "+77011234567".into());
    let c = Credential::from_json(&v).unwrap();
    let subject = &c.to_json()["credentialSubject"];
    let written: Vec<&str> = subject
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(written, CredentialKind::Passport.subject_members());
    assert_eq!(written, PassportSubject::MEMBERS);
    let entry_keys = |array: &str, i: usize| -> Vec<String> {
        subject[array][i]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(entry_keys("hoursByCategory", 0), HoursTotal::MEMBERS);
    assert_eq!(entry_keys("skills", 0), SkillEntry::MEMBERS);
    assert_eq!(entry_keys("awards", 0), AwardEntry::MEMBERS);
    assert_eq!(Credential::from_json(&c.to_json()).unwrap(), c);
}

#[test]
fn accept_passport_with_empty_record() {
    let mut v = passport();
    v["credentialSubject"] = json!({
        "name": "Айгерим Нурланова",
        "asOf": "2026-12-10",
        "totalHours": 0,
        "events": 0,
        "hoursByCategory": [],
        "skills": [],
        "awards": []
    });
    let c = Credential::from_json(&v).unwrap();
    let Subject::Passport(s) = c.subject() else {
        panic!("not a passport");
    };
    assert_eq!(s.total_hours(), 0.0);
    assert!(s.hours_by_category().is_empty() && s.skills().is_empty() && s.awards().is_empty());
    assert_eq!(c.to_json(), v);
    // Only the other direction is refused (hours need events): how an office files hours
    // credentials without a category is its own affair.
    Credential::from_json(&with_subject(v, "events", json!(3))).unwrap();
}

#[test]
fn reject_passport_missing_members() {
    for member in [
        "name",
        "asOf",
        "totalHours",
        "events",
        "hoursByCategory",
        "skills",
        "awards",
    ] {
        let v = without_subject(passport(), member);
        assert_invalid(&v, &format!("credentialSubject.{member}"), reason::MISSING);
    }
    for member in HoursTotal::MEMBERS {
        let v = without_entry(passport(), "hoursByCategory", 2, member);
        let path = format!("credentialSubject.hoursByCategory[2].{member}");
        assert_invalid(&v, &path, reason::MISSING);
    }
    for member in ["skill", "trainingProvider"] {
        let v = without_entry(passport(), "skills", 1, member);
        assert_invalid(
            &v,
            &format!("credentialSubject.skills[1].{member}"),
            reason::MISSING,
        );
    }
    for member in AwardEntry::MEMBERS {
        let v = without_entry(passport(), "awards", 0, member);
        assert_invalid(
            &v,
            &format!("credentialSubject.awards[0].{member}"),
            reason::MISSING,
        );
    }
    // The optional members of a skill entry.
    let v = without_entry(passport(), "skills", 0, "level");
    Credential::from_json(&without_entry(v, "skills", 0, "validUntil")).unwrap();
}

#[test]
fn reject_passport_unknown_members() {
    let v = with_subject(passport(), "hours", json!(316.5));
    assert_invalid(&v, "credentialSubject.hours", reason::UNKNOWN_MEMBER);
    let v = with_entry(passport(), "hoursByCategory", 1, "hour", json!(1));
    assert_invalid(
        &v,
        "credentialSubject.hoursByCategory[1].hour",
        reason::UNKNOWN_MEMBER,
    );
    let v = with_entry(passport(), "skills", 0, "levle", "basic".into());
    assert_invalid(
        &v,
        "credentialSubject.skills[0].levle",
        reason::UNKNOWN_MEMBER,
    );
    let v = with_entry(
        passport(),
        "awards",
        0,
        "achievement",
        json!({"type": ["Achievement"], "name": "Шапағат"}),
    );
    assert_invalid(
        &v,
        "credentialSubject.awards[0].achievement",
        reason::UNKNOWN_MEMBER,
    );
}

#[test]
fn reject_passport_as_of_after_valid_from() {
    // validFrom is 2026-12-10T00:00:00Z: the next day is the UTC+5 slack.
    Credential::from_json(&with_subject(passport(), "asOf", "2026-12-11".into())).unwrap();
    let v = with_subject(passport(), "asOf", "2026-12-12".into());
    assert_invalid(&v, "credentialSubject.asOf", reason::DATE_AFTER_VALID_FROM);
    let v = with_subject(passport(), "asOf", "2026-12-10T00:00:00Z".into());
    assert_invalid(&v, "credentialSubject.asOf", reason::NOT_DATE);
    let v = with_subject(passport(), "asOf", json!(20261210));
    assert_invalid(&v, "credentialSubject.asOf", reason::NOT_STRING);
}

#[test]
fn reject_passport_total_not_the_sum() {
    for total in [json!(316), json!(317), json!(0), json!(316.51)] {
        let v = with_subject(passport(), "totalHours", total);
        assert_invalid(&v, "credentialSubject.totalHours", reason::TOTAL_NOT_SUM);
    }
    // Binary floating point: 0.1 + 0.2 is not 0.3, yet 0.3 is the right total.
    let v = passport_with_hours(vec![
        json!({"category": "social", "year": 2026, "hours": 0.1}),
        json!({"category": "environment", "year": 2026, "hours": 0.2}),
    ]);
    let v = with_subject(v, "totalHours", json!(0.3));
    Credential::from_json(&v).unwrap();
    // Within the tolerance either way, and just outside it.
    let tol = vpass_credential::model::TOTAL_HOURS_TOLERANCE;
    for ok in [316.5 + tol * 0.9, 316.5 - tol * 0.9] {
        Credential::from_json(&with_subject(passport(), "totalHours", json!(ok))).unwrap();
    }
    let v = with_subject(passport(), "totalHours", json!(316.5 + tol * 1.5));
    assert_invalid(&v, "credentialSubject.totalHours", reason::TOTAL_NOT_SUM);
}

#[test]
fn reject_passport_total_not_a_number() {
    for total in [json!(-1), json!(-0.5), json!("316.5"), json!(null)] {
        let v = with_subject(passport(), "totalHours", total);
        assert_invalid(&v, "credentialSubject.totalHours", reason::HOURS_NEGATIVE);
    }
}

#[test]
fn reject_passport_events_not_a_count() {
    for events in [json!(-1), json!(9.5), json!(9.0), json!("9"), json!(null)] {
        let v = with_subject(passport(), "events", events);
        assert_invalid(&v, "credentialSubject.events", reason::NOT_COUNT);
    }
    let v = with_subject(passport(), "events", json!(0));
    assert_invalid(&v, "credentialSubject.events", reason::EVENTS_NONE);
}

#[test]
fn reject_passport_bad_hours_entry() {
    let path = |m: &str| format!("credentialSubject.hoursByCategory[3].{m}");
    for category in [json!("Environment"), json!("ecology"), json!(1)] {
        let v = with_entry(
            passport(),
            "hoursByCategory",
            3,
            "category",
            category.clone(),
        );
        let why = if category.is_string() {
            reason::NOT_CATEGORY
        } else {
            reason::NOT_STRING
        };
        assert_invalid(&v, &path("category"), why);
    }
    for year in [
        json!(1989),
        json!(10000),
        json!(2025.5),
        json!("2025"),
        json!(-2025),
    ] {
        let v = with_entry(passport(), "hoursByCategory", 3, "year", year);
        assert_invalid(&v, &path("year"), reason::NOT_YEAR);
    }
    for hours in [json!(0), json!(-56), json!("56")] {
        let v = with_entry(passport(), "hoursByCategory", 3, "hours", hours);
        assert_invalid(&v, &path("hours"), reason::HOURS_NOT_POSITIVE);
    }
    let v = with_entry(passport(), "hoursByCategory", 3, "hours", json!(10_001));
    assert_invalid(&v, &path("hours"), reason::HOURS_OVER_CEILING);
    let mut v = passport();
    v["credentialSubject"]["hoursByCategory"][3] = json!(["environment", 2025, 56]);
    assert_invalid(
        &v,
        "credentialSubject.hoursByCategory[3]",
        reason::NOT_OBJECT,
    );
}

#[test]
fn reject_passport_repeated_category_and_year() {
    let v = passport_with_hours(vec![
        json!({"category": "social", "year": 2026, "hours": 10}),
        json!({"category": "social", "year": 2026, "hours": 20}),
    ]);
    assert_invalid(
        &v,
        "credentialSubject.hoursByCategory[1]",
        reason::ENTRY_REPEATED,
    );
}

#[test]
fn reject_passport_hours_out_of_order() {
    // Oldest year first.
    let v = passport_with_hours(vec![
        json!({"category": "social", "year": 2025, "hours": 10}),
        json!({"category": "social", "year": 2026, "hours": 20}),
    ]);
    assert_invalid(
        &v,
        "credentialSubject.hoursByCategory[1]",
        reason::ENTRY_ORDER,
    );
    // Within a year, environment before social (Category::ALL has social first).
    let v = passport_with_hours(vec![
        json!({"category": "sport", "year": 2026, "hours": 5}),
        json!({"category": "environment", "year": 2025, "hours": 10}),
        json!({"category": "social", "year": 2025, "hours": 20}),
    ]);
    assert_invalid(
        &v,
        "credentialSubject.hoursByCategory[2]",
        reason::ENTRY_ORDER,
    );
    // Same entries in the required order.
    let v = passport_with_hours(vec![
        json!({"category": "sport", "year": 2026, "hours": 5}),
        json!({"category": "social", "year": 2025, "hours": 20}),
        json!({"category": "environment", "year": 2025, "hours": 10}),
    ]);
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_passport_arrays_over_the_limit() {
    use vpass_credential::limits::MAX_PASSPORT_ENTRIES;
    // 64 distinct (category, year) in the required order: 2026 down to 2019, every category.
    let entries: Vec<Value> = (0..MAX_PASSPORT_ENTRIES)
        .map(|i| {
            let year = 2026 - i / Category::ALL.len();
            let category = Category::ALL[i % Category::ALL.len()].as_str();
            json!({"category": category, "year": year, "hours": 1.25})
        })
        .collect();
    let full = passport_with_hours(entries.clone());
    Credential::from_json(&full).unwrap();
    let mut over = entries;
    over.push(json!({"category": "other", "year": 2000, "hours": 1}));
    let v = passport_with_hours(over);
    assert_invalid(
        &v,
        "credentialSubject.hoursByCategory",
        reason::TOO_MANY_ENTRIES,
    );

    let skill = passport()["credentialSubject"]["skills"][0].clone();
    let v = with_subject(passport(), "skills", json!(vec![skill.clone(); 64]));
    Credential::from_json(&v).unwrap();
    let v = with_subject(passport(), "skills", json!(vec![skill; 65]));
    assert_invalid(&v, "credentialSubject.skills", reason::TOO_MANY_ENTRIES);

    // The length is refused before any entry is read: 65 broken entries name the array.
    let v = with_subject(passport(), "awards", json!(vec![json!(null); 65]));
    assert_invalid(&v, "credentialSubject.awards", reason::TOO_MANY_ENTRIES);
    let v = with_subject(passport(), "awards", json!(vec![json!(null); 64]));
    assert_invalid(&v, "credentialSubject.awards[0]", reason::NOT_OBJECT);
}

#[test]
fn reject_passport_arrays_not_arrays() {
    // The loose summary shape used before the subject was typed.
    let v = with_subject(
        passport(),
        "hoursByCategory",
        json!({"environment": 176, "social": 64}),
    );
    assert_invalid(&v, "credentialSubject.hoursByCategory", reason::NOT_ARRAY);
    for member in ["skills", "awards"] {
        let v = with_subject(passport(), member, "First aid".into());
        assert_invalid(
            &v,
            &format!("credentialSubject.{member}"),
            reason::NOT_ARRAY,
        );
    }
    let mut v = passport();
    v["credentialSubject"] = json!("summary");
    assert_invalid(&v, "credentialSubject", reason::NOT_OBJECT);
}

#[test]
fn reject_passport_bad_skill_entry() {
    let v = with_entry(passport(), "skills", 1, "level", "expert".into());
    assert_invalid(
        &v,
        "credentialSubject.skills[1].level",
        reason::NOT_SKILL_LEVEL,
    );
    let v = with_entry(passport(), "skills", 0, "validUntil", "15.09.2028".into());
    assert_invalid(
        &v,
        "credentialSubject.skills[0].validUntil",
        reason::NOT_DATE,
    );
    let v = with_entry(passport(), "skills", 0, "skill", " ".into());
    assert_invalid(&v, "credentialSubject.skills[0].skill", reason::EMPTY);
    let v = with_entry(
        passport(),
        "skills",
        1,
        "trainingProvider",
        "a\u{7}b".into(),
    );
    assert_invalid(
        &v,
        "credentialSubject.skills[1].trainingProvider",
        reason::CONTROL_CHARACTER,
    );
    // A skill that lapsed before the passport was signed is still part of the record.
    let v = with_entry(passport(), "skills", 0, "validUntil", "2024-09-15".into());
    Credential::from_json(&v).unwrap();
}

#[test]
fn reject_passport_bad_award_entry() {
    Credential::from_json(&with_entry(
        passport(),
        "awards",
        0,
        "awardDate",
        "2026-12-11".into(),
    ))
    .unwrap();
    let v = with_entry(passport(), "awards", 0, "awardDate", "2026-12-12".into());
    assert_invalid(
        &v,
        "credentialSubject.awards[0].awardDate",
        reason::DATE_AFTER_VALID_FROM,
    );
    let v = with_entry(passport(), "awards", 0, "awardedBy", "x".repeat(201).into());
    assert_invalid(
        &v,
        "credentialSubject.awards[0].awardedBy",
        reason::TOO_LONG,
    );
}

#[test]
fn reject_passport_bad_person() {
    let v = with_subject(passport(), "birthDate", "1995-01-02".into());
    assert_invalid(
        &v,
        "credentialSubject.birthDate",
        reason::BIRTH_DATE_NOT_IIN,
    );
    let v = with_subject(passport(), "iin", FIXTURE_IIN.into());
    assert_invalid(&v, "credentialSubject.iin", reason::IIN_CHECK_DIGIT);
    let v = with_subject(passport(), "region", "KZ-XX".into());
    assert_invalid(&v, "credentialSubject.region", reason::NOT_REGION);
}

// ---------------------------------------------------------------- selective disclosure

#[test]
fn selectively_disclosable_is_the_identifying_set() {
    for kind in CredentialKind::ALL {
        assert_eq!(
            kind.selectively_disclosable(),
            ["iin", "birthDate", "email", "phone", "region"]
        );
    }
}

#[test]
fn selectively_disclosable_members_are_known_and_optional() {
    let full = |v: Value| {
        let v = with_subject(v, "iin", FIXTURE_IIN_CORRECTED.into());
        let v = with_subject(v, "birthDate", "1995-01-01".into());
        let v = with_subject(v, "email", "aigerim@example.kz".into());
        let v = with_subject(v, "phone", "+77011234567".into());
        with_subject(v, "region", "KZ-71".into())
    };
    for base in [hours(), skill(), award(), passport()] {
        let base = full(base);
        let kind = Credential::from_json(&base).unwrap().kind();
        for member in kind.selectively_disclosable() {
            assert!(kind.subject_members().contains(member), "{member}");
            // A presentation that hides the member still parses.
            Credential::from_json(&without_subject(base.clone(), member)).unwrap();
        }
        // Hiding all of them at once, too.
        let hidden = kind
            .selectively_disclosable()
            .iter()
            .fold(base.clone(), |v, m| without_subject(v, m));
        Credential::from_json(&hidden).unwrap();
    }
}

#[test]
fn subject_members_in_written_order() {
    let mut v = full_hours();
    v["credentialSubject"]["unlinked"] = true.into();
    let c = Credential::from_json(&v).unwrap();
    let written: Vec<String> = c.to_json()["credentialSubject"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(written, CredentialKind::Hours.subject_members());
}

#[test]
fn reject_unlinked_other_than_true() {
    for bad in [json!(false), json!("true"), json!(1), Value::Null] {
        let v = with_subject(hours(), "unlinked", bad.clone());
        let e = Credential::from_json(&v).unwrap_err();
        assert_eq!(
            e.to_string(),
            "INVALID_FIELD (credentialSubject.unlinked: must be true (leave it out otherwise))",
            "{bad}"
        );
    }
    let v = with_subject(hours(), "unlinked", true.into());
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.to_json(), v);
}

fn full_hours() -> Value {
    let mut v = hours();
    v["credentialSubject"] = json!({
        "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "name": "Айгерим Нурланова",
        "iin": FIXTURE_IIN_CORRECTED,
        "birthDate": "1995-01-01",
        "email": "aigerim@example.kz",
        "phone": "+77011234567",
        "hours": 48,
        "activity": "Таза Қазақстан: көктемгі сенбілік",
        "organization": "Astana Volunteer Center",
        "category": "environment",
        "region": "KZ-AST",
        "periodStart": "2026-03-01",
        "periodEnd": "2026-05-31"
    });
    v
}

#[test]
fn iso_date_parse_and_display() {
    let d = IsoDate::parse("2024-02-29").unwrap();
    assert_eq!(d.to_string(), "2024-02-29");
    assert!(IsoDate::parse("2023-02-29").is_none());
    assert_eq!(
        IsoDate::parse("2026-03-01")
            .unwrap()
            .days_until(IsoDate::parse("2026-05-31").unwrap()),
        91
    );
}

#[test]
fn error_display_names_path_and_reason() {
    let v = with_subject(hours(), "hours", json!(0));
    let err = Credential::from_json(&v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "INVALID_FIELD (credentialSubject.hours: must be a positive number)"
    );
}
