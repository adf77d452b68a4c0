// Check-in messages (PUT to CheckInURL): one parser per MessageType, each validating its required keys.
import type { PlistDict, PlistValue } from '../plist/index.js';
import type { Inventory } from './types.js';
import { identifiersOf, resolveEnrollment } from './enrollment.js';
import { ProtocolError } from './errors.js';
import { flag, isDict, optData, optDict, optString, reqData, reqString } from './fields.js';
import { platformOf } from './platform.js';
import type { CheckinMessage, Enrollment, MessageType } from './types.js';

type Parser<K extends MessageType> = (d: PlistDict, base: { enrollment: Enrollment; dict: PlistDict }, what: string) =>
  Extract<CheckinMessage, { messageType: K }>;

/** Inventory fields read straight from Authenticate keys. */
const INVENTORY_KEYS: ReadonlyArray<[Exclude<keyof Inventory, 'platform'>, string]> = [
  ['serialNumber', 'SerialNumber'],
  ['modelName', 'ModelName'],
  ['productName', 'ProductName'],
  ['deviceName', 'DeviceName'],
  ['osVersion', 'OSVersion'],
  ['buildVersion', 'BuildVersion'],
  ['imei', 'IMEI'],
  ['meid', 'MEID'],
];

/** Inventory from an Authenticate dict: only the keys present. */
export function inventoryOf(d: PlistDict, what = 'Authenticate'): Inventory {
  const inv: Inventory = {};
  for (const [field, key] of INVENTORY_KEYS) {
    const v = optString(d, key, what);
    if (v !== null) inv[field] = v;
  }
  const model = optString(d, 'Model', what) ?? inv.productName;
  if (model) inv.model = model;
  const platform = platformOf(model, inv.productName, inv.modelName);
  if (platform) inv.platform = platform;
  return inv;
}

const PARSERS: { [K in MessageType]: Parser<K> } = {
  Authenticate: (d, base, what) => ({
    ...base, messageType: 'Authenticate', topic: reqString(d, 'Topic', what), inventory: inventoryOf(d, what),
  }),
  TokenUpdate: (d, base, what) => ({
    ...base,
    messageType: 'TokenUpdate',
    topic: reqString(d, 'Topic', what),
    token: reqData(d, 'Token', what),
    pushMagic: reqString(d, 'PushMagic', what),
    unlockToken: optData(d, 'UnlockToken', what),
    awaitingConfiguration: flag(d, 'AwaitingConfiguration'),
    notOnConsole: flag(d, 'NotOnConsole'),
  }),
  CheckOut: (d, base, what) => ({ ...base, messageType: 'CheckOut', topic: optString(d, 'Topic', what) }),
  UserAuthenticate: (d, base, what) => ({
    ...base, messageType: 'UserAuthenticate', digestResponse: optString(d, 'DigestResponse', what),
  }),
  SetBootstrapToken: (d, base, what) => ({
    ...base,
    messageType: 'SetBootstrapToken',
    bootstrapToken: optData(d, 'BootstrapToken', what),
    awaitingConfiguration: flag(d, 'AwaitingConfiguration'),
  }),
  GetBootstrapToken: (d, base) => ({
    ...base, messageType: 'GetBootstrapToken', awaitingConfiguration: flag(d, 'AwaitingConfiguration'),
  }),
  GetToken: (d, base, what) => ({
    ...base,
    messageType: 'GetToken',
    tokenServiceType: reqString(d, 'TokenServiceType', what),
    tokenParameters: optDict(d, 'TokenParameters', what),
  }),
  DeclarativeManagement: (d, base, what) => ({
    ...base, messageType: 'DeclarativeManagement', endpoint: reqString(d, 'Endpoint', what), data: optData(d, 'Data', what),
  }),
};

function isMessageType(s: string): s is MessageType {
  return Object.prototype.hasOwnProperty.call(PARSERS, s);
}

/** Parse a check-in plist into its message; throws ProtocolError naming what is wrong. */
export function parseCheckin(value: PlistValue): CheckinMessage {
  if (!isDict(value)) throw new ProtocolError('check-in: body is not a dict');
  const type = value.MessageType;
  if (type === undefined) throw new ProtocolError('check-in: missing MessageType');
  if (typeof type !== 'string' || !isMessageType(type)) {
    throw new ProtocolError(`check-in: unknown MessageType ${JSON.stringify(type)}`);
  }
  const enrollment = resolveEnrollment(identifiersOf(value, type), type);
  return (PARSERS[type] as Parser<MessageType>)(value, { enrollment, dict: value }, type);
}
