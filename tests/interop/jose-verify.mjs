// Verify a VC-JWT with jose's jwtVerify: EdDSA only, typ `vc+jwt`, times at `now`.
// stdin:  {token, jwk (public), now}
// stdout: {ok: true, protectedHeader, payload} or {ok: false, error}
import { importJWK, jwtVerify } from 'jose';
import { readInput, reply } from './common.mjs';

const input = await readInput();
try {
  const key = await importJWK(input.jwk, 'EdDSA');
  const { payload, protectedHeader } = await jwtVerify(input.token, key, {
    algorithms: ['EdDSA'],
    typ: 'vc+jwt',
    currentDate: new Date(input.now * 1000),
  });
  reply({ ok: true, protectedHeader, payload });
} catch (e) {
  reply({ ok: false, error: `${e?.code ?? ''} ${e?.message ?? e}` });
}
