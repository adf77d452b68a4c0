// ScheduleOSUpdate and OSUpdateStatus results → the device's last update attempt (status, product
// key, version, and the error when it failed, explained by src/commands/error-codes.ts). Minimal on
// purpose: the full typed results live in src/commands/; this keeps what the inventory shows.
import { asNumber, type PlistDict, type PlistValue } from '../../plist/index.js';
import type { ErrorChainItem, ReportStatus } from '../../mdm/types.js';
import { explainError } from '../../commands/error-codes.js';
import type { UpdateAttempt } from '../types.js';
import { isDict, text } from './parse.js';

export const UPDATE_COMMANDS = ['ScheduleOSUpdate', 'OSUpdateStatus'] as const;
export type UpdateCommand = (typeof UPDATE_COMMANDS)[number];

export function isUpdateCommand(requestType: string | null): requestType is UpdateCommand {
  return (UPDATE_COMMANDS as readonly string[]).includes(requestType ?? '');
}

export interface UpdateResultInput {
  requestType: UpdateCommand;
  status: Exclude<ReportStatus, 'Idle'>;
  /** The whole result plist. */
  dict: PlistDict;
  errorChain: ErrorChainItem[] | null;
  /** The Command dictionary that was sent (its Updates name the product and version), when known. */
  command?: PlistDict | null;
  at: Date;
}

/** Per-update statuses of ScheduleOSUpdate that mean the attempt failed. */
const FAILED = /Failed$|Insufficient|RequiresComputer|PhoneCallInProgress/;

type AttemptError = NonNullable<UpdateAttempt['error']>;

/** The first error of an ErrorChain, in plain language where the code is a known one, else as the device put it. */
export function chainError(chain: ReadonlyArray<ErrorChainItem> | null | undefined, requestType: string | null): AttemptError | null {
  const e = chain?.[0];
  if (!e) return null;
  const message = explainError(e.errorDomain, e.errorCode, requestType)?.explanation
    ?? e.usEnglishDescription ?? e.localizedDescription
    ?? `${e.errorDomain ?? 'unknown domain'} error ${e.errorCode ?? '(no code)'}`;
  return { code: e.errorCode, domain: e.errorDomain, message };
}

/** An ErrorChain array as found inside a result (e.g. an UpdateResults item). */
function plistChain(v: PlistValue | undefined): ErrorChainItem[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isDict).map((d) => ({
    errorCode: asNumber(d.ErrorCode) ?? null,
    errorDomain: text(d.ErrorDomain) ?? null,
    localizedDescription: text(d.LocalizedDescription) ?? null,
    usEnglishDescription: text(d.USEnglishDescription) ?? null,
  }));
}

/** The version a product key names: MSU_UPDATE_23G93_patch_14.6.1 → 14.6.1. */
export function versionOfProductKey(key: string | null): string | null {
  return (key && /_(?:patch|major|minor)_(\d+(?:\.\d+)*)$/.exec(key)?.[1]) || null;
}

/** The Updates entries of the command sent, as {productKey, version}. */
function commandUpdates(command: PlistDict | null | undefined): Array<{ productKey: string | null; version: string | null }> {
  const updates = command?.Updates;
  if (!Array.isArray(updates)) return [];
  return updates.filter(isDict).map((u) => ({ productKey: text(u.ProductKey) ?? null, version: text(u.ProductVersion) ?? null }));
}

/** What the device answered about its update, or null when the answer says nothing (NotNow). */
export function fromUpdateResult(input: UpdateResultInput): UpdateAttempt | null {
  const { requestType: source, at } = input;
  if (input.status === 'NotNow') return null;
  const sent = commandUpdates(input.command);
  const versionOf = (productKey: string | null) =>
    sent.find((u) => u.productKey !== null && u.productKey === productKey)?.version ?? versionOfProductKey(productKey);
  if (input.status !== 'Acknowledged') {
    const productKey = sent[0]?.productKey ?? null;
    return {
      at, source, status: 'failed', productKey, version: sent[0]?.version ?? versionOfProductKey(productKey),
      error: chainError(input.errorChain, source) ?? { code: null, domain: null, message: `the device answered ${input.status}` },
    };
  }
  const list = input.dict[source === 'ScheduleOSUpdate' ? 'UpdateResults' : 'OSUpdateStatus'];
  const items = Array.isArray(list) ? list.filter(isDict) : [];
  // The update in progress, else the first one listed.
  const item = items.find((i) => text(i.Status) !== undefined && text(i.Status) !== 'Idle') ?? items[0];
  if (!item) return { at, source, status: 'Idle', productKey: null, version: null, error: null };
  const status = text(item.Status) ?? 'unknown';
  const productKey = text(item.ProductKey) ?? null;
  const failed = FAILED.test(status);
  return {
    at,
    source,
    status,
    productKey,
    version: versionOf(productKey),
    error: failed ? (chainError(plistChain(item.ErrorChain), source) ?? { code: null, domain: null, message: `the update failed: ${status}` }) : null,
  };
}
