// Sign a VC-JWT with jose's SignJWT: header {alg: EdDSA, typ: vc+jwt}, payload as given.
// stdin:  {jwk (private), claims}
// stdout: {token}
import { importJWK, SignJWT } from 'jose';
import { readInput, reply } from './common.mjs';

const input = await readInput();
const key = await importJWK(input.jwk, 'EdDSA');
const token = await new SignJWT(input.claims)
  .setProtectedHeader({ alg: 'EdDSA', typ: 'vc+jwt' })
  .sign(key);
reply({ token });
