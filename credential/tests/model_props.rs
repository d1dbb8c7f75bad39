//! Property tests for the credential model: round trips through JSON and JWT claims, and
//! arbitrary input never panics.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::model::{
    from_jwt_claims, iin_check_digit, to_jwt_claims, Category, Credential, IsoDate, Region,
};
use vpass_credential::time::UnixTime;

fn date(days_since_2000: i64) -> IsoDate {
    let d = IsoDate::parse("2000-01-01").unwrap().date() + time::Duration::days(days_since_2000);
    let text = format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    IsoDate::parse(&text).unwrap()
}

/// A valid IIN for a birth day, century digit and serial, if one exists.
fn iin(born: IsoDate, female: bool, serial: u16) -> Option<String> {
    let d = born.date();
    let century = match (d.year() / 100, female) {
        (19, false) => 3,
        (19, true) => 4,
        (20, false) => 5,
        (20, true) => 6,
        _ => return None,
    };
    let first = format!(
        "{:02}{:02}{:02}{century}{serial:04}",
        d.year() % 100,
        u8::from(d.month()),
        d.day()
    );
    iin_check_digit(&first).map(|c| format!("{first}{c}"))
}

prop_compose! {
    fn hours_credential()(
        name in "[A-Za-zА-Яа-яӘәҒғҚқҢңӨөҰұҮүІі][A-Za-zА-Яа-яӘәҒғҚқҢңӨөҰұҮүІі '-]{0,60}",
        // Any text but control, format and line/paragraph separator characters (the text rule).
        activity in "[^\\p{C}\\p{Zl}\\p{Zp}]{0,100}[a-z]",
        start in 0i64..9_000,
        len in 0i64..400,
        quarter_hours in 1u32..=40_000,
        born in 0i64..9_000,
        female in any::<bool>(),
        serial in 0u16..10_000,
        with_iin in any::<bool>(),
        with_birth_date in any::<bool>(),
        region in proptest::option::of(0usize..20),
        category in proptest::option::of(0usize..9),
        phone in proptest::option::of("\\+7[0-9]{10}"),
        email in proptest::option::of("[a-z]{1,10}@[a-z]{1,10}\\.kz"),
        status_index in proptest::option::of(0u64..1_000_000),
        delay in 0i64..86_400 * 30,
        years in 1i64..10,
    ) -> Value {
        let period_start = date(start);
        let period_end = date(start + len);
        let max = 24.0 * (len + 1) as f64;
        let hours = (f64::from(quarter_hours) / 4.0).min(max).min(10_000.0);
        let hours = if hours.fract() == 0.0 { json!(hours as u64) } else { json!(hours) };
        let born = date(born - 12_000);
        let from = (period_end.date().midnight().assume_utc().unix_timestamp()) + 86_400 + delay;
        let until = from + years * 365 * 86_400;
        let mut subject = Map::new();
        subject.insert("name".into(), name.into());
        if let Some(i) = iin(born, female, serial).filter(|_| with_iin) {
            subject.insert("iin".into(), i.into());
            if with_birth_date {
                subject.insert("birthDate".into(), born.to_string().into());
            }
        }
        if let Some(e) = email { subject.insert("email".into(), e.into()); }
        if let Some(p) = phone { subject.insert("phone".into(), p.into()); }
        subject.insert("hours".into(), hours);
        subject.insert("activity".into(), activity.into());
        subject.insert("organization".into(), "Astana Volunteer Center".into());
        if let Some(c) = category {
            subject.insert("category".into(), Category::ALL[c].as_str().into());
        }
        if let Some(r) = region {
            let code = Region::all_current().nth(r).unwrap().as_str();
            subject.insert("region".into(), code.into());
        }
        subject.insert("periodStart".into(), period_start.to_string().into());
        subject.insert("periodEnd".into(), period_end.to_string().into());
        let mut v = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "VolunteerHoursCredential"],
            "issuer": "did:web:front-office.example:astana",
            "validFrom": UnixTime(from).to_rfc3339(),
            "validUntil": UnixTime(until).to_rfc3339(),
            "credentialSubject": subject,
        });
        if let Some(i) = status_index {
            v["credentialStatus"] = json!({
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": i.to_string(),
                "statusListCredential": "https://front-office.example/status/1"
            });
        }
        v
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::from)),
        ".{0,20}".prop_map(Value::from),
        Just(Value::from("2026-03-01")),
        Just(Value::from("did:web:x.example")),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z@]{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const MEMBERS: [&str; 12] = [
    "@context",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialStatus",
    "credentialSubject",
    "credentialSubject.hours",
    "credentialSubject.iin",
    "credentialSubject.periodEnd",
    "credentialSubject.region",
    "credentialSubject.name",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip_json(v in hours_credential()) {
        let c = Credential::from_json(&v).unwrap();
        prop_assert_eq!(c.to_json().to_string(), v.to_string());
        prop_assert_eq!(Credential::from_json(&c.to_json()).unwrap(), c);
    }

    #[test]
    fn round_trip_jwt_claims(
        v in hours_credential(),
        seed in any::<[u8; 32]>(),
        bind in any::<bool>(),
    ) {
        let c = Credential::from_json(&v).unwrap();
        let key = SigningKey::from_seed(&seed).public();
        let holder = bind.then_some(&key);
        let claims = to_jwt_claims(&c, UnixTime(1_800_000_000), holder);
        let Value::Object(claims) = claims else { panic!("not an object") };
        let view = from_jwt_claims(&claims).unwrap();
        let back = Credential::from_json(&view).unwrap();
        let mut expected = v.clone();
        if bind {
            let subject = expected["credentialSubject"].as_object().unwrap().clone();
            let mut with_id = Map::new();
            with_id.insert("id".into(), key.did_key().into());
            with_id.extend(subject);
            expected["credentialSubject"] = Value::Object(with_id);
        }
        prop_assert_eq!(back.to_json().to_string(), expected.to_string());
    }

    #[test]
    fn arbitrary_member_values_never_panic(
        v in hours_credential(),
        at in 0usize..MEMBERS.len(),
        junk in arbitrary_json(),
    ) {
        let mut v = v;
        let path = MEMBERS[at];
        match path.split_once('.') {
            Some((outer, inner)) => v[outer][inner] = junk,
            None => v[path] = junk,
        }
        let _ = Credential::from_json(&v);
    }

    #[test]
    fn arbitrary_documents_never_panic(v in arbitrary_json()) {
        let _ = Credential::from_json(&v);
        if let Value::Object(m) = &v {
            let _ = from_jwt_claims(m);
        }
    }
}
