// Generates src/commands/catalog.generated.ts from Apple's device-management schema
// (../shared/apple-device-management/mdm/commands/*.yaml).
// Run: npx tsx scripts/gen-commands.ts [schemaDir] [outDir]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type {
  CommandSpec, EnrollmentMode, KeyAvailability, KeySpec, KeyType, OsName, OsSupport, VersionSpan,
} from '../src/commands/types.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const OS_NAMES: readonly OsName[] = ['iOS', 'macOS', 'tvOS', 'visionOS', 'watchOS'];
const KEY_TYPES = new Set<KeyType>(['string', 'integer', 'real', 'boolean', 'data', 'date', 'array', 'dictionary', 'any']);

/**
 * Facts newer than the schema release: Apple's 2026 documentation files the four legacy OS-update
 * commands under "Removed commands" with availability ending at 26.0 (see docs PROTOCOL.md §0).
 * They still run on 26.0, so they are marked deprecated there.
 */
const DEPRECATED_AFTER_SCHEMA: Record<string, Partial<Record<OsName, string>>> = {
  ScheduleOSUpdateScan: { macOS: '26.0' },
  AvailableOSUpdates: { iOS: '26.0', macOS: '26.0', tvOS: '26.0' },
  ScheduleOSUpdate: { iOS: '26.0', macOS: '26.0', tvOS: '26.0' },
  OSUpdateStatus: { iOS: '26.0', macOS: '26.0', tvOS: '26.0' },
};

type Yaml = Record<string, unknown>;
const isObj = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const mode = (v: unknown): EnrollmentMode | undefined => (isObj(v) ? (str(v.mode) as EnrollmentMode) : undefined);

function versions(o: Yaml): VersionSpan {
  const span: VersionSpan = {};
  for (const k of ['introduced', 'deprecated', 'removed'] as const) {
    const v = str(o[k]);
    if (v !== undefined && v !== 'n/a') span[k] = v;
  }
  return span;
}

function commandOs(supported: unknown): CommandSpec['os'] {
  const out: CommandSpec['os'] = {};
  if (!isObj(supported)) return out;
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o) || str(o.introduced) === 'n/a' || o.introduced === undefined) continue;
    const s: OsSupport = {
      ...versions(o),
      introduced: str(o.introduced)!,
      deviceChannel: o.devicechannel === undefined ? true : o.devicechannel === true,
      userChannel: o.userchannel === true,
    };
    const rights = str(o.accessrights);
    if (rights && rights !== 'None' && rights !== 'n/a') s.accessRights = rights;
    if (o.supervised === true) s.supervised = true;
    if (o.requiresdep === true) s.requiresDEP = true;
    if (o.userapprovedmdm === true) s.userApprovedMDM = true;
    if (isObj(o.sharedipad)) {
      s.sharedIPad = {
        mode: mode(o.sharedipad) ?? 'allowed',
        deviceChannel: o.sharedipad.devicechannel !== false,
        userChannel: o.sharedipad.userchannel === true,
      };
    }
    const ue = mode(o.userenrollment);
    if (ue) s.userEnrollment = ue;
    out[os] = s;
  }
  return out;
}

function keyOs(supported: unknown): KeyAvailability | undefined {
  if (!isObj(supported)) return undefined;
  const out: KeyAvailability = {};
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o)) continue;
    if (str(o.introduced) === 'n/a') out[os] = false;
    else if (Object.keys(versions(o)).length) out[os] = versions(o);
  }
  return Object.keys(out).length ? out : undefined;
}

function keyType(raw: unknown, where: string): KeyType {
  const t = str(raw)?.replace(/^<|>$/g, '') as KeyType | undefined;
  if (!t || !KEY_TYPES.has(t)) throw new Error(`${where}: unknown type ${String(raw)}`);
  return t;
}

function keySpec(k: Yaml, where: string, withOs: boolean): KeySpec {
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
  const os = withOs ? keyOs(k.supportedOS) : undefined;
  if (os) spec.os = os;
  const subkeys = Array.isArray(k.subkeys) ? (k.subkeys as Yaml[]) : [];
  if (spec.type === 'dictionary') spec.keys = subkeys.map((s) => keySpec(s, path, withOs));
  else if (spec.type === 'array') spec.items = subkeys.map((s) => itemSpec({ ...s, presence: undefined }, path, withOs));
  else if (subkeys.length) throw new Error(`${path}: subkeys on a scalar key`);
  return spec;
}

/** An array item: a scalar item may list its possible values as subkeys (DeviceInformation queries). */
function itemSpec(k: Yaml, where: string, withOs: boolean): KeySpec {
  const t = keyType(k.type, where);
  if (t === 'dictionary' || t === 'array' || !Array.isArray(k.subkeys)) return keySpec(k, where, withOs);
  const { subkeys, ...rest } = k;
  const spec = keySpec(rest, where, withOs);
  spec.known = (subkeys as Yaml[]).map((s) => str(s.key)!);
  return spec;
}

function commandSpec(file: string): CommandSpec {
  const y = parse(readFileSync(file, 'utf8')) as Yaml;
  const payload = y.payload as Yaml;
  const requestType = str(payload.requesttype)!;
  const spec: CommandSpec = {
    requestType,
    title: str(y.title)!.replace(/ Command$/, ''),
    os: commandOs(payload.supportedOS),
    payload: ((y.payloadkeys as Yaml[] | undefined) ?? []).map((k) => keySpec(k, requestType, true)),
  };
  for (const [os, version] of Object.entries(DEPRECATED_AFTER_SCHEMA[requestType] ?? {})) {
    const s = spec.os[os as OsName];
    if (s && !s.deprecated) s.deprecated = version;
  }
  if (Array.isArray(y.responsekeys)) {
    spec.response = (y.responsekeys as Yaml[]).map((k) => keySpec(k, `${requestType} response`, false));
  }
  return spec;
}

/** The text of catalog.generated.ts for the schema release in `dir`. */
export function renderCatalog(dir: string): { text: string; count: number } {
  const commandsDir = join(dir, 'mdm', 'commands');
  const specs = readdirSync(commandsDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => commandSpec(join(commandsDir, f)))
    .sort((a, b) => a.requestType.localeCompare(b.requestType));

  const source = readFileSync(join(dir, 'SOURCE'), 'utf8');
  const release = /release tag (\S+)/.exec(source)?.[1] ?? 'unknown';
  const commit = /commit ([0-9a-f]{40})/.exec(source)?.[1] ?? 'unknown';

  const text = [
    '// GENERATED by scripts/gen-commands.ts: do not edit; regenerate with `npx tsx scripts/gen-commands.ts`.',
    '// Derived from Apple\'s device-management schema (github.com/apple/device-management, MIT licence),',
    `// release ${release}, commit ${commit}. Copyright © 2022-2024 Apple Inc.;`,
    '// the licence notice travels with this file in ./APPLE-LICENSE.txt.',
    "import type { CommandSpec } from './types.js';",
    '',
    `export const SCHEMA_RELEASE = ${JSON.stringify(`${release} (${commit.slice(0, 8)})`)};`,
    '',
    'export const CATALOG: readonly CommandSpec[] = [',
    ...specs.map((s) => `${JSON.stringify(s)},`),
    '];',
    '',
  ].join('\n');
  return { text, count: specs.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemaDir = process.argv[2] ?? join(repoRoot, '..', 'shared', 'apple-device-management');
  const outDir = process.argv[3] ?? join(repoRoot, 'src', 'commands');
  const { text, count } = renderCatalog(schemaDir);
  writeFileSync(join(outDir, 'catalog.generated.ts'), text);
  writeFileSync(join(outDir, 'APPLE-LICENSE.txt'), readFileSync(join(schemaDir, 'LICENSE.txt')));
  console.log(`${count} commands, ${text.length} bytes → ${join(outDir, 'catalog.generated.ts')}`);
}
