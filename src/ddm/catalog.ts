// Apple's declaration and status item catalog (generated from the schema) and declaration checking:
// a declaration from the API is checked key by key against its type's payload schema, and refused
// with the offending key path when it does not fit.
import { CommandValidationError } from '../commands/errors.js';
import { checkDict, isRecord, type Dialect } from '../commands/validate.js';
import type { PlistDict, PlistValue } from '../plist/index.js';
import { DECLARATION_CATALOG, STATUS_ITEM_CATALOG } from './catalog.generated.js';
import { DECLARATION_KINDS, type DeclarationKind, type DeclarationSpec, type StatusItemSpec } from './types.js';

const byType = new Map(DECLARATION_CATALOG.map((s) => [s.type, s]));
const statusByName = new Map(STATUS_ITEM_CATALOG.map((s) => [s.name, s]));

export function declarationSpec(type: string): DeclarationSpec | undefined {
  return byType.get(type);
}

export function listDeclarationTypes(): readonly DeclarationSpec[] {
  return DECLARATION_CATALOG;
}

export function statusItemSpec(name: string): StatusItemSpec | undefined {
  return statusByName.get(name);
}

/** Status item names of Apple's schema starting with any of the prefixes ("softwareupdate." or an exact name). */
export function statusItemsMatching(patterns: readonly string[]): string[] {
  return STATUS_ITEM_CATALOG.map((s) => s.name).filter((n) =>
    patterns.some((p) => (p.endsWith('.') ? n.startsWith(p) : n === p)),
  );
}

/** The kind a type names: com.apple.<kind>.… (also for Apple types newer than the schema). */
export function kindOfType(type: string): DeclarationKind | undefined {
  const known = byType.get(type)?.kind;
  if (known) return known;
  const m = /^com\.apple\.([a-z]+)\.[A-Za-z0-9.-]+$/.exec(type);
  return DECLARATION_KINDS.find((k) => k === m?.[1]);
}

/** Declarations travel as JSON: strings, numbers, booleans, arrays and objects; data and dates as strings. */
const JSON_DIALECT: Dialect = {
  find: (keys, name) => keys.find((k) => k.key === name),
  nameOf: (spec) => spec.key,
  ignores: () => false,
  scalar(type, v) {
    switch (type) {
      case 'string':
      case 'data':
      case 'date':
        return typeof v === 'string' ? v : undefined;
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
      case 'real':
        return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
      case 'boolean':
        return typeof v === 'boolean' ? v : undefined;
    }
  },
  dict: () => undefined,
  free: (v) => (v === undefined || v === null ? undefined : (v as PlistValue)),
  expects: { data: 'a base64 string', date: 'a date string' },
};

export interface DeclarationInput {
  Type: string;
  Identifier: string;
  Payload: Record<string, unknown>;
}

/** Identifiers the server keeps for its own declarations. */
export const RESERVED_PREFIX = 'updraft.';

function fail(field: string, reason: string): never {
  throw new CommandValidationError(field, reason);
}

/**
 * Checks a declaration (Type, Identifier, Payload) against Apple's schema. Apple types newer than the
 * schema are accepted with any payload dictionary; anything else that does not fit throws a
 * CommandValidationError naming the key ("Payload.TargetOSVersion: is required").
 */
export function checkDeclaration(input: unknown, opts: { allowReserved?: boolean } = {}): DeclarationInput & { kind: DeclarationKind } {
  if (!isRecord(input)) fail('', 'a declaration must be a JSON object with Type, Identifier and Payload');
  for (const key of Object.keys(input)) {
    if (!['Type', 'Identifier', 'Payload', 'ServerToken'].includes(key)) fail(key, 'unknown key (expected Type, Identifier, Payload)');
  }
  const { Type: type, Identifier: identifier, Payload: payload } = input;
  if (typeof type !== 'string' || type === '') fail('Type', 'is required (a declaration type such as com.apple.configuration.passcode.settings)');
  if (typeof identifier !== 'string' || identifier === '') fail('Identifier', 'is required (a string, a UUID is a good choice)');
  if (Buffer.byteLength(identifier, 'utf8') > 64) fail('Identifier', 'must not exceed 64 octets');
  if (/[\u0000-\u0020/\u007f]/.test(identifier)) fail('Identifier', 'must not contain spaces, control characters or "/"');
  if (!opts.allowReserved && identifier.startsWith(RESERVED_PREFIX)) fail('Identifier', `the prefix "${RESERVED_PREFIX}" is reserved for Updraft's own declarations`);
  const kind = kindOfType(type);
  if (!kind) fail('Type', `unknown declaration type ${JSON.stringify(type)} (expected com.apple.activation.*, com.apple.configuration.*, com.apple.asset.* or com.apple.management.*)`);
  if (payload === undefined) fail('Payload', 'is required (a dictionary)');
  if (!isRecord(payload)) fail('Payload', 'must be a dictionary');
  const spec = byType.get(type);
  const checked: PlistDict = spec ? checkDict(spec.payload, payload, 'Payload', JSON_DIALECT) : (payload as PlistDict);
  return { Type: type, Identifier: identifier, Payload: checked as Record<string, unknown>, kind };
}
