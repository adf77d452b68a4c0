// Status reports as devices send them: {"StatusItems": {…nested by dotted-name segment…},
// "Errors": [{StatusItem, Reasons?}], "FullReport"?: bool}. Parsing flattens the items to their dotted
// names (a name Apple's schema knows keeps its whole value, e.g. softwareupdate.pending-version) and
// reads management.declarations into per-declaration status. Anything malformed is refused whole.
import { statusItemSpec } from './catalog.js';
import type { DeclarationKind } from './types.js';

export class StatusReportError extends Error {
  override readonly name = 'StatusReportError';
}

export interface DeclarationStatus {
  identifier: string;
  kind: DeclarationKind;
  serverToken: string | null;
  active: boolean | null;
  valid: string | null;
  reasons: unknown[] | null;
}

export interface StatusError {
  statusItem: string;
  reasons: unknown[];
}

export interface StatusReport {
  full: boolean;
  /** Every reported item by dotted name, management.declarations excluded; `merge`: an incremental array. */
  items: Array<{ name: string; value: unknown; merge?: boolean }>;
  /** management.declarations, when reported. */
  declarations: DeclarationStatus[] | null;
  errors: StatusError[];
}

export const DECLARATIONS_ITEM = 'management.declarations';

/** Apple's plural group names in management.declarations → declaration kind. */
const GROUPS: Record<string, DeclarationKind> = {
  activations: 'activation',
  configurations: 'configuration',
  assets: 'asset',
  management: 'management',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(message: string): never {
  throw new StatusReportError(message);
}

/** Leaves of the nested StatusItems, each under its dotted name. */
export function flattenStatusItems(tree: Record<string, unknown>, prefix = '', out: Array<{ name: string; value: unknown }> = []) {
  for (const [key, value] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (statusItemSpec(name) || !isObject(value) || Object.keys(value).length === 0) out.push({ name, value });
    else flattenStatusItems(value, name, out);
  }
  return out;
}

function declarationStatuses(value: unknown): DeclarationStatus[] {
  if (!isObject(value)) bad(`${DECLARATIONS_ITEM} must be an object of activations, configurations, assets and management`);
  const out: DeclarationStatus[] = [];
  for (const [group, entries] of Object.entries(value)) {
    const kind = GROUPS[group];
    const where = `${DECLARATIONS_ITEM}.${group}`;
    if (!kind) bad(`${where}: unknown group (expected ${Object.keys(GROUPS).join(', ')})`);
    if (!Array.isArray(entries)) bad(`${where} must be an array`);
    entries.forEach((e: unknown, i) => {
      const at = `${where}[${i}]`;
      if (!isObject(e)) bad(`${at} must be an object`);
      if (typeof e.identifier !== 'string' || e.identifier === '') bad(`${at}.identifier must be a non-empty string`);
      const token = e['server-token'];
      if (token !== undefined && typeof token !== 'string') bad(`${at}.server-token must be a string`);
      if (e.active !== undefined && typeof e.active !== 'boolean') bad(`${at}.active must be a boolean`);
      if (e.valid !== undefined && typeof e.valid !== 'string') bad(`${at}.valid must be a string`);
      if (e.reasons !== undefined && !Array.isArray(e.reasons)) bad(`${at}.reasons must be an array`);
      out.push({
        identifier: e.identifier,
        kind,
        serverToken: (token as string | undefined) ?? null,
        active: (e.active as boolean | undefined) ?? null,
        valid: (e.valid as string | undefined) ?? null,
        reasons: (e.reasons as unknown[] | undefined) ?? null,
      });
    });
  }
  return out;
}

function statusErrors(value: unknown): StatusError[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) bad('Errors must be an array');
  return value.map((e: unknown, i) => {
    if (!isObject(e) || typeof e.StatusItem !== 'string') bad(`Errors[${i}].StatusItem must be a string`);
    if (e.Reasons !== undefined && !Array.isArray(e.Reasons)) bad(`Errors[${i}].Reasons must be an array`);
    return { statusItem: e.StatusItem, reasons: (e.Reasons as unknown[] | undefined) ?? [] };
  });
}

/** A full report's arrays are complete: entries marked `_removed` have no place in them. */
function withoutRemoved(item: { name: string; value: unknown }): { name: string; value: unknown } {
  if (!Array.isArray(item.value)) return item;
  return { ...item, value: item.value.filter((e: unknown) => !(isObject(e) && e._removed === true)) };
}

export function parseStatusReport(data: Buffer | null): StatusReport {
  if (!data || data.length === 0) bad('the status report is empty (expected JSON in the check-in Data)');
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (err) {
    bad(`the status report is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(json)) bad('the status report must be a JSON object');
  if (!isObject(json.StatusItems)) bad('StatusItems is required (an object)');
  if (json.FullReport !== undefined && typeof json.FullReport !== 'boolean') bad('FullReport must be a boolean');
  const flat = flattenStatusItems(json.StatusItems);
  const decl = flat.find((i) => i.name === DECLARATIONS_ITEM);
  const full = json.FullReport === true;
  return {
    full,
    items: flat
      .filter((i) => i.name !== DECLARATIONS_ITEM)
      .map((i) => (full ? withoutRemoved(i) : { ...i, merge: Array.isArray(i.value) && statusItemSpec(i.name)?.type === 'array' })),
    declarations: decl ? declarationStatuses(decl.value) : null,
    errors: statusErrors(json.Errors),
  };
}
