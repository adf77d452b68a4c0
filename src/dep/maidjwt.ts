// NanoDEP's MAID JWT (GET /v1/maidjwt/{name}, tools/cfg-maidjwt.sh): the token a device's GetToken
// check-in with TokenServiceType com.apple.maid is answered for Managed Apple Account access
// management. RS256, signed with the DEP name's current token key pair (the one ABM knows the MDM
// server by); claims: iss (the MDM server's server_uuid from the DEP account), iat, jti, service_type.
import { createSign, randomUUID } from 'node:crypto';
import type { DepStore } from '../storage/types-dep.js';
import { depClient } from './client.js';
import { checkDepName } from './service.js';
import { DepTokenError } from './tokenpki.js';

export const MAID_SERVICE_TYPE = 'com.apple.maid';

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A signed JWT with the claims NanoDEP gives it. */
export function signMaidJwt(keyPem: string, claims: { serverUuid: string; iat: Date; jti: string }): string {
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: claims.serverUuid, iat: Math.floor(claims.iat.getTime() / 1000), jti: claims.jti, service_type: MAID_SERVICE_TYPE })}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(keyPem).toString('base64url')}`;
}

/**
 * The JWT of a DEP name; without `serverUuid` the DEP account is asked for it (a live DEP API call:
 * DepApiError when that fails). DepTokenError (4xx) for a name without a current key pair.
 */
export async function maidJwt(
  store: Pick<DepStore, 'getDepName' | 'saveDepSession'>,
  name: string,
  opts: { serverUuid?: string; now?: Date; jti?: string } = {},
): Promise<{ jwt: string; serverUuid: string; jti: string }> {
  const dep = await store.getDepName(checkDepName(name));
  if (!dep?.currentPki) throw new DepTokenError(`DEP name ${name} has no current token key pair: run \`updraft dep tokenpki ${name}\`, upload it to ABM and decrypt its token first`, 404);
  if (opts.serverUuid !== undefined && !/^[0-9A-Za-z-]{1,64}$/.test(opts.serverUuid)) throw new DepTokenError('server_uuid must be the MDM server UUID (letters, digits and dashes)');
  const serverUuid = opts.serverUuid || (await depClient(name, { store }).account()).server_uuid;
  const jti = opts.jti ?? randomUUID();
  return { jwt: signMaidJwt(dep.currentPki.keyPem, { serverUuid, iat: opts.now ?? new Date(), jti }), serverUuid, jti };
}
