// Sync tokens derived from content, never counters: a declaration's ServerToken is a hash of its
// canonical JSON, and an enrollment's DeclarationsToken a hash of its effective (identifier,
// ServerToken) set, so both change exactly when what the device would fetch changes.
import { createHash } from 'node:crypto';
import type { DeclarationItem } from './types.js';

/** JSON with object keys sorted at every depth: equal content, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** 64 hex characters: Apple's limit for a ServerToken is 64 octets. */
export function serverToken(type: string, identifier: string, payload: Record<string, unknown>): string {
  return sha256(canonicalJson({ Identifier: identifier, Payload: payload, Type: type }));
}

export function declarationsToken(items: Iterable<Pick<DeclarationItem, 'identifier' | 'serverToken'>>): string {
  const lines = [...items].map((i) => `${i.identifier}\u0000${i.serverToken}`).sort();
  return sha256(lines.join('\n'));
}

/** The SyncTokens Timestamp form: RFC 3339 UTC without fractional seconds. */
export function syncTimestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
