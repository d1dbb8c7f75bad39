// Issue an SD-JWT VC with @sd-jwt/sd-jwt-vc and present it with a key-binding JWT.
// stdin:  {issuerJwk, holderJwk (both private), claims, disclosureFrame, presentationFrame,
//          aud, nonce, iat}
// stdout: {issued, presentation}
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { hasher, readInput, reply, saltGenerator, signerFor } from './common.mjs';

const input = await readInput();
const issuer = signerFor(input.issuerJwk);
const holder = signerFor(input.holderJwk);
const sdjwt = new SDJwtVcInstance({
  hasher,
  hashAlg: 'sha-256',
  saltGenerator,
  signer: issuer.sign,
  signAlg: issuer.alg,
  kbSigner: holder.sign,
  kbSignAlg: holder.alg,
});
// typ `dc+sd-jwt` is the library's default header.
const issued = await sdjwt.issue(input.claims, input.disclosureFrame);
const presentation = await sdjwt.present(issued, input.presentationFrame, {
  kb: { payload: { iat: input.iat, aud: input.aud, nonce: input.nonce } },
});
reply({ issued, presentation });
