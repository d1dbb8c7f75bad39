#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The attack catalog (sections A–I), end to end: every case is fed to the public entry point
//! `vpass_verifier::verify` as QR text or token text, with a `TrustStore` built from keys or
//! from a trust-store folder, and each test asserts that the verdict is not valid and that
//! its first error has the specific stable code. Library-level tests of the same cases live
//! next to the code (`credential/tests/*`); these prove that the verifier surfaces the code.
//! docs/threat-model.md maps every catalog case to its tests here.
//!
//! Where our behaviour deliberately differs from the catalog's proposal, a comment says why.
//! A7/A8 (images) and J (issuer HTTP API) are out of scope here.

use std::path::PathBuf;

use serde_json::{json, Map, Value};
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::limits::{CLOCK_SKEW_SECS, KB_MAX_AGE_SECS, MAX_QR_TEXT, MAX_TOKEN};
use vpass_credential::model::{self, Credential};
use vpass_credential::sdjwt::{self, KbParams, OsSalts};
use vpass_credential::status::{sign_status_list, StatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{sign_trust_list, KeyState, Names, Office, OfficeKey, TrustList};
use vpass_credential::{b64, envelope, jose, Code};
use vpass_verifier::sample::Sample;
use vpass_verifier::{Policy, StoreError, TrustStore, Verdict};

const ASTANA: &str = "did:web:front-office.example:astana";
const ALMATY: &str = "did:web:front-office.example:almaty";
const LIST_URL: &str = "https://front-office.example/status/1";
const LIST_ALMATY: &str = "https://front-office.example/status/almaty";
/// `iat` of the credentials issued here (2026-05-28).
const ISSUED: i64 = 1_780_000_000;
/// The verification time (2026-11-18).
const NOW: i64 = 1_795_000_000;
const AUD: &str = "https://hr.example.kz";
const NONCE: &str = "n-attacks-1";
/// The index `examples/hours.json` has in its status list.
const HOURS_INDEX: u64 = 94_567;

// ---------------------------------------------------------------------------------------------
// Keys, verification, assertions
// ---------------------------------------------------------------------------------------------

fn root() -> SigningKey {
    SigningKey::from_seed(&[1; 32])
}
fn astana() -> SigningKey {
    SigningKey::from_seed(&[2; 32]).with_kid(format!("{ASTANA}#k1"))
}
fn almaty() -> SigningKey {
    SigningKey::from_seed(&[3; 32]).with_kid(format!("{ALMATY}#k1"))
}
fn holder() -> SigningKey {
    SigningKey::from_seed(&[0x42; 32])
}
fn stranger() -> SigningKey {
    SigningKey::from_seed(&[9; 32])
}

fn policy() -> Policy {
    Policy::at(UnixTime(NOW))
}

/// The policy of a verifier that showed `AUD` and `NONCE`.
fn kb_policy() -> Policy {
    let mut p = policy();
    p.aud = Some(AUD.into());
    p.nonce = Some(NONCE.into());
    p
}

/// Trust the Astana office key directly (no trust list).
fn keys_store() -> TrustStore {
    TrustStore::with_keys(vec![astana().public()])
}

fn check(input: &str) -> Verdict {
    vpass_verifier::verify(input, &keys_store(), &policy())
}

fn check_with(input: &str, policy: &Policy) -> Verdict {
    vpass_verifier::verify(input, &keys_store(), policy)
}

#[track_caller]
fn assert_code(v: &Verdict, code: Code, what: &str) {
    assert!(!v.valid, "{what}: accepted");
    assert_eq!(
        v.errors.first().map(|f| f.code),
        Some(code.as_str()),
        "{what}: {:?}",
        v.errors
    );
}

#[track_caller]
fn assert_valid(v: &Verdict, what: &str) {
    assert!(v.valid, "{what}: {:?}", v.errors);
}

#[track_caller]
fn reject(input: &str, code: Code, what: &str) {
    assert_code(&check(input), code, what);
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

fn example() -> Value {
    serde_json::from_str(include_str!("../../examples/hours.json")).unwrap()
}

/// The standard hours credential as JWT claims, issued by Astana at `ISSUED`, bound to
/// `holder()`.
fn hours_claims() -> Value {
    let cred = Credential::from_json(&example()).unwrap();
    model::to_jwt_claims(&cred, UnixTime(ISSUED), Some(&holder().public()))
}

fn hours_with(edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut claims = hours_claims();
    edit(claims.as_object_mut().unwrap());
    claims
}

/// A compact JWS over exactly these header and payload bytes.
fn raw_jws(signer: &dyn Signer, header: &str, payload: &[u8]) -> String {
    let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
    let sig = b64::encode(signer.sign(input.as_bytes()));
    format!("{input}.{sig}")
}

/// The header our office writes, with another `typ`.
fn header(typ: &str) -> String {
    format!(r#"{{"alg":"EdDSA","typ":"{typ}","kid":"{ASTANA}#k1"}}"#)
}

fn vc_jwt(claims: &Value) -> String {
    jose::sign_json(&astana(), Some("vc+jwt"), claims)
}

/// `<jws>~<d1>~…~`, the issuer JWS signed by Astana with `typ` `dc+sd-jwt`.
fn sd_jwt(claims: &Value, disclosures: &[&str]) -> String {
    let mut out = jose::sign_json(&astana(), Some("dc+sd-jwt"), claims);
    out.push('~');
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    out
}

fn disclosure(items: Value) -> String {
    b64::encode(items.to_string())
}

fn digest(disclosure: &str) -> String {
    b64::encode(sha256(disclosure.as_bytes()))
}

/// `claims` with a top-level `_sd` of `digests` and `_sd_alg` `sha-256`.
fn with_sd(mut claims: Value, digests: &[String]) -> Value {
    claims["_sd"] = json!(digests);
    claims["_sd_alg"] = json!("sha-256");
    claims
}

fn kb_jwt(signer: &dyn Signer, typ: Option<&str>, without_kb: &str, iat: i64) -> String {
    let payload = json!({"iat": iat, "aud": AUD, "nonce": NONCE, "sd_hash": digest(without_kb)});
    jose::sign_json(signer, typ, &payload)
}

/// Append a valid KB-JWT by `holder()` for `AUD` and `NONCE`.
fn with_kb(without_kb: &str) -> String {
    let kb = kb_jwt(&holder(), Some("kb+jwt"), without_kb, NOW - 10);
    format!("{without_kb}{kb}")
}

fn payload_of(jws: &str) -> Value {
    let p = jws.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64::decode(p, "payload").unwrap()).unwrap()
}

/// The disclosures of an SD-JWT that disclose `name`.
fn disclosure_named(sd_jwt: &str, name: &str) -> String {
    sd_jwt
        .split('~')
        .skip(1)
        .filter(|d| !d.is_empty() && !d.contains('.'))
        .find(|d| {
            let v: Value = serde_json::from_slice(&b64::decode(d, "d").unwrap()).unwrap();
            v.get(1) == Some(&json!(name))
        })
        .unwrap()
        .to_owned()
}

/// Flip the lowest unused bit of the last character of canonical base64url text whose length
/// leaves unused bits: the same bytes to a lenient decoder, different text (B12).
fn with_trailing_bit(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_ne!(text.len() % 4, 0, "no unused bits in {text}");
    let (head, last) = text.split_at(text.len() - 1);
    let i = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .unwrap();
    format!("{head}{}", char::from(ALPHABET[i ^ 1]))
}

// ---------------------------------------------------------------------------------------------
// SHA-256 and HMAC (FIPS 180-4, RFC 2104): digests and `sd_hash` over attacker-chosen text.
// The verifier crate has no hash crate among its dev-dependencies; this is checked against
// the credential crate's own SHA-256 (JWK thumbprints) in `sha256_helper_matches_the_core`.
// ---------------------------------------------------------------------------------------------

const K256: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&(data.len() as u64 * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (wi, c) in w.iter_mut().zip(block.chunks(4)) {
            *wi = u32::from_be_bytes(c.try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for (k, wi) in K256.iter().zip(w) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(wi);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (o, x) in out.chunks_mut(4).zip(h) {
        o.copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(msg.iter().copied())
        .collect();
    let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).chain(sha256(&inner)).collect();
    sha256(&outer)
}

#[test]
fn sha256_helper_matches_the_core() {
    let key = astana().public();
    assert_eq!(
        b64::encode(sha256(key.to_jwk().to_string().as_bytes())),
        key.thumbprint()
    );
    // The digests our issuer writes are the ones this helper computes.
    let claims = hours_claims();
    let sd = [sdjwt::parse_path(&claims, "credentialSubject.iin")];
    let issued = sdjwt::issue(&astana(), claims, &sd, &mut OsSalts).unwrap();
    let d = disclosure_named(&issued, "iin");
    let payload = payload_of(issued.split('~').next().unwrap());
    assert_eq!(payload["credentialSubject"]["_sd"], json!([digest(&d)]));
}

// ---------------------------------------------------------------------------------------------
// QR envelope bytes: base45 (RFC 9285), raw DEFLATE (RFC 1951), zlib/gzip framing
// ---------------------------------------------------------------------------------------------

const B45: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

fn base45(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(2) {
        let (mut n, digits) = match *chunk {
            [a, b] => (usize::from(a) << 8 | usize::from(b), 3),
            [a] => (usize::from(a), 2),
            _ => unreachable!(),
        };
        for _ in 0..digits {
            out.push(char::from(B45[n % 45]));
            n /= 45;
        }
    }
    out
}

fn unbase45(text: &str) -> Vec<u8> {
    let v = |c: u8| B45.iter().position(|&x| x == c).unwrap();
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(3) {
        let n: usize = chunk.iter().rev().fold(0, |n, &c| n * 45 + v(c));
        match chunk.len() {
            3 => out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes()),
            _ => out.push(u8::try_from(n).unwrap()),
        }
    }
    out
}

fn qr(body: &[u8]) -> String {
    format!("{}{}", envelope::PREFIX, base45(body))
}

fn body_of(qr_text: &str) -> Vec<u8> {
    unbase45(qr_text.strip_prefix(envelope::PREFIX).unwrap())
}

fn varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The envelope head (docs/formats.md) of a plain JWS whose header and payload contain no
/// `""`, with no extraction codes, and its tail (the signature).
fn jws_head_tail(token: &str) -> (Vec<u8>, Vec<u8>) {
    let parts: Vec<Vec<u8>> = token
        .split('.')
        .map(|p| b64::decode(p, "part").unwrap())
        .collect();
    let mut head = vec![0];
    for p in &parts[..2] {
        varint(&mut head, p.len());
        head.extend_from_slice(p);
    }
    varint(&mut head, parts[2].len());
    head.push(0);
    (head, parts[2].clone())
}

/// Raw DEFLATE in stored blocks (RFC 1951 §3.2.4).
fn stored_deflate(data: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(c.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out
}

/// About `matches × 258` zero bytes from 13 bits each: a literal 0, then length-258 matches
/// at distance 1, in one fixed-Huffman block (RFC 1951 §3.2.6).
fn deflate_bomb(matches: usize) -> Vec<u8> {
    let (mut out, mut acc, mut n) = (Vec::new(), 0u64, 0u32);
    let mut put = |value: u64, len: u32| {
        acc |= value << n;
        n += len;
        while n >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            n -= 8;
        }
    };
    // Huffman codes are sent most significant bit first.
    let rev = |code: u64, len: u32| (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
    put(1, 1); // BFINAL
    put(1, 2); // fixed Huffman
    put(rev(0b0011_0000, 8), 8); // literal 0
    for _ in 0..matches {
        put(rev(0b1100_0101, 8), 8); // length 258
        put(0, 5); // distance 1
    }
    put(0, 7); // end of block
    put(0, 7);
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    b << 16 | a
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// One gzip member (RFC 1952) around `deflate`, with the trailer of `data`.
fn gzip(deflate: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(deflate);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// A trust-store folder: root key, signed trust list (Astana, Almaty), cached status lists
// ---------------------------------------------------------------------------------------------

struct World {
    dir: PathBuf,
}

fn office(id: &str, key: &SigningKey, types: &[&str], list: &str) -> Office {
    Office {
        id: id.into(),
        names: Names {
            kk: format!("{id} kk"),
            ru: format!("{id} ru"),
            en: format!("{id} en"),
        },
        region: None,
        credential_types: types.iter().map(|t| (*t).to_owned()).collect(),
        keys: vec![OfficeKey {
            kid: key.kid().unwrap().to_owned(),
            jwk: key.public().to_jwk(),
            valid_from: UnixTime(ISSUED - 86_400),
            valid_until: None,
            state: KeyState::Active,
        }],
        status_lists: vec![list.into()],
    }
}

/// The trust list every world starts with: sequence 7, both offices issue hours only.
fn trust_list() -> TrustList {
    TrustList {
        sequence: 7,
        issued_at: UnixTime(NOW - 7_200),
        next_update: UnixTime(NOW + 86_400),
        root: root().public().did_key(),
        next_root: None,
        offices: vec![
            office(ASTANA, &astana(), &["VolunteerHoursCredential"], LIST_URL),
            office(
                ALMATY,
                &almaty(),
                &["VolunteerHoursCredential"],
                LIST_ALMATY,
            ),
        ],
    }
}

/// A status list credential at `url` by `signer` for `issuer`, valid `from`..`until`.
fn status_token(
    signer: &SigningKey,
    issuer: &str,
    url: &str,
    purpose: &str,
    revoked: &[u64],
    (from, until): (i64, i64),
) -> String {
    let mut list = StatusList::new(131_072).unwrap();
    for &i in revoked {
        list.set(i, true).unwrap();
    }
    let (from, until) = (UnixTime(from), UnixTime(until));
    sign_status_list(signer, issuer, url, purpose, &list, from, until)
}

/// The current Astana status list (nothing revoked).
fn current_status() -> String {
    status_token(
        &astana(),
        ASTANA,
        LIST_URL,
        "revocation",
        &[],
        (NOW - 3_600, NOW + 86_400),
    )
}

impl World {
    fn new(name: &str) -> World {
        let dir = std::env::temp_dir().join(format!("vpass-attacks-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("status")).unwrap();
        let w = World { dir };
        std::fs::write(w.dir.join("root-key"), root().public().did_key()).unwrap();
        w.write_list(&root(), &trust_list());
        w.write_status(&current_status());
        w
    }

    fn write_list(&self, signer: &SigningKey, list: &TrustList) {
        std::fs::write(
            self.dir.join("trust-list.jwt"),
            sign_trust_list(signer, list),
        )
        .unwrap();
    }

    /// Replace the cached status list of Astana (`status/1.jwt`).
    fn write_status(&self, token: &str) {
        std::fs::write(self.dir.join("status/1.jwt"), token).unwrap();
    }

    fn write_state(&self, json: &str) {
        std::fs::write(self.dir.join("state.json"), json).unwrap();
    }

    fn verify(&self, token: &str) -> Verdict {
        self.verify_at(token, NOW)
    }

    fn verify_at(&self, token: &str, now: i64) -> Verdict {
        let store = TrustStore::open(&self.dir, UnixTime(now)).unwrap();
        vpass_verifier::verify(token, &store, &Policy::at(UnixTime(now)))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The standard hours credential issued by `signer` (as SD-JWT, no holder binding), its JWT
/// claims changed by `edit` first.
fn issued_by(signer: &SigningKey, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let cred = Credential::from_json(&example()).unwrap();
    let mut claims = model::to_jwt_claims(&cred, UnixTime(ISSUED), None);
    edit(claims.as_object_mut().unwrap());
    sdjwt::issue(signer, claims, &[], &mut OsSalts).unwrap()
}

fn astana_hours() -> String {
    issued_by(&astana(), |_| {})
}

// =============================================================================================
// A. Transport: QR text, base45, DEFLATE, size
// =============================================================================================

#[test]
fn reject_a1_oversized_qr_text() {
    let prefix = envelope::PREFIX;
    let over = format!("{prefix}{}", "0".repeat(MAX_QR_TEXT + 1 - prefix.len()));
    assert_eq!(over.len(), MAX_QR_TEXT + 1);
    let v = check(&over);
    assert_code(
        &v,
        Code::PayloadTooLarge,
        "QR text one character over the cap",
    );
    assert!(v.errors[0].detail.as_deref().unwrap().contains("4296"));
    // At the cap the text is decoded, and refused for what it is rather than for its size.
    let at = &over[..MAX_QR_TEXT];
    assert_code(&check(at), Code::MalformedEnvelope, "QR text at the cap");
    // Anything above the token cap is refused before even looking at its kind.
    reject(
        &"A".repeat(MAX_TOKEN + 1),
        Code::PayloadTooLarge,
        "64 KiB of text",
    );
    let big_token = format!("eyJ{}", "A".repeat(MAX_TOKEN));
    reject(&big_token, Code::PayloadTooLarge, "raw token over 64 KiB");
}

#[test]
fn reject_a2_deflate_bomb_in_qr_text() {
    // 1,700 matches inflate to 438,601 bytes (the cap is 64 KiB) from 2.7 KB of body.
    let mut body = vec![0x01];
    body.extend(deflate_bomb(1_700));
    let text = qr(&body);
    assert!(text.len() <= MAX_QR_TEXT, "{}", text.len());
    let v = check(&text);
    assert_code(&v, Code::DecompressedTooLarge, "deflate bomb");
    assert!(v.errors[0].detail.as_deref().unwrap().contains("65536"));
}

#[test]
fn reject_a3_trailing_bytes_after_deflate_stream() {
    let s = Sample::standard().unwrap();
    let body = body_of(&s.qr_text);
    assert_eq!(body[0], 0x01, "the standard presentation is compressed");
    let mut trailing = body.clone();
    trailing.push(0);
    let v = vpass_verifier::verify(&qr(&trailing), &s.store, &s.policy);
    assert_code(&v, Code::MalformedEnvelope, "one byte after the stream");
    // Control: the untouched body verifies.
    assert_valid(
        &vpass_verifier::verify(&qr(&body), &s.store, &s.policy),
        "control",
    );
}

#[test]
fn reject_a3_concatenated_deflate_streams() {
    let s = Sample::standard().unwrap();
    let mut body = body_of(&s.qr_text);
    body.extend(stored_deflate(b"\x00\x00"));
    let v = vpass_verifier::verify(&qr(&body), &s.store, &s.policy);
    assert_code(&v, Code::MalformedEnvelope, "a second DEFLATE stream");
}

#[test]
fn reject_a4_zlib_wrapper_and_preset_dictionary_header() {
    let token = vc_jwt(&hours_claims());
    let (head, tail) = jws_head_tail(&token);
    let framed = |prefix: &[u8], suffix: &[u8]| {
        let mut body = vec![0x01];
        body.extend_from_slice(prefix);
        body.extend(stored_deflate(&head));
        body.extend_from_slice(suffix);
        body.extend_from_slice(&tail);
        qr(&body)
    };
    // Control: the documented framing (raw DEFLATE, here in stored blocks) decodes and
    // verifies, so each refusal below is caused by the framing alone.
    assert_valid(&check(&framed(&[], &[])), "raw DEFLATE");
    let adler = adler32(&head).to_be_bytes();
    reject(
        &framed(&[0x78, 0x01], &adler),
        Code::MalformedEnvelope,
        "zlib wrapper",
    );
    // FDICT set (0x78 0x20 passes the FCHECK), with the dictionary id after the header.
    reject(
        &framed(&[0x78, 0x20, 0xde, 0xad, 0xbe, 0xef], &adler),
        Code::MalformedEnvelope,
        "zlib with a preset dictionary",
    );
    // A gzip member instead of raw DEFLATE.
    let mut body = vec![0x01];
    body.extend(gzip(&stored_deflate(&head), &head));
    body.extend_from_slice(&tail);
    reject(&qr(&body), Code::MalformedEnvelope, "gzip member");
    // An undocumented body flag.
    let mut body = vec![0x02];
    body.extend_from_slice(&head);
    body.extend_from_slice(&tail);
    reject(&qr(&body), Code::MalformedEnvelope, "flag 2");
}

#[test]
fn reject_a5_invalid_base45() {
    let text = Sample::standard().unwrap().qr_text;
    let rest = text.strip_prefix(envelope::PREFIX).unwrap();
    let pad = if rest.len() % 3 == 0 { "A" } else { "AA" };
    for (bad, why) in [
        ("VP1:GGW".to_owned(), "triplet above 65535"),
        ("VP1:ZZ".to_owned(), "final pair above 255"),
        (format!("{text}{pad}"), "length 1 mod 3"),
        (format!("VP1:{}", rest.to_lowercase()), "lowercase"),
        (format!("VP1:{}=", &rest[..rest.len() - 1]), "'='"),
        (
            format!("VP1:{}\n{}", &rest[..3], &rest[3..]),
            "newline inside",
        ),
    ] {
        reject(&bad, Code::Base45Invalid, why);
    }
}

#[test]
fn reject_a6_unknown_or_missing_prefix() {
    let text = Sample::standard().unwrap().qr_text;
    let rest = text.strip_prefix(envelope::PREFIX).unwrap();
    for (bad, why) in [
        (format!("VP9:{rest}"), "VP9"),
        (format!("HC1:{rest}"), "HC1"),
        (format!("VP2:{rest}"), "VP2"),
        (rest.to_owned(), "no prefix"),
        (format!("VP1{rest}"), "no colon"),
    ] {
        reject(&bad, Code::UnsupportedVersion, why);
    }
}

// =============================================================================================
// B. JOSE/JWS parsing and header
// =============================================================================================

#[test]
fn reject_b1_alg_none_and_empty_signature() {
    let payload = hours_claims().to_string();
    let none = format!(
        "{}.{}.",
        b64::encode(r#"{"alg":"none","typ":"vc+jwt"}"#),
        b64::encode(&payload)
    );
    reject(&none, Code::AlgNotAllowed, "alg none as VC-JWT");
    reject(
        &format!("{none}~"),
        Code::AlgNotAllowed,
        "alg none as SD-JWT",
    );
    let qr_none = envelope::encode(&none).unwrap();
    reject(&qr_none, Code::AlgNotAllowed, "alg none in a QR code");
    // EdDSA claimed, signature stripped.
    let token = vc_jwt(&hours_claims());
    let (input, _) = token.rsplit_once('.').unwrap();
    reject(&format!("{input}."), Code::AlgNotAllowed, "empty signature");
}

#[test]
fn reject_b2_hs256_with_public_key_as_secret() {
    // The office's public key bytes, which every verifier has, used as the HMAC secret.
    let jwk = astana().public().to_jwk();
    let secret = b64::decode(jwk["x"].as_str().unwrap(), "x").unwrap();
    let input = format!(
        "{}.{}",
        b64::encode(r#"{"alg":"HS256","typ":"vc+jwt"}"#),
        b64::encode(hours_claims().to_string())
    );
    let mac = b64::encode(hmac_sha256(&secret, input.as_bytes()));
    reject(&format!("{input}.{mac}"), Code::AlgNotAllowed, "HS256");
    reject(
        &format!("{input}.{mac}~"),
        Code::AlgNotAllowed,
        "HS256 SD-JWT",
    );
}

#[test]
fn reject_b3_alg_key_mismatch() {
    // A P-256 key signs with ES256 under the Astana kid: the key comes from the trust list
    // entry (Ed25519), never from the header, and does not fit the header's alg.
    let w = World::new("b3");
    let p256 = SigningKey::generate_p256().with_kid(format!("{ASTANA}#k1"));
    let v = w.verify(&issued_by(&p256, |_| {}));
    assert_code(&v, Code::AlgKeyMismatch, "ES256 under an Ed25519 kid");
    // Deliberate: the fully-specified `Ed25519` alg name is not in our allow-list at all
    // (only `EdDSA`), so it is refused as ALG_NOT_ALLOWED rather than as a mismatch.
    let token = raw_jws(
        &astana(),
        &format!(r#"{{"alg":"Ed25519","typ":"vc+jwt","kid":"{ASTANA}#k1"}}"#),
        hours_claims().to_string().as_bytes(),
    );
    reject(&token, Code::AlgNotAllowed, "alg Ed25519");
    // An X25519 key can never become a verification key: the trust list is refused.
    let mut list = trust_list();
    list.offices[0].keys[0].jwk = json!({"kty": "OKP", "crv": "X25519",
        "x": b64::encode([9u8; 32])});
    w.write_list(&root(), &list);
    assert_code(
        &w.verify(&astana_hours()),
        Code::KeyInvalid,
        "X25519 office key",
    );
}

#[test]
fn reject_b4_embedded_jwk_header() {
    // A self-signed credential: the attacker's own key in the header.
    let attacker = stranger();
    let header = format!(
        r#"{{"alg":"EdDSA","typ":"vc+jwt","jwk":{}}}"#,
        attacker.public().to_jwk()
    );
    let token = raw_jws(&attacker, &header, hours_claims().to_string().as_bytes());
    reject(&token, Code::HeaderNotAllowed, "jwk header");
    let sd_header = header.replace("vc+jwt", "dc+sd-jwt");
    let sd = raw_jws(&attacker, &sd_header, hours_claims().to_string().as_bytes());
    reject(
        &format!("{sd}~"),
        Code::HeaderNotAllowed,
        "jwk header SD-JWT",
    );
}

#[test]
fn reject_b5_jku_and_x5u_headers() {
    for member in ["jku", "x5u"] {
        let header = format!(r#"{{"alg":"EdDSA","typ":"vc+jwt","{member}":"https://evil/k"}}"#);
        let token = raw_jws(&astana(), &header, hours_claims().to_string().as_bytes());
        reject(&token, Code::HeaderNotAllowed, member);
    }
}

#[test]
fn reject_b6_kid_injection() {
    let w = World::new("b6");
    for kid in [
        "../../dev/null".to_owned(),
        "' OR 1=1--".to_owned(),
        format!("{ASTANA}#k1/../k1"),
        format!("{ASTANA}#K1"),
    ] {
        let signer = SigningKey::from_seed(&[2; 32]).with_kid(kid.clone());
        let v = w.verify(&issued_by(&signer, |_| {}));
        assert_code(&v, Code::UnknownKid, &kid);
    }
    // A 10 KB kid is refused by the header parser (cap 256), with or without a trust list.
    let signer = SigningKey::from_seed(&[2; 32]).with_kid("k".repeat(10_000));
    let token = issued_by(&signer, |_| {});
    assert_code(&w.verify(&token), Code::UnknownKid, "10 KB kid");
    reject(&token, Code::UnknownKid, "10 KB kid, keys store");
}

#[test]
fn reject_b7_x5c_header() {
    let header = r#"{"alg":"EdDSA","typ":"vc+jwt","x5c":["MIIBszCCAVmgAwIBAgIUU"]}"#;
    let token = raw_jws(&astana(), header, hours_claims().to_string().as_bytes());
    reject(&token, Code::HeaderNotAllowed, "x5c");
}

#[test]
fn reject_b8_crit_unknown_extension() {
    let header = r#"{"alg":"EdDSA","typ":"vc+jwt","crit":["vpass-x"],"vpass-x":1}"#;
    let token = raw_jws(&astana(), header, hours_claims().to_string().as_bytes());
    reject(&token, Code::CritUnsupported, "crit in the issuer JWS");
    // In the KB-JWT too.
    let issued = sd_jwt(&hours_claims(), &[]);
    let kb_header = r#"{"alg":"EdDSA","typ":"kb+jwt","crit":["vpass-x"],"vpass-x":1}"#;
    let kb_payload = json!({"iat": NOW - 10, "aud": AUD, "nonce": NONCE,
        "sd_hash": digest(&issued)});
    let kb = raw_jws(&holder(), kb_header, kb_payload.to_string().as_bytes());
    let v = check_with(&format!("{issued}{kb}"), &kb_policy());
    assert_code(&v, Code::CritUnsupported, "crit in the KB-JWT");
}

#[test]
fn reject_b9_unencoded_payload_b64_false() {
    let claims = hours_claims().to_string();
    let with_crit = r#"{"alg":"EdDSA","typ":"vc+jwt","b64":false,"crit":["b64"]}"#;
    let token = raw_jws(&astana(), with_crit, claims.as_bytes());
    reject(&token, Code::CritUnsupported, "b64 false with crit");
    let without_crit = r#"{"alg":"EdDSA","typ":"vc+jwt","b64":false}"#;
    let token = raw_jws(&astana(), without_crit, claims.as_bytes());
    reject(&token, Code::HeaderNotAllowed, "b64 false without crit");
}

#[test]
fn reject_b10_cross_jwt_confusion() {
    let claims = hours_claims();
    // Office-signed JWTs of other kinds, shown as a credential.
    for typ in ["kb+jwt", "vpass-trustlist+jwt", "dc+sd-jwt", "JWT"] {
        let token = jose::sign_json(&astana(), Some(typ), &claims);
        reject(&token, Code::WrongTyp, typ);
    }
    for typ in ["kb+jwt", "vc+jwt", "vpass-trustlist+jwt"] {
        let token = format!("{}~", jose::sign_json(&astana(), Some(typ), &claims));
        reject(&token, Code::WrongTyp, &format!("{typ} as SD-JWT"));
    }
    // The signed trust list itself, shown to a verifier that trusts the root key.
    let list = sign_trust_list(&root(), &trust_list());
    let store = TrustStore::with_keys(vec![root().public()]);
    let v = vpass_verifier::verify(&list, &store, &policy());
    assert_code(&v, Code::WrongTyp, "trust list as credential");
    // The reverse: a credential-typed JWT in the KB-JWT position.
    let issued = sd_jwt(&claims, &[]);
    let kb = kb_jwt(&holder(), Some("dc+sd-jwt"), &issued, NOW - 10);
    let v = check_with(&format!("{issued}{kb}"), &kb_policy());
    assert_code(&v, Code::WrongTyp, "credential typ as KB-JWT");
}

#[test]
fn reject_b11_duplicate_members() {
    let claims = hours_claims().to_string();
    let dup_header = r#"{"alg":"EdDSA","alg":"none","typ":"vc+jwt"}"#;
    reject(
        &raw_jws(&astana(), dup_header, claims.as_bytes()),
        Code::DuplicateMember,
        "alg twice",
    );
    for (name, value) in [("iss", r#""did:web:evil""#), ("exp", "1")] {
        // `{"iss":…,` → `{"iss":…,"iss":…,` (the second member would win in serde_json).
        let dup = claims.replacen('{', &format!(r#"{{"{name}":{value},"#), 1);
        let token = raw_jws(&astana(), &header("vc+jwt"), dup.as_bytes());
        reject(&token, Code::DuplicateMember, name);
        let sd = raw_jws(&astana(), &header("dc+sd-jwt"), dup.as_bytes());
        reject(&format!("{sd}~"), Code::DuplicateMember, name);
    }
    // Inside a disclosure.
    let d = b64::encode(r#"["s1","nickname",{"a":1,"a":2}]"#);
    let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&d]);
    reject(&token, Code::DuplicateMember, "disclosure");
}

#[test]
fn reject_b12_non_canonical_base64url() {
    // A payload whose base64url has unused bits (its length is not a multiple of 3).
    let token = (0..3)
        .map(|n| {
            vc_jwt(&hours_with(|c| {
                _ = c.insert("pad".into(), "x".repeat(n).into())
            }))
        })
        .find(|t| t.split('.').nth(1).unwrap().len() % 4 != 0)
        .unwrap();
    let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
    assert_valid(&check(&token), "control");
    let plus = format!("+{}", &s[1..]);
    let slash = format!("{}/{}", &s[..1], &s[2..]);
    for (bad, why) in [
        (format!("{h}=.{p}.{s}"), "padding on the header"),
        (format!("{h}.{p}.{s}=="), "padding on the signature"),
        (format!("{h}.{p}.{plus}"), "'+'"),
        (format!("{h}.{p}.{slash}"), "'/'"),
        (format!("{h}.{p} .{s}"), "space"),
        (format!("{h}.{}\n{}.{s}", &p[..8], &p[8..]), "newline"),
        (
            format!("{h}.{p}.{}", with_trailing_bit(s)),
            "trailing bits (sig)",
        ),
        (
            format!("{h}.{}.{s}", with_trailing_bit(p)),
            "trailing bits (payload)",
        ),
    ] {
        reject(&bad, Code::Base64Invalid, why);
    }
    // A disclosure whose text is not canonical is refused as a malformed disclosure (D7):
    // its digest could not be the one the issuer signed anyway.
    let d = (1..4)
        .map(|n| disclosure(json!(["s".repeat(n), "nickname", "Aika"])))
        .find(|d| d.len() % 4 != 0)
        .unwrap();
    let bad = with_trailing_bit(&d);
    assert_ne!(bad, d);
    let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&bad]);
    reject(
        &token,
        Code::SdMalformedDisclosure,
        "non-canonical disclosure",
    );
}

#[test]
fn reject_b13_json_depth_bomb() {
    let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    // The hours claims with a member `a` of `n` nested arrays (the object is one level more).
    let claims = hours_claims().to_string();
    let deep = |n: usize| claims.replacen('{', &format!(r#"{{"a":{},"#, nest(n)), 1);
    // In the payload: 65 levels in all, and 20,001.
    for depth in [64, 20_000] {
        let payload = deep(depth);
        let token = raw_jws(&astana(), &header("vc+jwt"), payload.as_bytes());
        reject(&token, Code::JsonTooDeep, "payload");
        let sd = raw_jws(&astana(), &header("dc+sd-jwt"), payload.as_bytes());
        reject(&format!("{sd}~"), Code::JsonTooDeep, "SD-JWT payload");
    }
    let token = raw_jws(&astana(), &header("vc+jwt"), deep(63).as_bytes());
    assert_valid(&check(&token), "64 levels");
    // In the header.
    let deep_header = format!(r#"{{"alg":"EdDSA","typ":"vc+jwt","x":{}}}"#, nest(100));
    let token = raw_jws(&astana(), &deep_header, b"{}");
    reject(&token, Code::JsonTooDeep, "header");
    // In a disclosure.
    let d = b64::encode(format!(r#"["s1","nickname",{}]"#, nest(10_000)));
    let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&d]);
    reject(&token, Code::JsonTooDeep, "disclosure");
    // Deliberate: 100k levels exceed the size caps before depth is looked at.
    let payload = format!(r#"{{"a":{}}}"#, nest(100_000));
    let token = raw_jws(&astana(), &header("vc+jwt"), payload.as_bytes());
    reject(&token, Code::PayloadTooLarge, "100k levels");
}

#[test]
fn reject_b14_numeric_date_abuse() {
    let claims = hours_claims().to_string();
    let exp = format!(r#""exp":{}"#, hours_claims()["exp"]);
    for (value, code) in [
        ("-1", Code::InvalidClaim),
        ("1.5", Code::InvalidClaim),
        ("1893456000.0", Code::InvalidClaim),
        ("1.8934560e9", Code::InvalidClaim),
        ("9223372036854775808", Code::InvalidClaim),
        ("253402300800", Code::InvalidClaim),
        (r#""1893456000""#, Code::InvalidClaim),
        ("null", Code::InvalidClaim),
        // Deliberate: 1e400 is not a finite double, so the payload is not I-JSON (RFC 7493
        // §2.2) and the strict JSON reader refuses it before any claim is read.
        ("1e400", Code::JsonInvalid),
    ] {
        let edited = claims.replace(&exp, &format!(r#""exp":{value}"#));
        assert_ne!(edited, claims);
        let token = raw_jws(&astana(), &header("vc+jwt"), edited.as_bytes());
        reject(&token, code, value);
        let sd = raw_jws(&astana(), &header("dc+sd-jwt"), edited.as_bytes());
        reject(&format!("{sd}~"), code, value);
    }
    // `iat` and `nbf` are read the same way.
    for name in ["iat", "nbf"] {
        let token = vc_jwt(&hours_with(|c| {
            c.insert(name.into(), json!("1780000000"));
        }));
        reject(&token, Code::InvalidClaim, name);
    }
}

#[test]
fn reject_b15_invalid_utf8_surrogate_overlong_bom() {
    let claims = hours_claims().to_string();
    let with_name = |bytes: &[u8]| {
        let mut p = br#"{"nickname":""#.to_vec();
        p.extend_from_slice(bytes);
        p.extend_from_slice(b"\",");
        p.extend_from_slice(&claims.as_bytes()[1..]);
        p
    };
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(claims.as_bytes());
    for (payload, why) in [
        (with_name(b"\xff"), "invalid UTF-8"),
        (with_name(br"\ud800"), "lone surrogate"),
        (with_name(b"\xc0\xaf"), "overlong encoding"),
        (with_name(b"\xed\xa0\x80"), "surrogate encoded in UTF-8"),
        (bom, "BOM"),
    ] {
        let token = raw_jws(&astana(), &header("vc+jwt"), &payload);
        reject(&token, Code::JsonInvalid, why);
        let sd = raw_jws(&astana(), &header("dc+sd-jwt"), &payload);
        reject(&format!("{sd}~"), Code::JsonInvalid, why);
    }
    let bad_header = r#"{"alg":"EdDSA","typ":"vc+jwt","kid":"\udc00"}"#;
    let token = raw_jws(&astana(), bad_header, claims.as_bytes());
    reject(&token, Code::JsonInvalid, "lone surrogate in the header");
}

#[test]
fn reject_b16_wrong_segment_count() {
    let token = vc_jwt(&hours_claims());
    let (h, rest) = token.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    for (bad, why) in [
        (format!("{h}.{p}"), "two segments"),
        (format!("{h}.{p}.{s}.{s}"), "four segments"),
        (format!("{h}.{p}.{s}.{p}.{s}"), "five segments (JWE-like)"),
        (h.to_owned(), "one segment"),
    ] {
        reject(&bad, Code::MalformedJws, why);
    }
    reject(
        &format!("{h}.{p}~"),
        Code::MalformedJws,
        "two-segment SD-JWT",
    );
}

#[test]
fn reject_b17_signature_wrong_length() {
    let token = vc_jwt(&hours_claims());
    let (input, s) = token.rsplit_once('.').unwrap();
    let sig = b64::decode(s, "sig").unwrap();
    let mut long = sig.clone();
    long.push(0);
    for (bad, why) in [
        (b64::encode(&sig[..63]), "63 bytes"),
        (b64::encode(&long), "65 bytes"),
        (b64::encode(&sig[..32]), "truncated to 32 bytes"),
        (b64::encode([0u8; 64]), "all zero"),
    ] {
        let t = format!("{input}.{bad}");
        reject(&t, Code::SignatureInvalid, why);
        // The envelope carries a wrong-length signature as is; the JWS check refuses it.
        reject(&envelope::encode(&t).unwrap(), Code::SignatureInvalid, why);
    }
}

// =============================================================================================
// C. Ed25519
// =============================================================================================

/// L, the order of the Ed25519 base point, little-endian (RFC 8032 §5.1).
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// A VC-JWT by Astana with its signature replaced by `edit(signature)`.
fn with_signature(edit: impl FnOnce(&mut [u8; 64])) -> String {
    let token = vc_jwt(&hours_claims());
    let (input, s) = token.rsplit_once('.').unwrap();
    let mut sig: [u8; 64] = b64::decode(s, "sig").unwrap().try_into().unwrap();
    edit(&mut sig);
    format!("{input}.{}", b64::encode(sig))
}

#[test]
fn reject_c1_malleable_signature_s_plus_l() {
    let token = with_signature(|sig| {
        let mut carry = 0u16;
        for (s, l) in sig[32..].iter_mut().zip(L) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "S + L < 2^256");
    });
    reject(&token, Code::SignatureInvalid, "S + L");
}

/// p = 2^255 − 19, little-endian: the encoding of y = p, a non-canonical y = 0.
fn p_bytes() -> [u8; 32] {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
}

#[test]
fn reject_c2_non_canonical_r_and_public_key() {
    for (r, why) in [
        (p_bytes(), "R with y = p"),
        ([0xff; 32], "R with y = 2^255 - 1 and the sign bit"),
        (
            {
                let mut r = [0u8; 32];
                r[0] = 1;
                r[31] = 0x80;
                r
            },
            "R = identity with the sign bit set on x = 0",
        ),
    ] {
        let token = with_signature(|sig| sig[..32].copy_from_slice(&r));
        reject(&token, Code::SignatureInvalid, why);
    }
    // Non-canonical A: in the trust list (KEY_INVALID) and as the holder key (KB_KEY_INVALID).
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(p_bytes())});
    let w = World::new("c2");
    let mut list = trust_list();
    list.offices[0].keys[0].jwk = jwk.clone();
    w.write_list(&root(), &list);
    assert_code(&w.verify(&astana_hours()), Code::KeyInvalid, "office key");
    let token = sd_jwt(
        &hours_with(|c| _ = c.insert("cnf".into(), json!({"jwk": jwk}))),
        &[],
    );
    reject(&token, Code::KbKeyInvalid, "cnf key");
}

#[test]
fn reject_c3_small_order_keys() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut minus_one = p_bytes(); // y = −1: the point of order 2
    minus_one[0] = 0xec;
    for (x, why) in [(identity, "identity"), (minus_one, "order 2")] {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(x)});
        let w = World::new(&format!("c3-{}", x[0]));
        let mut list = trust_list();
        list.offices[0].keys[0].jwk = jwk.clone();
        w.write_list(&root(), &list);
        assert_code(&w.verify(&astana_hours()), Code::KeyInvalid, why);
        let claims = hours_with(|c| _ = c.insert("cnf".into(), json!({"jwk": jwk})));
        let issued = sd_jwt(&claims, &[]);
        reject(&issued, Code::KbKeyInvalid, why);
        let v = check_with(&with_kb(&issued), &kb_policy());
        assert_code(&v, Code::KbKeyInvalid, why);
    }
}

#[test]
fn reject_c4_small_order_r_with_zero_s() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut minus_one = p_bytes();
    minus_one[0] = 0xec;
    for r in [identity, minus_one] {
        let token = with_signature(|sig| {
            sig[..32].copy_from_slice(&r);
            sig[32..].fill(0);
        });
        reject(&token, Code::SignatureInvalid, "small-order R, S = 0");
    }
}

#[test]
fn reject_c5_private_key_with_foreign_public_half() {
    // Signing takes one key-pair value (`Signer`); there is no (secret, public) pair to
    // mismatch. The one place a secret and a public half arrive together, a private JWK, is
    // refused when they do not belong together.
    let dir = std::env::temp_dir().join(format!("vpass-attacks-c5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("office.jwk");
    let mut jwk = astana().to_private_jwk();
    jwk["x"] = stranger().public().to_jwk()["x"].clone();
    std::fs::write(&path, jwk.to_string()).unwrap();
    let e = TrustStore::parse_key_arg(path.to_str().unwrap()).unwrap_err();
    assert!(
        matches!(&e, StoreError::BadKey(e) if e.code() == Code::KeyInvalid),
        "{e:?}"
    );
    std::fs::write(&path, astana().to_private_jwk().to_string()).unwrap();
    assert_eq!(
        TrustStore::parse_key_arg(path.to_str().unwrap()).unwrap(),
        astana().public()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// =============================================================================================
// D. SD-JWT disclosure processing (RFC 9901 §7.1)
// =============================================================================================

fn nickname() -> String {
    disclosure(json!(["s-nick", "nickname", "Aika"]))
}

#[test]
fn reject_d1_disclosure_sent_twice() {
    let d = nickname();
    let claims = with_sd(hours_claims(), &[digest(&d)]);
    assert_valid(&check(&sd_jwt(&claims, &[&d])), "control");
    let twice = sd_jwt(&claims, &[&d, &d]);
    reject(&twice, Code::SdDuplicateDigest, "twice");
    // With a fresh KB-JWT over the doubled list, and through a QR code.
    let v = check_with(&with_kb(&twice), &kb_policy());
    assert_code(&v, Code::SdDuplicateDigest, "twice, KB");
    let qr_text = envelope::encode(&with_kb(&twice)).unwrap();
    assert_code(
        &check_with(&qr_text, &kb_policy()),
        Code::SdDuplicateDigest,
        "QR",
    );
}

#[test]
fn reject_d2_unreferenced_disclosure() {
    let d = nickname();
    let claims = with_sd(hours_claims(), &[digest(&d)]);
    // A smuggled claim no digest refers to, at the end or in front.
    let smuggled = disclosure(json!(["s-x", "hours", 5000]));
    reject(
        &sd_jwt(&claims, &[&d, &smuggled]),
        Code::SdUnreferencedDisclosure,
        "after",
    );
    reject(
        &sd_jwt(&claims, &[&smuggled, &d]),
        Code::SdUnreferencedDisclosure,
        "before",
    );
    let v = check_with(&with_kb(&sd_jwt(&claims, &[&d, &smuggled])), &kb_policy());
    assert_code(&v, Code::SdUnreferencedDisclosure, "with KB");
}

#[test]
fn reject_d3_digest_repeated_in_payload() {
    let d = nickname();
    let twice = with_sd(hours_claims(), &[digest(&d), digest(&d)]);
    reject(
        &sd_jwt(&twice, &[&d]),
        Code::SdDuplicateDigest,
        "twice in _sd",
    );
    // In `_sd` and as an array element.
    let mut claims = with_sd(hours_claims(), &[digest(&d)]);
    claims["languages"] = json!([{"...": digest(&d)}]);
    reject(
        &sd_jwt(&claims, &[&d]),
        Code::SdDuplicateDigest,
        "_sd and ...",
    );
    // Even when no disclosure is sent for it (a repeated decoy).
    reject(
        &sd_jwt(&twice, &[]),
        Code::SdDuplicateDigest,
        "no disclosure",
    );
    // In two different objects.
    let mut claims = with_sd(hours_claims(), &[digest(&d)]);
    claims["credentialSubject"]["_sd"] = json!([digest(&d)]);
    reject(
        &sd_jwt(&claims, &[&d]),
        Code::SdDuplicateDigest,
        "two levels",
    );
}

#[test]
fn reject_d4_reserved_claim_name() {
    for name in ["_sd", "..."] {
        let d = disclosure(json!(["s1", name, ["x"]]));
        let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&d]);
        reject(&token, Code::SdReservedName, name);
    }
}

#[test]
fn reject_d5_disclosure_overrides_clear_claim() {
    for (name, value) in [
        ("iss", json!("did:web:evil.example")),
        ("exp", json!(4_000_000_000_i64)),
        (
            "type",
            json!(["VerifiableCredential", "VolunteerAwardCredential"]),
        ),
    ] {
        let d = disclosure(json!(["s1", name, value]));
        let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&d]);
        reject(&token, Code::SdClaimExists, name);
    }
    // Nested: `hours` is in the clear in credentialSubject.
    let d = disclosure(json!(["s1", "hours", 5000]));
    let mut claims = with_sd(hours_claims(), &[]);
    claims["credentialSubject"]["_sd"] = json!([digest(&d)]);
    reject(&sd_jwt(&claims, &[&d]), Code::SdClaimExists, "hours");
}

#[test]
fn reject_d6_disclosure_kind_confusion() {
    // An array-element disclosure (2 elements) referenced from `_sd`.
    let element = disclosure(json!(["s1", "kk"]));
    let token = sd_jwt(&with_sd(hours_claims(), &[digest(&element)]), &[&element]);
    reject(&token, Code::SdMalformedDisclosure, "2 elements from _sd");
    // An object-member disclosure (3 elements) referenced from `{"...": …}`.
    let member = nickname();
    let mut claims = with_sd(hours_claims(), &[]);
    claims["languages"] = json!([{"...": digest(&member)}]);
    reject(
        &sd_jwt(&claims, &[&member]),
        Code::SdMalformedDisclosure,
        "3 elements from ...",
    );
    // Control: each kind where it belongs.
    claims["languages"] = json!([{"...": digest(&element)}]);
    let claims = with_sd(claims, &[digest(&member)]);
    let v = check(&sd_jwt(&claims, &[&element, &member]));
    assert_valid(&v, "control");
    assert_eq!(v.claims["languages"], json!(["kk"]));
}

#[test]
fn reject_d7_malformed_disclosures() {
    for (d, why) in [
        ("!!not-base64url!!".to_owned(), "not base64url"),
        (disclosure(json!({"s": "s1", "nickname": "Aika"})), "object"),
        (disclosure(json!("s1")), "string"),
        (
            disclosure(json!([1, "nickname", "Aika"])),
            "salt not a string",
        ),
        (disclosure(json!(["s1", 7, "Aika"])), "name not a string"),
        (
            disclosure(json!(["s1", "nickname", "Aika", 4])),
            "4 elements",
        ),
        (disclosure(json!(["s1"])), "1 element"),
        (disclosure(json!([])), "empty"),
    ] {
        let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&d]);
        reject(&token, Code::SdMalformedDisclosure, why);
    }
    // Bytes that are not JSON at all are refused by the strict JSON reader with its code,
    // as for every other untrusted JSON.
    let d = b64::encode("not json");
    let token = sd_jwt(&with_sd(hours_claims(), &[digest(&d)]), &[&d]);
    reject(&token, Code::JsonInvalid, "not JSON");
}

#[test]
fn reject_d8_security_claims_from_disclosures() {
    let claims = hours_claims();
    for name in [
        "iss",
        "nbf",
        "exp",
        "cnf",
        "vct",
        "status",
        "credentialStatus",
    ] {
        let value = claims
            .get(name)
            .cloned()
            .unwrap_or(json!({"idx": 1, "uri": LIST_URL}));
        let d = disclosure(json!(["s1", name, value]));
        let mut hidden = with_sd(claims.clone(), &[digest(&d)]);
        hidden.as_object_mut().unwrap().remove(name);
        reject(&sd_jwt(&hidden, &[&d]), Code::SdForbiddenSdClaim, name);
    }
    // Deliberate: `iat` (and `sub`) may be selectively disclosable, as SD-JWT VC allows; the
    // validity window is `nbf`/`exp`, which stay in the clear.
    let d = disclosure(json!(["s1", "iat", ISSUED]));
    let mut hidden = with_sd(claims, &[digest(&d)]);
    hidden.as_object_mut().unwrap().remove("iat");
    assert_valid(&check(&sd_jwt(&hidden, &[&d])), "iat disclosed");
    assert_valid(&check(&sd_jwt(&hidden, &[])), "iat withheld");
}

#[test]
fn reject_d9_sd_alg_not_allowed() {
    let d = nickname();
    for alg in [
        json!("sha-1"),
        json!("md5"),
        json!("none"),
        json!("SHA-256"),
        json!("sha-512"),
        json!(256),
        json!(null),
    ] {
        let mut claims = with_sd(hours_claims(), &[digest(&d)]);
        claims["_sd_alg"] = alg.clone();
        reject(
            &sd_jwt(&claims, &[&d]),
            Code::SdAlgNotAllowed,
            &alg.to_string(),
        );
    }
    // Absent means sha-256.
    let mut claims = with_sd(hours_claims(), &[digest(&d)]);
    claims.as_object_mut().unwrap().remove("_sd_alg");
    assert_valid(&check(&sd_jwt(&claims, &[&d])), "absent _sd_alg");
}

/// A change to a payload.
type Edit<'a> = Box<dyn Fn(&mut Value) + 'a>;

#[test]
fn reject_d10_malformed_sd() {
    let d = nickname();
    let cases: [(&str, Edit<'_>); 6] = [
        ("_sd a string", Box::new(|c| c["_sd"] = json!(digest(&d)))),
        (
            "_sd an object",
            Box::new(|c| c["_sd"] = json!({"d": digest(&d)})),
        ),
        (
            "_sd with a number",
            Box::new(|c| c["_sd"] = json!([digest(&d), 7])),
        ),
        (
            "_sd_alg nested",
            Box::new(|c| c["credentialSubject"]["_sd_alg"] = json!("sha-256")),
        ),
        (
            "... not a string",
            Box::new(|c| c["languages"] = json!([{"...": 7}])),
        ),
        (
            "... with another member",
            Box::new(|c| c["languages"] = json!([{"...": digest("other"), "x": 1}])),
        ),
    ];
    for (why, edit) in cases {
        let mut claims = with_sd(hours_claims(), &[digest(&d)]);
        edit(&mut claims);
        reject(&sd_jwt(&claims, &[&d]), Code::SdMalformed, why);
    }
}

#[test]
fn accept_d11_decoys() {
    let d = nickname();
    let decoy = |i: u8| b64::encode(sha256(&[i; 7]));
    let mut claims = with_sd(hours_claims(), &[decoy(1), digest(&d), decoy(2)]);
    claims["credentialSubject"]["_sd"] = json!([decoy(3)]);
    claims["languages"] = json!(["kk", {"...": decoy(4)}, "ru"]);
    for token in [sd_jwt(&claims, &[&d]), with_kb(&sd_jwt(&claims, &[&d]))] {
        let v = check_with(&token, &kb_policy());
        assert_valid(&v, "decoys");
        assert_eq!(v.claims["nickname"], "Aika");
        assert_eq!(v.claims["languages"], json!(["kk", "ru"]));
        assert!(v.claims["credentialSubject"].get("_sd").is_none());
        assert_eq!(v.disclosed, ["nickname"]);
    }
    // Through a QR code too.
    let qr_text = envelope::encode(&with_kb(&sd_jwt(&claims, &[&d]))).unwrap();
    assert_valid(&check_with(&qr_text, &kb_policy()), "decoys in QR");
}

#[test]
fn reject_d12_too_many_disclosures_or_too_deep() {
    let many: Vec<String> = (0..257)
        .map(|i| disclosure(json!([format!("s{i}"), format!("c{i}"), i])))
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let digests: Vec<String> = many.iter().map(|d| digest(d)).collect();
    let claims = with_sd(hours_claims(), &digests[..256]);
    assert_valid(&check(&sd_jwt(&claims, &refs[..256])), "256 disclosures");
    let claims = with_sd(hours_claims(), &digests);
    reject(&sd_jwt(&claims, &refs), Code::SdTooMany, "257 disclosures");
    // 10,000 `~`: refused before any disclosure is parsed.
    let tildes = format!("{}{}", sd_jwt(&hours_claims(), &[]), "A~".repeat(10_000));
    reject(&tildes, Code::SdTooMany, "10k disclosures");
    // Recursive disclosures, 16 levels verify, 17 do not.
    let nested = |levels: usize| {
        let (mut discs, mut value) = (Vec::new(), json!("leaf"));
        for i in 0..levels {
            let d = disclosure(json!([format!("s{i}"), "deep", value]));
            value = json!({"_sd": [digest(&d)]});
            discs.push(d);
        }
        let claims = with_sd(hours_claims(), &[value["_sd"][0].as_str().unwrap().into()]);
        let refs: Vec<&str> = discs.iter().map(String::as_str).collect();
        sd_jwt(&claims, &refs)
    };
    assert_valid(&check(&nested(16)), "16 levels");
    reject(&nested(17), Code::SdTooMany, "17 levels");
}

#[test]
fn reject_d13_presentation_framing() {
    let d = nickname();
    let claims = with_sd(hours_claims(), &[digest(&d)]);
    let issued = sd_jwt(&claims, &[&d]);
    let jws = issued.split('~').next().unwrap();
    for (bad, why) in [
        (format!("{jws}~~"), "empty disclosure"),
        (format!("{jws}~~{d}~"), "empty disclosure before another"),
        (format!("{jws}~{d}"), "no trailing ~"),
        (format!("{jws}~{d}~abc.def"), "KB-JWT of two segments"),
    ] {
        reject(&bad, Code::SdFormat, why);
    }
}

#[test]
fn reject_d14_non_canonical_disclosure_variant() {
    // The issuer signed the digest of this exact text.
    let exact = b64::encode(r#"["s1","nickname","Aika"]"#);
    let claims = with_sd(hours_claims(), &[digest(&exact)]);
    assert_valid(&check(&sd_jwt(&claims, &[&exact])), "exact text");
    // Equivalent JSON, other text: other digest, so it references nothing.
    for variant in [
        r#"["s1", "nickname", "Aika"]"#,
        r#"["s1","nickname","Ai\u006ba"]"#,
        "[\"s1\",\"nickname\",\"Aika\"]\n",
    ] {
        let token = sd_jwt(&claims, &[&b64::encode(variant)]);
        reject(&token, Code::SdUnreferencedDisclosure, variant);
    }
    // A spaced variant is accepted only if that is the text the issuer hashed.
    let spaced = b64::encode(r#"["s1", "nickname", "Aika"]"#);
    let claims = with_sd(hours_claims(), &[digest(&spaced)]);
    assert_valid(&check(&sd_jwt(&claims, &[&spaced])), "spaced, as signed");
}

// =============================================================================================
// E. Key binding (KB-JWT)
// =============================================================================================

#[test]
fn reject_e1_kb_stripped_when_required() {
    let s = Sample::standard().unwrap();
    let mut p = s.policy.clone();
    p.require_key_binding = true;
    assert_valid(&vpass_verifier::verify(&s.qr_text, &s.store, &p), "control");
    for input in [&s.qr_text_no_kb, &s.presentation_no_kb] {
        let v = vpass_verifier::verify(input, &s.store, &p);
        assert_code(&v, Code::KbRequired, "stripped");
    }
    // A VC-JWT cannot carry key binding at all.
    let mut p = policy();
    p.require_key_binding = true;
    assert_code(
        &check_with(&vc_jwt(&hours_claims()), &p),
        Code::KbRequired,
        "VC-JWT",
    );
}

#[test]
fn reject_e2_kb_signed_by_another_key() {
    let issued = sd_jwt(&hours_claims(), &[]);
    let kb = kb_jwt(&stranger(), Some("kb+jwt"), &issued, NOW - 10);
    let v = check_with(&format!("{issued}{kb}"), &kb_policy());
    assert_code(&v, Code::KbSignatureInvalid, "other Ed25519 key");
    // The issuer's own key is not the holder's either.
    let kb = kb_jwt(&astana(), Some("kb+jwt"), &issued, NOW - 10);
    let v = check_with(&format!("{issued}{kb}"), &kb_policy());
    assert_code(&v, Code::KbSignatureInvalid, "issuer key");
    // Deliberate: a key of another type (P-256 for an Ed25519 `cnf`) is the more specific
    // ALG_KEY_MISMATCH.
    let kb = kb_jwt(
        &SigningKey::generate_p256(),
        Some("kb+jwt"),
        &issued,
        NOW - 10,
    );
    let v = check_with(&format!("{issued}{kb}"), &kb_policy());
    assert_code(&v, Code::AlgKeyMismatch, "P-256 key");
}

#[test]
fn reject_e3_kb_wrong_typ_or_alg() {
    let issued = sd_jwt(&hours_claims(), &[]);
    for typ in [Some("JWT"), Some("dc+sd-jwt"), None] {
        let kb = kb_jwt(&holder(), typ, &issued, NOW - 10);
        let v = check_with(&format!("{issued}{kb}"), &kb_policy());
        assert_code(&v, Code::WrongTyp, &format!("{typ:?}"));
    }
    let payload = json!({"iat": NOW - 10, "aud": AUD, "nonce": NONCE, "sd_hash": digest(&issued)});
    let input = |alg: &str| {
        format!(
            "{}.{}",
            b64::encode(format!(r#"{{"alg":"{alg}","typ":"kb+jwt"}}"#)),
            b64::encode(payload.to_string())
        )
    };
    let none = format!("{}.", input("none"));
    let hs = input("HS256");
    let jwk = holder().public().to_jwk();
    let secret = b64::decode(jwk["x"].as_str().unwrap(), "x").unwrap();
    let hs = format!("{hs}.{}", b64::encode(hmac_sha256(&secret, hs.as_bytes())));
    for (kb, why) in [(none, "alg none"), (hs, "HS256 with the cnf key as secret")] {
        let v = check_with(&format!("{issued}{kb}"), &kb_policy());
        assert_code(&v, Code::AlgNotAllowed, why);
    }
}

#[test]
fn reject_e4_sd_hash_mismatch() {
    let s = Sample::standard().unwrap();
    let verify = |text: &str| vpass_verifier::verify(text, &s.store, &s.policy);
    let region = disclosure_named(&s.issued, "region");
    // A disclosure added after the holder signed.
    let (jws, kb) = s.presentation.split_once('~').unwrap();
    let added = format!("{jws}~{region}~{kb}");
    assert_code(&verify(&added), Code::KbSdHashMismatch, "added");
    assert_code(
        &verify(&envelope::encode(&added).unwrap()),
        Code::KbSdHashMismatch,
        "added, QR",
    );
    // A disclosure removed after the holder signed.
    let kb_params = KbParams {
        key: &s.holder,
        aud: vpass_verifier::sample::AUD,
        nonce: vpass_verifier::sample::NONCE,
        iat: s.policy.now,
    };
    let shown = sdjwt::present_names(&s.issued, &["region"], Some(&kb_params)).unwrap();
    assert_valid(&verify(&shown), "control");
    let removed = shown.replace(&format!("~{region}~"), "~");
    assert_code(&verify(&removed), Code::KbSdHashMismatch, "removed");
}

#[test]
fn reject_e5_kb_for_another_audience() {
    let s = Sample::standard().unwrap();
    let mut p = s.policy.clone();
    p.aud = Some("https://other-employer.example".into());
    let v = vpass_verifier::verify(&s.qr_text, &s.store, &p);
    assert_code(&v, Code::KbAudMismatch, "relayed to another verifier");
}

#[test]
fn reject_e6_kb_with_another_nonce() {
    // Deliberate: the offline verifier does not keep a replay cache (it is a stateless
    // library and CLI); it shows a fresh nonce and checks it, so a QR code made for an
    // earlier nonce (a replay) is refused here. A service wrapping the verifier may add a
    // cache keyed by `sd_hash` within the KB window.
    let s = Sample::standard().unwrap();
    let mut p = s.policy.clone();
    p.nonce = Some("n-fresh-for-this-visit".into());
    let v = vpass_verifier::verify(&s.qr_text, &s.store, &p);
    assert_code(&v, Code::KbNonceMismatch, "replayed");
}

#[test]
fn reject_e7_stale_or_future_kb_iat() {
    let s = Sample::standard().unwrap();
    let iat = s.policy.now.0; // the sample's KB-JWT is made at the policy's time
    let at = |now: i64| {
        let mut p = s.policy.clone();
        p.now = UnixTime(now);
        vpass_verifier::verify(&s.qr_text, &s.store, &p)
    };
    let window = KB_MAX_AGE_SECS + CLOCK_SKEW_SECS;
    assert_valid(&at(iat + window), "oldest accepted");
    assert_code(&at(iat + window + 1), Code::KbStale, "one second too old");
    assert_valid(&at(iat - CLOCK_SKEW_SECS), "newest accepted");
    assert_code(
        &at(iat - CLOCK_SKEW_SECS - 1),
        Code::KbNotYetValid,
        "one second in the future",
    );
}

#[test]
fn reject_e8_kb_without_cnf() {
    let claims = hours_with(|c| _ = c.remove("cnf"));
    let v = check_with(&with_kb(&sd_jwt(&claims, &[])), &kb_policy());
    assert_code(&v, Code::KbNoCnf, "KB-JWT without cnf");
}

// =============================================================================================
// F. Credential validity and issuer authority
// =============================================================================================

#[test]
fn reject_f1_expired() {
    let exp = NOW - CLOCK_SKEW_SECS - 1;
    let claims = hours_with(|c| _ = c.insert("exp".into(), exp.into()));
    for token in [vc_jwt(&claims), sd_jwt(&claims, &[])] {
        let v = check(&token);
        assert_code(&v, Code::Expired, "expired");
        // The verdict shows the date it expired.
        assert!(v.errors[0]
            .detail
            .as_deref()
            .unwrap()
            .contains(&exp.to_string()));
    }
}

#[test]
fn reject_f2_not_yet_valid() {
    for name in ["nbf", "iat"] {
        let claims = hours_with(|c| _ = c.insert(name.into(), (NOW + CLOCK_SKEW_SECS + 1).into()));
        reject(&vc_jwt(&claims), Code::NotYetValid, name);
        reject(&sd_jwt(&claims, &[]), Code::NotYetValid, name);
    }
}

#[test]
fn reject_f3_key_of_another_office() {
    let w = World::new("f3");
    assert_valid(&w.verify(&astana_hours()), "control");
    // Almaty's key (and kid) signing as Astana.
    let v = w.verify(&issued_by(&almaty(), |_| {}));
    assert_code(&v, Code::IssuerKeyMismatch, "Almaty signs as Astana");
}

#[test]
fn reject_f4_office_not_authorized_for_type() {
    let w = World::new("f4");
    // Astana may issue hours only; here it issues the national award.
    let token = issued_by(&astana(), |c| {
        c.insert(
            "type".into(),
            json!(["VerifiableCredential", "VolunteerAwardCredential"]),
        );
        c.insert("vct".into(), json!("VolunteerAwardCredential"));
    });
    assert_code(&w.verify(&token), Code::IssuerNotAuthorized, "award");
    // Sneaking an extra type next to an authorized one does not help.
    let token = issued_by(&astana(), |c| {
        c.insert(
            "type".into(),
            json!([
                "VerifiableCredential",
                "VolunteerHoursCredential",
                "VolunteerAwardCredential"
            ]),
        );
    });
    assert_code(
        &w.verify(&token),
        Code::IssuerNotAuthorized,
        "hours + award",
    );
}

#[test]
fn reject_f5_vc_claim_under_vc_jwt() {
    for member in ["vc", "vp"] {
        let token = vc_jwt(&hours_with(|c| {
            c.insert(member.into(), json!({"type": ["VerifiableCredential"]}));
        }));
        reject(&token, Code::MalformedCredential, member);
    }
}

#[test]
fn reject_f6_wrong_credential_type() {
    let mut p = policy();
    p.expected_type = Some("VolunteerSkillCredential".into());
    for token in [vc_jwt(&hours_claims()), sd_jwt(&hours_claims(), &[])] {
        assert_code(&check_with(&token, &p), Code::WrongCredentialType, "skill");
    }
    p.expected_type = Some("VolunteerHoursCredential".into());
    assert_valid(&check_with(&vc_jwt(&hours_claims()), &p), "hours");
}

// =============================================================================================
// G. Status list (W3C Bitstring Status List)
// =============================================================================================

#[test]
fn reject_g1_status_list_forged_or_tampered() {
    let w = World::new("g1");
    // Almaty signs a list at Astana's URL claiming nothing is revoked.
    w.write_status(&status_token(
        &almaty(),
        ALMATY,
        LIST_URL,
        "revocation",
        &[],
        (NOW - 3_600, NOW + 86_400),
    ));
    assert_code(
        &w.verify(&astana_hours()),
        Code::StatusVerificationError,
        "other office",
    );
    // A list by a key the trust list does not know, under Astana's kid.
    let rogue = SigningKey::from_seed(&[9; 32]).with_kid(format!("{ASTANA}#k1"));
    w.write_status(&status_token(
        &rogue,
        ASTANA,
        LIST_URL,
        "revocation",
        &[],
        (NOW - 3_600, NOW + 86_400),
    ));
    assert_code(
        &w.verify(&astana_hours()),
        Code::StatusVerificationError,
        "rogue key",
    );
    // Astana's real list with one signature bit flipped.
    let token = current_status();
    let (input, s) = token.rsplit_once('.').unwrap();
    let mut sig = b64::decode(s, "sig").unwrap();
    sig[5] ^= 1;
    w.write_status(&format!("{input}.{}", b64::encode(sig)));
    assert_code(
        &w.verify(&astana_hours()),
        Code::StatusVerificationError,
        "tampered",
    );
}

#[test]
fn reject_g2_status_list_substitution() {
    let w = World::new("g2");
    // The credential points at Almaty's list (which Almaty may well publish).
    let token = issued_by(&astana(), |c| {
        c["credentialStatus"]["statusListCredential"] = json!(LIST_ALMATY);
    });
    assert_code(
        &w.verify(&token),
        Code::StatusVerificationError,
        "other list",
    );
    // A suspension list offered for revocation at the right URL.
    w.write_status(&status_token(
        &astana(),
        ASTANA,
        LIST_URL,
        "suspension",
        &[],
        (NOW - 3_600, NOW + 86_400),
    ));
    assert_code(
        &w.verify(&astana_hours()),
        Code::StatusVerificationError,
        "suspension for revocation",
    );
}

#[test]
fn reject_g3_stale_status_list() {
    let w = World::new("g3");
    let until = NOW - CLOCK_SKEW_SECS - 1;
    w.write_status(&status_token(
        &astana(),
        ASTANA,
        LIST_URL,
        "revocation",
        &[],
        (NOW - 10 * 86_400, until),
    ));
    let v = w.verify(&astana_hours());
    assert_code(&v, Code::StatusUnknown, "stale list");
    assert!(!v.status.revoked);
    // No list at all: unknown, never "not revoked".
    std::fs::remove_file(w.dir.join("status/1.jwt")).unwrap();
    assert_code(&w.verify(&astana_hours()), Code::StatusUnknown, "no list");
}

#[test]
fn reject_g4_status_list_rollback() {
    let w = World::new("g4");
    // The cached list (validFrom NOW − 3600) is older than one already seen.
    w.write_state(&format!(
        r#"{{"statusLists": {{"{LIST_URL}": {}}}}}"#,
        NOW - 60
    ));
    assert_code(
        &w.verify(&astana_hours()),
        Code::StatusRollback,
        "older list",
    );
    // The same publication seen again is not a rollback.
    w.write_state(&format!(
        r#"{{"statusLists": {{"{LIST_URL}": {}}}}}"#,
        NOW - 3_600
    ));
    assert_valid(&w.verify(&astana_hours()), "same list");
}

/// Astana's current status list with `encodedList` replaced, re-signed.
fn status_with_encoded_list(encoded: &str) -> String {
    let mut payload = payload_of(&current_status());
    payload["credentialSubject"]["encodedList"] = json!(encoded);
    jose::sign_json(&astana(), Some("vc+jwt"), &payload)
}

#[test]
fn reject_g5_status_index_out_of_range() {
    let w = World::new("g5-range");
    for index in ["131072", "18446744073709551615"] {
        let token = issued_by(&astana(), |c| {
            c["credentialStatus"]["statusListIndex"] = json!(index);
        });
        assert_code(&w.verify(&token), Code::RangeError, index);
    }
    let last = issued_by(&astana(), |c| {
        c["credentialStatus"]["statusListIndex"] = json!("131071");
    });
    assert_valid(&w.verify(&last), "last index");
}

#[test]
fn reject_g5_status_list_too_short() {
    let w = World::new("g5-short");
    let bits = vec![0u8; 1_000]; // 8,000 entries
    let encoded = format!("u{}", b64::encode(gzip(&stored_deflate(&bits), &bits)));
    w.write_status(&status_with_encoded_list(&encoded));
    assert_code(
        &w.verify(&astana_hours()),
        Code::StatusListLengthError,
        "8,000 entries",
    );
    // Control: the same framing with 131,072 entries is a good list.
    let bits = vec![0u8; 16_384];
    let encoded = format!("u{}", b64::encode(gzip(&stored_deflate(&bits), &bits)));
    w.write_status(&status_with_encoded_list(&encoded));
    assert_valid(&w.verify(&astana_hours()), "minimum length");
}

#[test]
fn reject_g5_malformed_encoded_list() {
    let w = World::new("g5-bad");
    let bits = vec![0u8; 16_384];
    let gz = gzip(&stored_deflate(&bits), &bits);
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 1;
    let mut trailing = gz.clone();
    trailing.push(0);
    for (encoded, why) in [
        (b64::encode(&gz), "no multibase prefix"),
        (format!("z{}", b64::encode(&gz)), "base58 prefix"),
        (format!("u{}=", b64::encode(&gz)), "padding"),
        (format!("u{}", b64::encode(&bits)), "not gzip"),
        (
            format!("u{}", b64::encode(stored_deflate(&bits))),
            "raw DEFLATE",
        ),
        (format!("u{}", b64::encode(&bad_crc)), "bad CRC"),
        (
            format!("u{}", b64::encode(&trailing)),
            "data after the member",
        ),
        (
            format!("u{}", b64::encode(&gz[..gz.len() / 2])),
            "truncated",
        ),
    ] {
        w.write_status(&status_with_encoded_list(&encoded));
        assert_code(&w.verify(&astana_hours()), Code::MalformedValueError, why);
    }
}

#[test]
fn reject_g5_gzip_bomb_in_status_list() {
    let w = World::new("g5-bomb");
    // 70,000 matches inflate to over 18 MB (the cap is 16 MiB) from 114 KB.
    let bomb = gzip(&deflate_bomb(70_000), &[]);
    w.write_status(&status_with_encoded_list(&format!(
        "u{}",
        b64::encode(&bomb)
    )));
    assert_code(
        &w.verify(&astana_hours()),
        Code::DecompressedTooLarge,
        "gzip bomb",
    );
}

#[test]
fn reject_g6_malformed_status_index() {
    let w = World::new("g6");
    for index in [
        json!("-1"),
        json!("+94567"),
        json!("094567"),
        json!(" 94567"),
        json!("94567 "),
        json!("9.4567e4"),
        json!("0x1"),
        json!(""),
        json!("123456789012345678901"),
        json!("99999999999999999999"),
        json!("٩٤٥٦٧"),
        json!(94_567),
    ] {
        let token = issued_by(&astana(), |c| {
            c["credentialStatus"]["statusListIndex"] = index.clone();
        });
        assert_code(
            &w.verify(&token),
            Code::MalformedValueError,
            &index.to_string(),
        );
    }
}

#[test]
fn reject_g7_bit_order_msb_first() {
    let w = World::new("g7");
    // Index 0 is the most significant bit of byte 0 (BSL §2.2), in our encoder …
    let mut list = StatusList::new(131_072).unwrap();
    list.set(0, true).unwrap();
    assert_eq!(list.as_bytes()[0], 0x80);
    // … and in what the verifier reads: a list whose first byte is 0x80, built by hand.
    let mut bits = vec![0u8; 16_384];
    bits[0] = 0x80;
    let encoded = format!("u{}", b64::encode(gzip(&stored_deflate(&bits), &bits)));
    w.write_status(&status_with_encoded_list(&encoded));
    let at = |index: &str| {
        let index = index.to_owned();
        w.verify(&issued_by(&astana(), |c| {
            c["credentialStatus"]["statusListIndex"] = json!(index);
        }))
    };
    let v = at("0");
    assert_code(&v, Code::Revoked, "index 0");
    assert!(v.status.revoked);
    let v = at("7");
    assert_valid(&v, "index 7 (the LSB of byte 0)");
    assert!(v.status.checked && !v.status.revoked);
}

// =============================================================================================
// H. Trust list
// =============================================================================================

#[test]
fn reject_h1_trust_list_rollback() {
    let w = World::new("h1");
    // The folder's list has sequence 7; a verifier that already accepted 9 refuses it.
    w.write_state(r#"{"trustListSequence": 9}"#);
    assert_code(
        &w.verify(&astana_hours()),
        Code::TrustlistRollback,
        "sequence 7 after 9",
    );
    w.write_state(r#"{"trustListSequence": 7}"#);
    assert_valid(&w.verify(&astana_hours()), "the list already accepted");
}

#[test]
fn reject_h2_expired_trust_list_freeze() {
    let w = World::new("h2");
    let grace = vpass_credential::trust::TRUST_LIST_GRACE_SECS;
    let mut list = trust_list();
    list.issued_at = UnixTime(NOW - 30 * 86_400);
    list.next_update = UnixTime(NOW - grace - 1);
    w.write_list(&root(), &list);
    assert_code(
        &w.verify(&astana_hours()),
        Code::TrustlistExpired,
        "past grace",
    );
    list.next_update = UnixTime(NOW - grace);
    w.write_list(&root(), &list);
    assert_valid(&w.verify(&astana_hours()), "last second of grace");
}

#[test]
fn reject_h3_trust_list_from_unpinned_or_rotated_out_root() {
    let w = World::new("h3");
    let new_root = SigningKey::from_seed(&[8; 32]);
    // Signed by a root the verifier never pinned (also naming it as `root`).
    let mut list = trust_list();
    list.root = new_root.public().did_key();
    w.write_list(&new_root, &list);
    assert_code(
        &w.verify(&astana_hours()),
        Code::TrustlistInvalid,
        "unpinned root",
    );
    // Signed by the new root but naming the pinned one.
    w.write_list(&new_root, &trust_list());
    assert_code(
        &w.verify(&astana_hours()),
        Code::TrustlistInvalid,
        "wrong signer",
    );
    // Rotation: the old (pinned) root signs a list that announces the new root.
    let mut rotation = trust_list();
    rotation.next_root = Some(new_root.public().did_key());
    w.write_list(&root(), &rotation);
    assert_valid(&w.verify(&astana_hours()), "rotation list");
}

#[test]
fn reject_h4_compromised_key_and_retired_key() {
    let w = World::new("h4");
    // Without a status entry, so that only the office key decides.
    let token = issued_by(&astana(), |c| _ = c.remove("credentialStatus"));
    let with_state = |state: KeyState| {
        let mut list = trust_list();
        list.offices[0].keys[0].state = state;
        w.write_list(&root(), &list);
        w.verify(&token)
    };
    // Compromised: everything under the key, even what it signed long before.
    let v = with_state(KeyState::Compromised {
        at: UnixTime(NOW - 100),
    });
    assert_code(&v, Code::KeyCompromised, "compromised");
    // Retired: what it signed before retirement stays valid, nothing after.
    assert_valid(
        &with_state(KeyState::Retired {
            at: UnixTime(ISSUED + 1),
        }),
        "retired after issuing",
    );
    let v = with_state(KeyState::Retired {
        at: UnixTime(ISSUED),
    });
    assert_code(&v, Code::UntrustedKey, "retired before issuing");
}

// =============================================================================================
// I. Time
// =============================================================================================

#[test]
fn reject_i1_clock_skew_boundaries() {
    let skew = CLOCK_SKEW_SECS;
    assert_eq!(policy().skew, skew, "one constant for every time check");
    let with = |name: &str, t: i64| {
        let claims = hours_with(|c| _ = c.insert(name.into(), t.into()));
        (check(&vc_jwt(&claims)), check(&sd_jwt(&claims, &[])))
    };
    for (v, why) in [
        (with("exp", NOW - skew - 1), "exp = now - skew - 1"),
        (with("nbf", NOW + skew + 1), "nbf = now + skew + 1"),
        (with("iat", NOW + skew + 1), "iat = now + skew + 1"),
    ] {
        let code = if why.starts_with("exp") {
            Code::Expired
        } else {
            Code::NotYetValid
        };
        assert_code(&v.0, code, why);
        assert_code(&v.1, code, why);
    }
    for (v, why) in [
        (with("exp", NOW - skew), "exp = now - skew"),
        (with("exp", NOW - skew + 1), "exp = now - skew + 1"),
        (with("nbf", NOW + skew), "nbf = now + skew"),
        (with("iat", NOW + skew), "iat = now + skew"),
    ] {
        assert_valid(&v.0, why);
        assert_valid(&v.1, why);
    }
    // The KB-JWT `iat` boundaries are in `reject_e7_stale_or_future_kb_iat`.
}

#[test]
fn reject_i2_device_clock_behind_signed_data() {
    let w = World::new("i2");
    // The trust list was signed at NOW − 7200: a device clock further back than the skew
    // is behind signed data (the credential itself would still be in its window).
    let behind = NOW - 7_200 - CLOCK_SKEW_SECS - 1;
    assert_code(
        &w.verify_at(&astana_hours(), behind),
        Code::ClockInconsistent,
        "trust list from the future",
    );
    // At the skew the trust list is usable (no status entry: the status list is newer still).
    let no_status = issued_by(&astana(), |c| _ = c.remove("credentialStatus"));
    assert_valid(
        &w.verify_at(&no_status, NOW - 7_200 - CLOCK_SKEW_SECS),
        "at the skew",
    );
    // A status list published after the device's time.
    w.write_status(&status_token(
        &astana(),
        ASTANA,
        LIST_URL,
        "revocation",
        &[],
        (NOW + CLOCK_SKEW_SECS + 1, NOW + 86_400),
    ));
    assert_code(
        &w.verify(&astana_hours()),
        Code::ClockInconsistent,
        "status list from the future",
    );
}

#[test]
fn accept_i3_verdict_states_status_as_of() {
    let w = World::new("i3");
    let v = w.verify(&astana_hours());
    assert_valid(&v, "current list");
    assert!(v.status.checked);
    assert_eq!(
        v.status.as_of.as_deref(),
        Some(UnixTime(NOW - 3_600).to_rfc3339().as_str())
    );
    assert_eq!(v.status.list.as_deref(), Some(LIST_URL));
    assert_eq!(v.status.index, Some(HOURS_INDEX));
    // Revoked after that list was published: the verdict can only say "as of" the list.
    w.write_status(&status_token(
        &astana(),
        ASTANA,
        LIST_URL,
        "revocation",
        &[HOURS_INDEX],
        (NOW - 60, NOW + 86_400),
    ));
    let v = w.verify(&astana_hours());
    assert_code(&v, Code::Revoked, "next list");
    assert_eq!(
        v.status.as_of.as_deref(),
        Some(UnixTime(NOW - 60).to_rfc3339().as_str())
    );
}
