// The MachineInfo a device posts to the ADE enrollment URL (Apple's schema: other/machineinfo.yaml):
// a plist CMS-signed by the device's identity, which chains to Apple's device CA. Parsed and checked
// with the project's CMS layer (src/pki/cms/); the chain is walked with node:crypto from the
// signer through the certificates the message carries to one of the configured anchors.
import { X509Certificate } from 'node:crypto';
import { CmsError, onlySigner, parseSignedData, verifySigner } from '../pki/cms/index.js';
import { asBool, asString, parseAnyPlist, toJSONSafe, type PlistDict, type PlistValue } from '../plist/index.js';
import { platformOf } from '../mdm/platform.js';
import type { Platform } from '../mdm/types.js';

export interface MachineInfo {
  udid: string;
  serial: string;
  product: string;
  /** The build (VERSION), e.g. 21A329. */
  buildVersion: string;
  /** OS_VERSION: sent from iOS 17 and macOS 14 on. */
  osVersion: string | null;
  language: string | null;
  imei: string | null;
  meid: string | null;
  /** MDM_CAN_REQUEST_SOFTWARE_UPDATE: the device can update in Setup Assistant when asked (403). */
  canRequestSoftwareUpdate: boolean;
  softwareUpdateDeviceId: string | null;
  platform: Platform | null;
  /** The whole dictionary, JSON-safe, as recorded. */
  raw: Record<string, unknown>;
}

/** Why a MachineInfo is refused: each answers 400 (malformed) or 403 (not trusted). */
export class MachineInfoError extends Error {
  constructor(readonly status: 400 | 403, message: string) {
    super(message);
    this.name = 'MachineInfoError';
  }
}

const MAX_CHAIN = 5;

/** The body as DER: real devices send it raw; base64 text (tools, proxies) is accepted too. */
function der(body: Buffer): Buffer {
  if (body.length > 0 && body[0] === 0x30) return body;
  const text = body.toString('latin1').trim();
  if (/^[A-Za-z0-9+/=\r\n]+$/.test(text) && text.length > 16) return Buffer.from(text, 'base64');
  return body;
}

function describe(cert: X509Certificate): string {
  return cert.subject.split('\n').join(', ');
}

/** The signer must chain, through certificates the message carries, to one of the anchors. */
function checkChain(leafDer: Buffer, carried: Buffer[], anchors: readonly X509Certificate[], at: Date): void {
  let cert = new X509Certificate(leafDer);
  const pool = carried.flatMap((d) => {
    try {
      return [new X509Certificate(d)];
    } catch {
      return [];
    }
  });
  const t = at.getTime();
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo)) {
      throw new MachineInfoError(403, `MachineInfo signer chain: ${describe(cert)} is not valid now (${cert.validFrom} – ${cert.validTo})`);
    }
    if (anchors.some((a) => cert.checkIssued(a) && cert.verify(a.publicKey))) return;
    if (anchors.some((a) => a.fingerprint256 === cert.fingerprint256)) return;
    const next = pool.find((c) => c.fingerprint256 !== cert.fingerprint256 && cert.checkIssued(c) && cert.verify(c.publicKey));
    if (!next) break;
    cert = next;
  }
  throw new MachineInfoError(403, `MachineInfo is not signed by a device of the trusted device CA (signer chain ends at ${describe(cert)}, issuer ${cert.issuer.split('\n').join(', ')})`);
}

const text = (d: PlistDict, key: string): string | null => {
  const v = asString(d[key]);
  return v === undefined || v.trim() === '' ? null : v.trim();
};

/** Reads the MachineInfo dictionary (no signature check). */
export function readMachineInfo(plist: PlistValue): MachineInfo {
  if (typeof plist !== 'object' || plist === null || Array.isArray(plist) || Buffer.isBuffer(plist) || plist instanceof Date) {
    throw new MachineInfoError(400, 'MachineInfo is not a dictionary');
  }
  const d = plist as PlistDict;
  const udid = text(d, 'UDID');
  const serial = text(d, 'SERIAL');
  const product = text(d, 'PRODUCT');
  const build = text(d, 'VERSION');
  const missing = [['UDID', udid], ['SERIAL', serial], ['PRODUCT', product], ['VERSION', build]].filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new MachineInfoError(400, `MachineInfo lacks ${missing.join(', ')}`);
  return {
    udid: udid!,
    serial: serial!,
    product: product!,
    buildVersion: build!,
    osVersion: text(d, 'OS_VERSION'),
    language: text(d, 'LANGUAGE'),
    imei: text(d, 'IMEI'),
    meid: text(d, 'MEID'),
    canRequestSoftwareUpdate: asBool(d.MDM_CAN_REQUEST_SOFTWARE_UPDATE) === true,
    softwareUpdateDeviceId: text(d, 'SOFTWARE_UPDATE_DEVICE_ID'),
    platform: platformOf(product),
    raw: toJSONSafe(d) as Record<string, unknown>,
  };
}

/**
 * Parses the CMS-signed MachineInfo, checks its signature and that the signer chains to one of
 * `anchors` (Apple's device CA in production, a test CA in tests), and reads it.
 */
export function verifyMachineInfo(body: Buffer, anchors: readonly X509Certificate[], at = new Date()): MachineInfo {
  if (body.length === 0) throw new MachineInfoError(400, 'no MachineInfo in the request body (the device posts it CMS-signed, Content-Type application/pkcs7-signature)');
  let content: Buffer;
  try {
    const msg = parseSignedData(der(body), true);
    if (!msg.content) throw new MachineInfoError(400, 'the signed MachineInfo carries no content');
    content = msg.content;
    const signer = onlySigner(msg);
    if (!signer.certDer) throw new MachineInfoError(400, 'MachineInfo signature: the signer certificate is not in the message');
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(signer.certDer);
    } catch {
      throw new MachineInfoError(400, 'MachineInfo signature: the signer certificate cannot be read');
    }
    verifySigner(signer, content, leaf.publicKey);
    if (anchors.length === 0) throw new MachineInfoError(403, 'no device CA is configured (--ade-device-ca): MachineInfo signatures cannot be checked');
    checkChain(signer.certDer, msg.certs, anchors, at);
  } catch (e) {
    if (e instanceof MachineInfoError) throw e;
    if (e instanceof CmsError) throw new MachineInfoError(e.problem === 'badSignature' ? 403 : 400, `MachineInfo signature: ${e.message}`);
    throw new MachineInfoError(400, `MachineInfo is not a CMS SignedData message (${(e as Error).message})`);
  }
  let plist: PlistValue;
  try {
    plist = parseAnyPlist(content);
  } catch (e) {
    throw new MachineInfoError(400, `MachineInfo is not a plist (${(e as Error).message})`);
  }
  return readMachineInfo(plist);
}
