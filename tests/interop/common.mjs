// Plumbing shared by the interop scripts: JSON over stdin/stdout, and the crypto that
// @sd-jwt/sd-jwt-vc leaves to its caller (signer, verifiers, hasher, salts), built on Node's
// own `crypto` so that nothing here comes from vpass.
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify }
  from 'node:crypto';

// Read one JSON document from stdin.
export async function readInput() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

// Write the answer as one JSON document. Rejections are answers too ({ok: false}); only a
// broken script exits non-zero.
export function reply(value) {
  process.stdout.write(JSON.stringify(value));
}

// The JOSE alg a JWK signs with: EdDSA for OKP/Ed25519, ES256 for EC/P-256.
function algOf(jwk) {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error(`unsupported key ${jwk.kty}/${jwk.crv}`);
}

// ES256 signatures in JOSE are r||s (IEEE P1363), not DER.
const opts = (key, alg) => (alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
const digestOf = (alg) => (alg === 'ES256' ? 'sha256' : null);

// A signer over `header.payload` for a private JWK: returns the base64url signature.
export function signerFor(privateJwk) {
  const alg = algOf(privateJwk);
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  return { alg, sign: (data) => sign(digestOf(alg), Buffer.from(data), opts(key, alg))
    .toString('base64url') };
}

// Verify a JWS signature with a public JWK, refusing a header `alg` that does not fit the key
// (RFC 8725 §3.1): the sd-jwt library hands us only `header.payload` and the signature.
export function verifyWith(publicJwk, data, sig) {
  const alg = algOf(publicJwk);
  const header = JSON.parse(Buffer.from(data.split('.')[0], 'base64url').toString());
  if (header.alg !== alg) return false;
  const key = createPublicKey({ key: publicJwk, format: 'jwk' });
  return verify(digestOf(alg), Buffer.from(data), opts(key, alg), Buffer.from(sig, 'base64url'));
}

// SHA-256, the only `_sd_alg` either side uses.
export function hasher(data, alg) {
  if (alg !== 'sha-256') throw new Error(`unexpected _sd_alg ${alg}`);
  const bytes = typeof data === 'string' ? data : new Uint8Array(data);
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

// 128-bit salts, base64url (RFC 9901 §4.2.1).
export const saltGenerator = (length) => randomBytes(length).toString('base64url');
