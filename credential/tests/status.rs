//! W3C Bitstring Status List v1.0: the public vectors in full, every rejection, the status
//! list credential, and a round-trip property.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::io::Write;

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use proptest::prelude::*;
use serde_json::{json, Value};
use vpass_credential::b64;
use vpass_credential::error::Code;
use vpass_credential::jose;
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::limits::MAX_STATUS_LIST_INFLATED;
use vpass_credential::status::{
    parse_status_index, sign_status_list, verify_status_list, StatusList, MIN_ENTRIES,
};
use vpass_credential::time::UnixTime;

const VECTORS: &str = include_str!("../../testdata/vectors/w3c_bitstring_status_list.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn code_of(expected: &str) -> Code {
    // "MALFORMED_VALUE_ERROR (or decoding error)" → the code before any comment.
    let name = expected.split_whitespace().next().unwrap();
    *Code::ALL.iter().find(|c| c.as_str() == name).unwrap()
}

fn gzip(data: &[u8], level: Compression) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), level);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn multibase(bytes: &[u8]) -> String {
    format!("u{}", b64::encode(bytes))
}

// ---- public vectors ------------------------------------------------------------------------

#[test]
fn w3c_spec_encoded_list_decodes_to_all_zeros() {
    let v = vectors();
    let facts = &v["spec_facts"];
    let list = StatusList::decode(facts["spec_example_encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(
        list.len(),
        facts["minimum_entries"].as_u64().unwrap() as usize
    );
    assert_eq!(
        list.as_bytes().len(),
        facts["minimum_uncompressed_bytes"].as_u64().unwrap() as usize
    );
    assert!(list.as_bytes().iter().all(|&b| b == 0));
}

#[test]
fn w3c_spec_examples_encoded_lists_decode() {
    // Examples 3 and 5 are status list credentials; every strict-JSON one with an encodedList
    // must decode, and their entries' statusListIndex values must parse.
    let v = vectors();
    let mut lists = 0;
    let mut indices = 0;
    for ex in v["spec_examples"].as_array().unwrap() {
        if ex["kind"] != "json" {
            continue;
        }
        let value = &ex["value"];
        if let Some(encoded) = value["credentialSubject"]["encodedList"].as_str() {
            let list = StatusList::decode(encoded).unwrap();
            assert!(!list.get(94_567).unwrap(), "{}", ex["example_id"]);
            lists += 1;
        }
        let status = &value["credentialStatus"];
        let entries = status
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![status.clone()]);
        for entry in entries.iter().filter(|e| e.is_object()) {
            let index = entry["statusListIndex"].as_str().unwrap();
            assert_eq!(parse_status_index(index).unwrap().to_string(), index);
            indices += 1;
        }
    }
    assert_eq!((lists, indices), (2, 3));
}

#[test]
fn w3c_derived_valid_lists_answer_every_query() {
    let v = vectors();
    let cases = v["derived_valid"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let mut queries = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let size = u8::try_from(case["statusSize"].as_u64().unwrap()).unwrap();
        let encoded = case["encodedList"].as_str().unwrap();
        let list = StatusList::decode_with_status_size(encoded, size).unwrap();
        assert_eq!(list.status_size(), size);
        assert_eq!(
            list.as_bytes().len() * 8,
            case["bitstring_bits"].as_u64().unwrap() as usize,
            "{id}"
        );
        // Reading a 1-bit decode at the stated size must give the same list.
        let resized = StatusList::decode(encoded)
            .unwrap()
            .into_status_size(size)
            .unwrap();
        assert_eq!(resized, list);

        for q in case["queries"].as_array().unwrap() {
            let index = q["statusListIndex"].as_u64().unwrap();
            match (q.get("expected_status"), q.get("expected")) {
                (Some(status), None) => {
                    let status = status.as_u64().unwrap();
                    assert_eq!(
                        u64::from(list.status(index).unwrap()),
                        status,
                        "{id}@{index}"
                    );
                    assert_eq!(list.get(index).unwrap(), status != 0, "{id}@{index}");
                }
                (None, Some(expected)) => {
                    let err = list.status(index).unwrap_err();
                    assert_eq!(
                        err.code(),
                        code_of(expected.as_str().unwrap()),
                        "{id}@{index}"
                    );
                    assert_eq!(list.get(index).unwrap_err().code(), err.code());
                }
                _ => panic!("query without expectation in {id}"),
            }
            queries += 1;
        }

        // Rebuild the list from its description: same bits (our encoder is MSB-first too).
        let mut rebuilt = StatusList::with_status_size(list.len(), size).unwrap();
        if let Some(set) = case.get("set_indices") {
            for i in set.as_array().unwrap() {
                rebuilt.set(i.as_u64().unwrap(), true).unwrap();
            }
        }
        if let Some(set) = case.get("entries_set") {
            for (i, value) in set.as_object().unwrap() {
                let value = u8::try_from(value.as_u64().unwrap()).unwrap();
                rebuilt.set_status(i.parse().unwrap(), value).unwrap();
            }
        }
        assert_eq!(rebuilt, list, "{id}");
        assert_eq!(
            StatusList::decode_with_status_size(&rebuilt.encode(), size).unwrap(),
            list
        );
    }
    assert_eq!(queries, 12 + 7);
}

#[test]
fn w3c_derived_index_zero_is_most_significant_bit() {
    // Attack G7: bits 0, 7 and 8 set means bytes 0x81 0x80.
    let v = vectors();
    let encoded = v["derived_valid"][0]["encodedList"].as_str().unwrap();
    let list = StatusList::decode(encoded).unwrap();
    assert_eq!(list.as_bytes().get(..2), Some(&[0x81u8, 0x80][..]));
    let mut ours = StatusList::new(MIN_ENTRIES).unwrap();
    ours.set(0, true).unwrap();
    assert_eq!(ours.as_bytes().first(), Some(&0x80));
}

#[test]
fn w3c_derived_invalid_lists_give_their_error() {
    let v = vectors();
    let cases = v["derived_invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let err = match case["encodedList"].as_str() {
            Some(encoded) => StatusList::decode(encoded).unwrap_err(),
            None => {
                // gzip_bomb_64MiB: generated here, as the recipe says.
                assert_eq!(id, "gzip_bomb_64MiB");
                StatusList::decode(&gzip_bomb()).unwrap_err()
            }
        };
        let expected = match case["expected"].as_str().unwrap() {
            e if e.starts_with("reject before full inflation") => Code::DecompressedTooLarge,
            e => code_of(e),
        };
        assert_eq!(err.code(), expected, "{id}: {err}");
    }
}

fn gzip_bomb() -> String {
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = gzip(&zeros, Compression::fast());
    assert!(bomb.len() < 1024 * 1024, "bomb is {} bytes", bomb.len());
    multibase(&bomb)
}

// ---- rejections -----------------------------------------------------------------------------

#[test]
fn reject_gzip_bomb_at_the_cap() {
    let err = StatusList::decode(&gzip_bomb()).unwrap_err();
    assert_eq!(err.code(), Code::DecompressedTooLarge);
    // Inflation stopped one byte past the cap.
    assert_eq!(
        err.context(),
        &vpass_credential::Context::Limit {
            what: "encodedList",
            limit: MAX_STATUS_LIST_INFLATED,
            actual: MAX_STATUS_LIST_INFLATED + 1
        }
    );
    // Exactly at the cap is still a list.
    let at_cap = multibase(&gzip(
        &vec![0u8; MAX_STATUS_LIST_INFLATED],
        Compression::fast(),
    ));
    assert_eq!(
        StatusList::decode(&at_cap).unwrap().len(),
        MAX_STATUS_LIST_INFLATED * 8
    );
}

#[test]
fn reject_encoded_list_longer_than_any_list() {
    let huge = format!("u{}", "A".repeat(MAX_STATUS_LIST_INFLATED * 2));
    let err = StatusList::decode(&huge).unwrap_err();
    assert_eq!(err.code(), Code::PayloadTooLarge);
}

#[test]
fn reject_encoded_list_without_u_prefix() {
    let good = StatusList::new(MIN_ENTRIES).unwrap().encode();
    for bad in [&good[1..], "", "z", &format!("z{}", &good[1..])] {
        assert_eq!(
            StatusList::decode(bad).unwrap_err().code(),
            Code::MalformedValueError,
            "{bad:.10}"
        );
    }
}

#[test]
fn reject_encoded_list_in_standard_base64() {
    let gz = gzip(&[0u8; 16_384], Compression::best());
    use base64::Engine;
    let std = base64::engine::general_purpose::STANDARD.encode(&gz);
    let padded = format!("u{}=", b64::encode(&gz));
    for bad in [format!("u{std}"), padded, format!("u {}", b64::encode(&gz))] {
        assert_eq!(
            StatusList::decode(&bad).unwrap_err().code(),
            Code::MalformedValueError
        );
    }
}

#[test]
fn reject_encoded_list_in_zlib_or_raw_deflate() {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    z.write_all(&[0u8; 16_384]).unwrap();
    let zlib = z.finish().unwrap();
    let mut d = flate2::write::DeflateEncoder::new(Vec::new(), Compression::best());
    d.write_all(&[0u8; 16_384]).unwrap();
    let raw = d.finish().unwrap();
    for bad in [zlib, raw, Vec::new(), b"\x1f\x8b".to_vec()] {
        assert_eq!(
            StatusList::decode(&multibase(&bad)).unwrap_err().code(),
            Code::MalformedValueError
        );
    }
}

#[test]
fn reject_encoded_list_with_trailing_garbage() {
    let gz = gzip(&[0u8; 16_384], Compression::best());
    let mut garbage = gz.clone();
    garbage.push(0);
    let mut two_members = gz.clone();
    two_members.extend_from_slice(&gz);
    for bad in [garbage, two_members] {
        assert_eq!(
            StatusList::decode(&multibase(&bad)).unwrap_err().code(),
            Code::MalformedValueError
        );
    }
}

#[test]
fn reject_encoded_list_with_bad_crc_or_truncation() {
    let gz = gzip(&[0u8; 16_384], Compression::best());
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 1;
    let truncated = gz[..n - 4].to_vec();
    for bad in [bad_crc, truncated] {
        assert_eq!(
            StatusList::decode(&multibase(&bad)).unwrap_err().code(),
            Code::MalformedValueError
        );
    }
}

#[test]
fn reject_list_shorter_than_minimum() {
    let short = multibase(&gzip(&[0u8; 16_383], Compression::best()));
    assert_eq!(
        StatusList::decode(&short).unwrap_err().code(),
        Code::StatusListLengthError
    );
    assert_eq!(
        StatusList::new(MIN_ENTRIES - 1).unwrap_err().code(),
        Code::StatusListLengthError
    );
    // 16 KiB holds 131,072 1-bit entries but only 65,536 2-bit ones (§3.2 step 9).
    let min = StatusList::new(MIN_ENTRIES).unwrap().encode();
    assert_eq!(
        StatusList::decode_with_status_size(&min, 2)
            .unwrap_err()
            .code(),
        Code::StatusListLengthError
    );
}

#[test]
fn reject_index_out_of_range() {
    let mut list = StatusList::new(MIN_ENTRIES).unwrap();
    for index in [MIN_ENTRIES as u64, u64::MAX, 1 << 40] {
        assert_eq!(list.get(index).unwrap_err().code(), Code::RangeError);
        assert_eq!(list.set(index, true).unwrap_err().code(), Code::RangeError);
    }
    assert!(!list.get(MIN_ENTRIES as u64 - 1).unwrap());
    let mut two = StatusList::with_status_size(MIN_ENTRIES, 2).unwrap();
    assert_eq!(two.set_status(0, 4).unwrap_err().code(), Code::RangeError);
    two.set_status(0, 3).unwrap();
    assert_eq!(list.status(0).unwrap(), 0);
    assert_eq!(two.status(0).unwrap(), 3);
}

#[test]
fn reject_bad_status_size() {
    for size in [0u8, 9, 255] {
        assert_eq!(
            StatusList::with_status_size(MIN_ENTRIES, size)
                .unwrap_err()
                .code(),
            Code::MalformedValueError
        );
    }
    assert_eq!(
        StatusList::new(usize::MAX).unwrap_err().code(),
        Code::DecompressedTooLarge
    );
}

#[test]
fn reject_malformed_status_index() {
    for bad in [
        "",
        "-1",
        "+1",
        "01",
        "00",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "0x10",
        "١",
        "１",
        "18446744073709551616",
        "99999999999999999999",
        "123456789012345678901",
    ] {
        assert_eq!(
            parse_status_index(bad).unwrap_err().code(),
            Code::MalformedValueError,
            "{bad}"
        );
    }
    assert_eq!(parse_status_index("0").unwrap(), 0);
    assert_eq!(parse_status_index("94567").unwrap(), 94_567);
    assert_eq!(
        parse_status_index("18446744073709551615").unwrap(),
        u64::MAX
    );
}

// ---- the status list credential -------------------------------------------------------------

const ISSUER: &str = "did:web:almaty.vpass.kz";
const URL: &str = "https://almaty.vpass.kz/status/1";
const FROM: UnixTime = UnixTime(1_780_000_000);
const UNTIL: UnixTime = UnixTime(1_780_086_400);

fn office_key() -> SigningKey {
    SigningKey::from_seed(&[3; 32]).with_kid(format!("{ISSUER}#2026"))
}

fn revoked_list() -> StatusList {
    let mut list = StatusList::new(MIN_ENTRIES).unwrap();
    list.set(94_567, true).unwrap();
    list
}

fn signed(purpose: &str) -> String {
    sign_status_list(
        &office_key(),
        ISSUER,
        URL,
        purpose,
        &revoked_list(),
        FROM,
        UNTIL,
    )
}

/// Re-sign a status list credential after editing its payload.
fn resigned(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let token = signed("revocation");
    let jws = jose::parse(&token)
        .unwrap()
        .verify(&office_key().public())
        .unwrap();
    let mut payload = jws.payload_object().unwrap();
    edit(&mut payload);
    jose::sign_json(&office_key(), Some("vc+jwt"), &Value::Object(payload))
}

fn verify(token: &str) -> vpass_credential::Result<vpass_credential::status::VerifiedStatusList> {
    verify_status_list(token, &office_key().public(), ISSUER, URL, "revocation")
}

#[test]
fn status_list_credential_round_trip() {
    let token = signed("revocation");
    let v = verify(&token).unwrap();
    assert_eq!(
        (v.url.as_str(), v.issuer.as_str(), v.purpose.as_str()),
        (URL, ISSUER, "revocation")
    );
    assert_eq!((v.valid_from, v.valid_until), (FROM, Some(UNTIL)));
    assert_eq!(v.list, revoked_list());
    assert!(v.list.get(94_567).unwrap());

    let jws = jose::parse(&token)
        .unwrap()
        .verify(&office_key().public())
        .unwrap();
    assert_eq!(jws.header.typ.as_deref(), Some("vc+jwt"));
    assert_eq!(
        jws.header.kid.as_deref(),
        Some("did:web:almaty.vpass.kz#2026")
    );
    let p = Value::Object(jws.payload_object().unwrap());
    assert_eq!(
        p["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    assert_eq!(p["id"], URL);
    assert_eq!(
        p["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(p["issuer"], ISSUER);
    assert_eq!(p["validFrom"], "2026-05-28T20:26:40Z");
    assert_eq!(p["validUntil"], "2026-05-29T20:26:40Z");
    assert_eq!(p["credentialSubject"]["id"], format!("{URL}#list"));
    assert_eq!(p["credentialSubject"]["type"], "BitstringStatusList");
    assert_eq!(p["credentialSubject"]["statusPurpose"], "revocation");
    assert_eq!(
        p["credentialSubject"]["encodedList"],
        revoked_list().encode()
    );
    assert_eq!(
        (&p["iss"], &p["iat"], &p["nbf"], &p["exp"]),
        (
            &json!(ISSUER),
            &json!(FROM.0),
            &json!(FROM.0),
            &json!(UNTIL.0)
        )
    );
}

#[test]
fn status_list_credential_with_two_bit_entries() {
    let mut list = StatusList::with_status_size(MIN_ENTRIES, 2).unwrap();
    list.set_status(5, 2).unwrap();
    let token = sign_status_list(&office_key(), ISSUER, URL, "message", &list, FROM, UNTIL);
    let v = verify_status_list(&token, &office_key().public(), ISSUER, URL, "message").unwrap();
    assert_eq!(v.list.status_size(), 2);
    assert_eq!(v.list.status(5).unwrap(), 2);
}

#[test]
fn accept_purpose_array_and_issuer_object() {
    let token = resigned(|p| {
        p["credentialSubject"]["statusPurpose"] = json!(["suspension", "revocation"]);
        p["issuer"] = json!({"id": ISSUER, "name": "Almaty"});
    });
    assert!(verify(&token).is_ok());
}

#[test]
fn reject_status_list_wrong_key() {
    let other = SigningKey::from_seed(&[4; 32]);
    let err = verify_status_list(
        &signed("revocation"),
        &other.public(),
        ISSUER,
        URL,
        "revocation",
    )
    .unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
    let p256 = SigningKey::generate_p256();
    let err = verify_status_list(
        &signed("revocation"),
        &p256.public(),
        ISSUER,
        URL,
        "revocation",
    )
    .unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
}

#[test]
fn reject_status_list_tampered_signature() {
    let token = signed("revocation");
    let (input, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", b64::encode([0u8; 64]));
    assert_eq!(
        verify(&forged).unwrap_err().code(),
        Code::StatusVerificationError
    );
    assert_eq!(
        verify("not a jws").unwrap_err().code(),
        Code::StatusVerificationError
    );
}

#[test]
fn reject_status_list_wrong_issuer() {
    let err = verify_status_list(
        &signed("revocation"),
        &office_key().public(),
        "did:web:astana.vpass.kz",
        URL,
        "revocation",
    )
    .unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
    let iss_differs = resigned(|p| p["iss"] = json!("did:web:astana.vpass.kz"));
    assert_eq!(
        verify(&iss_differs).unwrap_err().code(),
        Code::StatusVerificationError
    );
}

#[test]
fn reject_status_list_wrong_url() {
    let err = verify_status_list(
        &signed("revocation"),
        &office_key().public(),
        ISSUER,
        "https://almaty.vpass.kz/status/2",
        "revocation",
    )
    .unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
}

#[test]
fn reject_suspension_list_used_for_revocation() {
    let err = verify(&signed("suspension")).unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
}

/// An edit of a status list credential's payload.
type PayloadEdit = Box<dyn Fn(&mut serde_json::Map<String, Value>)>;

#[test]
fn reject_status_list_wrong_typ_or_shape() {
    let token = signed("revocation");
    let jws = jose::parse(&token).unwrap();
    let payload: Value = serde_json::from_slice(&jws.unverified_payload).unwrap();
    let wrong_typ = jose::sign_json(&office_key(), Some("dc+sd-jwt"), &payload);
    assert_eq!(
        verify(&wrong_typ).unwrap_err().code(),
        Code::StatusVerificationError
    );

    let edits: Vec<PayloadEdit> = vec![
        Box::new(|p| p["type"] = json!(["VerifiableCredential"])),
        Box::new(|p| p["@context"] = json!(["https://www.w3.org/2018/credentials/v1"])),
        Box::new(|p| p["credentialSubject"]["type"] = json!("StatusList2021")),
        Box::new(|p| p["credentialSubject"] = json!([p["credentialSubject"].clone()])),
        Box::new(|p| {
            p.remove("validFrom");
            p.remove("nbf");
            p.remove("iat");
        }),
        Box::new(|p| p["validFrom"] = json!("yesterday")),
        Box::new(|p| p["exp"] = json!(1.5)),
        Box::new(|p| p["validUntil"] = json!("2020-01-01T00:00:00Z")),
        Box::new(|p| {
            p.remove("id");
        }),
    ];
    for (i, edit) in edits.into_iter().enumerate() {
        let err = verify(&resigned(edit)).unwrap_err();
        assert_eq!(err.code(), Code::StatusVerificationError, "edit {i}: {err}");
    }
}

#[test]
fn reject_status_list_credential_with_bad_encoded_list() {
    let short = resigned(|p| {
        p["credentialSubject"]["encodedList"] =
            json!(multibase(&gzip(&[0u8; 100], Compression::best())))
    });
    assert_eq!(
        verify(&short).unwrap_err().code(),
        Code::StatusListLengthError
    );
    let missing = resigned(|p| {
        p["credentialSubject"]
            .as_object_mut()
            .unwrap()
            .remove("encodedList");
    });
    assert_eq!(
        verify(&missing).unwrap_err().code(),
        Code::MalformedValueError
    );
    let size = resigned(|p| p["credentialSubject"]["statusSize"] = json!(0));
    assert_eq!(verify(&size).unwrap_err().code(), Code::MalformedValueError);
}

#[test]
fn reject_status_list_rollback() {
    let v = verify(&signed("revocation")).unwrap();
    assert!(v.check_rollback(None, None).is_ok());
    assert!(v.check_rollback(Some(FROM), None).is_ok());
    assert!(v.check_rollback(Some(UnixTime(FROM.0 - 1)), None).is_ok());
    let err = v
        .check_rollback(Some(UnixTime(FROM.0 + 1)), None)
        .unwrap_err();
    assert_eq!(err.code(), Code::StatusRollback);
    // Same time: the same publication passes, another one is a rollback.
    assert!(v.check_rollback(Some(FROM), Some(&v.digest)).is_ok());
    let err = v.check_rollback(Some(FROM), Some("other")).unwrap_err();
    assert_eq!(err.code(), Code::StatusRollback);
}

#[test]
fn reject_stale_status_list() {
    use vpass_credential::limits::CLOCK_SKEW_SECS;
    let v = verify(&signed("revocation")).unwrap();
    assert!(v.check_current(FROM).is_ok());
    assert!(v.check_current(UnixTime(UNTIL.0 + CLOCK_SKEW_SECS)).is_ok());
    let err = v
        .check_current(UnixTime(UNTIL.0 + CLOCK_SKEW_SECS + 1))
        .unwrap_err();
    assert_eq!(err.code(), Code::StatusUnknown);
    assert!(v.check_current(UnixTime(FROM.0 - CLOCK_SKEW_SECS)).is_ok());
    let err = v
        .check_current(UnixTime(FROM.0 - CLOCK_SKEW_SECS - 1))
        .unwrap_err();
    assert_eq!(err.code(), Code::ClockInconsistent);
}

#[test]
fn encode_is_deterministic_and_small_for_sparse_lists() {
    let mut list = StatusList::new(MIN_ENTRIES).unwrap();
    for i in [3u64, 50_000, 131_000] {
        list.set(i, true).unwrap();
    }
    let encoded = list.encode();
    assert_eq!(encoded, list.clone().encode());
    // crates-measured.md §6: 3 revoked indices give about 81 characters.
    assert!(encoded.len() < 120, "{} chars", encoded.len());
}

// ---- properties -----------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decode_encode_round_trip(
        set in proptest::collection::vec(0u64..(MIN_ENTRIES as u64 * 2), 0..300),
        extra_bytes in 0usize..64,
    ) {
        let mut list = StatusList::new(MIN_ENTRIES * 2 + extra_bytes * 8).unwrap();
        for &i in &set {
            list.set(i, true).unwrap();
        }
        let decoded = StatusList::decode(&list.encode()).unwrap();
        prop_assert_eq!(&decoded, &list);
        for &i in &set {
            prop_assert!(decoded.get(i).unwrap());
        }
    }

    #[test]
    fn multi_bit_round_trip(
        size in 1u8..=8,
        entries in proptest::collection::vec((0u64..MIN_ENTRIES as u64, any::<u8>()), 0..100),
    ) {
        let mut list = StatusList::with_status_size(MIN_ENTRIES, size).unwrap();
        let mask = if size == 8 { 0xff } else { (1u8 << size) - 1 };
        let mut expected = std::collections::BTreeMap::new();
        for &(i, v) in &entries {
            list.set_status(i, v & mask).unwrap();
            expected.insert(i, v & mask);
        }
        let decoded = StatusList::decode_with_status_size(&list.encode(), size).unwrap();
        for (&i, &v) in &expected {
            prop_assert_eq!(decoded.status(i).unwrap(), v);
        }
        prop_assert_eq!(decoded, list);
    }

    #[test]
    fn status_index_round_trip(n in any::<u64>()) {
        prop_assert_eq!(parse_status_index(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn decode_never_panics(text in "u[A-Za-z0-9_-]{0,200}") {
        let _ = StatusList::decode(&text);
    }
}
