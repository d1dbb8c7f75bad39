// Verify an SD-JWT VC presentation with @sd-jwt/sd-jwt-vc.
// stdin:  {token, issuerJwk, aud, nonce, now, requiredClaimKeys}
// stdout: {ok: true, header, payload, kb} or {ok: false, error}
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { hasher, readInput, reply, verifyWith } from './common.mjs';

const input = await readInput();
const sdjwt = new SDJwtVcInstance({
  hasher,
  // The issuer signature, under the office key the caller trusts.
  verifier: (data, sig) => verifyWith(input.issuerJwk, data, sig),
  // The KB-JWT signature, under the holder key in the credential's `cnf`.
  kbVerifier: (data, sig, payload) => verifyWith(payload.cnf.jwk, data, sig),
});
try {
  const result = await sdjwt.verify(input.token, {
    currentDate: input.now,
    requiredClaimKeys: input.requiredClaimKeys,
    keyBindingNonce: input.nonce, // also makes the KB-JWT mandatory
  });
  // The library checks neither the issuer `typ` nor the KB `aud`: we do (RFC 9901 §7.3).
  if (result.header.typ !== 'dc+sd-jwt') throw new Error(`typ ${result.header.typ}`);
  if (result.kb.payload.aud !== input.aud) throw new Error(`aud ${result.kb.payload.aud}`);
  reply({ ok: true, header: result.header, payload: result.payload, kb: result.kb });
} catch (e) {
  reply({ ok: false, error: String(e?.message ?? e) });
}
