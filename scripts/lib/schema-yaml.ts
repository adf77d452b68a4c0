// What the generators share when they walk Apple's device-management YAML (scripts/gen-commands.ts,
// scripts/gen-declarations.ts): reading a file, the key tree (types, presence, ranges, subkeys),
// OS availability spans, the schema release, and the header and output of a generated catalog.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { KeyAvailability, KeySpec, KeyType, OsName, VersionSpan } from '../../src/commands/types.js';

export type Yaml = Record<string, unknown>;

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Where the schema checkout lives unless a generator is given another folder. */
export const defaultSchemaDir = join(repoRoot, '..', 'shared', 'apple-device-management');

export const OS_NAMES: readonly OsName[] = ['iOS', 'macOS', 'tvOS', 'visionOS', 'watchOS'];
const KEY_TYPES = new Set<KeyType>(['string', 'integer', 'real', 'boolean', 'data', 'date', 'array', 'dictionary', 'any']);

export const isObj = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export function readYaml(file: string): Yaml {
  return parse(readFileSync(file, 'utf8')) as Yaml;
}

/** introduced / deprecated / removed of one OS entry, leaving out 'n/a'. */
export function versionSpan(o: Yaml): VersionSpan {
  const span: VersionSpan = {};
  for (const k of ['introduced', 'deprecated', 'removed'] as const) {
    const v = str(o[k]);
    if (v !== undefined && v !== 'n/a') span[k] = v;
  }
  return span;
}

/** The OSes a supportedOS block says support the item (introduced, and not 'n/a'), with their spans. */
export function supportedOs(supported: unknown): Partial<Record<OsName, VersionSpan>> {
  const out: Partial<Record<OsName, VersionSpan>> = {};
  if (!isObj(supported)) return out;
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o) || o.introduced === undefined || str(o.introduced) === 'n/a') continue;
    out[os] = versionSpan(o);
  }
  return out;
}

/** A key's own supportedOS: false where it is 'n/a', its span where it has one. */
function keyOs(supported: unknown): KeyAvailability | undefined {
  if (!isObj(supported)) return undefined;
  const out: KeyAvailability = {};
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o)) continue;
    if (str(o.introduced) === 'n/a') out[os] = false;
    else if (Object.keys(versionSpan(o)).length) out[os] = versionSpan(o);
  }
  return Object.keys(out).length ? out : undefined;
}

export function keyType(raw: unknown, where: string): KeyType {
  const t = str(raw)?.replace(/^<|>$/g, '') as KeyType | undefined;
  if (!t || !KEY_TYPES.has(t)) throw new Error(`${where}: unknown type ${String(raw)}`);
  return t;
}

export interface KeyOptions {
  /** Keep each key's own OS availability (command payloads and responses do; declarations do not). */
  withOs?: boolean;
}

/** One payload key and its subtree. Array items are never required; a scalar key must not have subkeys. */
export function keySpec(k: Yaml, where: string, opts: KeyOptions = {}): KeySpec {
  const name = str(k.key)!;
  const path = `${where}.${name}`;
  const wildcard = name === 'ANY' || name.startsWith('ANY ');
  const spec: KeySpec = { key: wildcard ? 'ANY' : name, type: keyType(k.type, path) };
  if (k.presence === 'required' && !wildcard) spec.required = true;
  if (Array.isArray(k.rangelist)) spec.values = k.rangelist as Array<string | number>;
  if (isObj(k.range)) {
    spec.range = {};
    if (typeof k.range.min === 'number') spec.range.min = k.range.min;
    if (typeof k.range.max === 'number') spec.range.max = k.range.max;
  }
  if (['string', 'number', 'boolean'].includes(typeof k.default)) spec.default = k.default as string | number | boolean;
  const os = opts.withOs ? keyOs(k.supportedOS) : undefined;
  if (os) spec.os = os;
  const subkeys = Array.isArray(k.subkeys) ? (k.subkeys as Yaml[]) : [];
  if (spec.type === 'dictionary') spec.keys = subkeys.map((s) => keySpec(s, path, opts));
  else if (spec.type === 'array') spec.items = subkeys.map((s) => itemSpec({ ...s, presence: undefined }, path, opts));
  else if (subkeys.length) throw new Error(`${path}: subkeys on a scalar key`);
  return spec;
}

/** An array item: a scalar item may list its possible values as subkeys (DeviceInformation queries). */
function itemSpec(k: Yaml, where: string, opts: KeyOptions): KeySpec {
  const t = keyType(k.type, where);
  if (t === 'dictionary' || t === 'array' || !Array.isArray(k.subkeys)) return keySpec(k, where, opts);
  const { subkeys, ...rest } = k;
  const spec = keySpec(rest, where, opts);
  spec.known = (subkeys as Yaml[]).map((s) => str(s.key)!);
  return spec;
}

/** The schema checkout's release tag and commit, from its SOURCE file. */
export function schemaRelease(dir: string): { release: string; commit: string } {
  const source = readFileSync(join(dir, 'SOURCE'), 'utf8');
  return {
    release: /release tag (\S+)/.exec(source)?.[1] ?? 'unknown',
    commit: /commit ([0-9a-f]{40})/.exec(source)?.[1] ?? 'unknown',
  };
}

/** The comment block that opens a generated catalog. */
export function generatedHeader(script: string, dir: string): string[] {
  const { release, commit } = schemaRelease(dir);
  return [
    `// GENERATED by ${script}: do not edit; regenerate with \`npx tsx ${script}\`.`,
    '// Derived from Apple\'s device-management schema (github.com/apple/device-management, MIT licence),',
    `// release ${release}, commit ${commit}. Copyright © 2022-2024 Apple Inc.;`,
    '// the licence notice travels with this file in ./APPLE-LICENSE.txt.',
  ];
}

/** `name = [` one JSON spec per line `];` */
export function specArray(declaration: string, specs: readonly unknown[]): string[] {
  return [declaration, ...specs.map((s) => `${JSON.stringify(s)},`), '];', ''];
}

/** Write catalog.generated.ts and Apple's licence beside it; returns the path written. */
export function writeCatalog(schemaDir: string, outDir: string, text: string): string {
  const out = join(outDir, 'catalog.generated.ts');
  writeFileSync(out, text);
  writeFileSync(join(outDir, 'APPLE-LICENSE.txt'), readFileSync(join(schemaDir, 'LICENSE.txt')));
  return out;
}
