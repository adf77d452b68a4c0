// Command-channel reports (PUT to ServerURL): Idle polls and command results.
import type { PlistDict, PlistValue } from '../plist/index.js';
import { asNumber } from '../plist/index.js';
import { identifiersOf, resolveEnrollment } from './enrollment.js';
import { ProtocolError } from './errors.js';
import { isDict, optString } from './fields.js';
import type { CommandReport, ErrorChainItem, ReportStatus } from './types.js';

const STATUSES: ReadonlySet<string> = new Set<ReportStatus>(['Idle', 'Acknowledged', 'Error', 'CommandFormatError', 'NotNow']);

function str(v: PlistValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** The ErrorChain of a result, item by item; items that are not dicts are skipped (the raw body keeps them). */
export function parseErrorChain(v: PlistValue | undefined): ErrorChainItem[] | null {
  if (!Array.isArray(v)) return null;
  return v.filter(isDict).map((e) => ({
    errorCode: asNumber(e.ErrorCode) ?? null,
    errorDomain: str(e.ErrorDomain),
    localizedDescription: str(e.LocalizedDescription),
    usEnglishDescription: str(e.USEnglishDescription),
  }));
}

/** Parse a command-channel plist; throws ProtocolError naming what is wrong. */
export function parseReport(value: PlistValue): CommandReport {
  if (!isDict(value)) throw new ProtocolError('report: body is not a dict');
  const status = value.Status;
  if (status === undefined) throw new ProtocolError('report: missing Status');
  if (typeof status !== 'string' || !STATUSES.has(status)) {
    throw new ProtocolError(`report: unknown Status ${JSON.stringify(status)}`);
  }
  const what = `${status} report`;
  const enrollment = resolveEnrollment(identifiersOf(value, what), what);
  const commandUuid = optString(value, 'CommandUUID', what);
  if (status !== 'Idle' && commandUuid === null) throw new ProtocolError(`${what}: missing CommandUUID`);
  return {
    status: status as ReportStatus,
    enrollment,
    commandUuid: status === 'Idle' ? null : commandUuid,
    requestType: optString(value, 'RequestType', what),
    errorChain: parseErrorChain(value.ErrorChain),
    dict: value as PlistDict,
  };
}
