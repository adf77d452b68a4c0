// ADE test helpers: a throwaway "Apple device CA" and device identities (openssl), and MachineInfo
// plists CMS-signed by openssl (an independent signer, as a device's would be).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlist, type BuildInput } from '../../src/plist/index.js';
import { TestPki, type Identity } from '../identity/pki.js';

export { TestPki, type Identity };

/** MachineInfo as a device sends it (Apple's keys), with `extra` overriding. */
export function machineInfo(extra: Record<string, BuildInput> = {}): Record<string, BuildInput> {
  return { UDID: '0000FE00-1111AAAA2222BBBB', SERIAL: 'C02ADE000001', PRODUCT: 'Mac14,2', VERSION: '23B81', OS_VERSION: '14.1', LANGUAGE: 'en', MDM_CAN_REQUEST_SOFTWARE_UPDATE: true, ...extra };
}

/** The plist CMS-signed (attached content, DER) by `signer` with openssl cms. */
export function signMachineInfo(pki: TestPki, signer: Identity, info: Record<string, BuildInput>): Buffer {
  return execFileSync('openssl', ['cms', '-sign', '-nodetach', '-binary', '-outform', 'DER', '-md', 'sha256', '-signer', signer.certPath, '-inkey', signer.keyPath],
    { input: Buffer.from(buildPlist(info)), cwd: pki.dir, stdio: ['pipe', 'pipe', 'pipe'] });
}

export const pem = (path: string): string => readFileSync(path, 'utf8');
export const gdmfFixture = (sharedDir: string): Buffer => readFileSync(join(sharedDir, 'catalogs', 'gdmf_pmv_2026-08.json'));
