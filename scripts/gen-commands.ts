// Generates src/commands/catalog.generated.ts from Apple's device-management schema
// (../shared/apple-device-management/mdm/commands/*.yaml), and descriptions.generated.ts beside it:
// Apple's description of each command and key, kept apart so only `updraft cmd --help` loads them.
// Run: npx tsx scripts/gen-commands.ts [schemaDir] [outDir]
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandSpec, CommandText, EnrollmentMode, OsName, OsSupport } from '../src/commands/types.js';
import {
  defaultSchemaDir, generatedHeader, isObj, keySpec, OS_NAMES, readYaml, repoRoot, schemaRelease, specArray, str, versionSpan,
  writeCatalog, type Yaml,
} from './lib/schema-yaml.js';

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

const mode = (v: unknown): EnrollmentMode | undefined => (isObj(v) ? (str(v.mode) as EnrollmentMode) : undefined);

function commandOs(supported: unknown): CommandSpec['os'] {
  const out: CommandSpec['os'] = {};
  if (!isObj(supported)) return out;
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o) || str(o.introduced) === 'n/a' || o.introduced === undefined) continue;
    const s: OsSupport = {
      ...versionSpan(o),
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

function commandSpec(file: string): CommandSpec {
  const y = readYaml(file);
  const payload = y.payload as Yaml;
  const requestType = str(payload.requesttype)!;
  const spec: CommandSpec = {
    requestType,
    title: str(y.title)!.replace(/ Command$/, ''),
    os: commandOs(payload.supportedOS),
    payload: ((y.payloadkeys as Yaml[] | undefined) ?? []).map((k) => keySpec(k, requestType, { withOs: true })),
  };
  for (const [os, version] of Object.entries(DEPRECATED_AFTER_SCHEMA[requestType] ?? {})) {
    const s = spec.os[os as OsName];
    if (s && !s.deprecated) s.deprecated = version;
  }
  if (Array.isArray(y.responsekeys)) {
    spec.response = (y.responsekeys as Yaml[]).map((k) => keySpec(k, `${requestType} response`, { withOs: true }));
  }
  return spec;
}

const yamlFiles = (dir: string): string[] => {
  const commandsDir = join(dir, 'mdm', 'commands');
  return readdirSync(commandsDir).filter((f) => f.endsWith('.yaml')).map((f) => join(commandsDir, f));
};

/** The text of catalog.generated.ts for the schema release in `dir`. */
export function renderCatalog(dir: string): { text: string; count: number } {
  const specs = yamlFiles(dir).map(commandSpec).sort((a, b) => a.requestType.localeCompare(b.requestType));

  const { release, commit } = schemaRelease(dir);
  const text = [
    ...generatedHeader('scripts/gen-commands.ts', dir),
    "import type { CommandSpec } from './types.js';",
    '',
    `export const SCHEMA_RELEASE = ${JSON.stringify(`${release} (${commit.slice(0, 8)})`)};`,
    '',
    ...specArray('export const CATALOG: readonly CommandSpec[] = [', specs),
  ].join('\n');
  return { text, count: specs.length };
}

/** Apple's text for each key of a tree, by path: `Updates`, `Updates[].InstallAction`; where an array's
 * items are one of several dictionaries (Settings), each item is named: `Settings[Wallpaper].Image`. */
function keyTexts(keys: readonly Yaml[] | undefined, prefix: string, out: Record<string, string>): Record<string, string> {
  for (const k of keys ?? []) {
    const name = str(k.key)!;
    const path = prefix ? `${prefix}.${name.startsWith('ANY') ? 'ANY' : name}` : name;
    const text = str(k.content)?.trim();
    if (text) out[path] = text;
    const subkeys = Array.isArray(k.subkeys) ? (k.subkeys as Yaml[]) : [];
    if (str(k.type) !== '<array>') {
      keyTexts(subkeys, path, out);
      continue;
    }
    for (const item of subkeys) {
      const at = subkeys.length > 1 ? `${path}[${str(item.key)}]` : `${path}[]`;
      const itemText = str(item.content)?.trim();
      if (itemText && subkeys.length > 1) out[at] = itemText;
      keyTexts(Array.isArray(item.subkeys) && str(item.type) === '<dictionary>' ? (item.subkeys as Yaml[]) : [], at, out);
    }
  }
  return out;
}

function commandText(file: string): [string, CommandText] {
  const y = readYaml(file);
  const payload = y.payload as Yaml;
  const text: CommandText = {
    description: (str(y.description) ?? str(payload.content) ?? '').trim(),
    payload: keyTexts(y.payloadkeys as Yaml[] | undefined, '', {}),
  };
  if (Array.isArray(y.responsekeys)) text.response = keyTexts(y.responsekeys as Yaml[], '', {});
  return [str(payload.requesttype)!, text];
}

/** The text of descriptions.generated.ts: Apple's descriptions of every command and key. */
export function renderDescriptions(dir: string): string {
  const entries = yamlFiles(dir).map(commandText).sort(([a], [b]) => a.localeCompare(b));
  return [
    ...generatedHeader('scripts/gen-commands.ts', dir),
    '// Loaded only by `updraft cmd --help`: the catalog itself carries no prose.',
    "import type { CommandText } from './types.js';",
    '',
    'export const DESCRIPTIONS: Readonly<Record<string, CommandText>> = {',
    ...entries.map(([type, text]) => `${JSON.stringify(type)}: ${JSON.stringify(text)},`),
    '};',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemaDir = process.argv[2] ?? defaultSchemaDir;
  const { text, count } = renderCatalog(schemaDir);
  const outDir = process.argv[3] ?? join(repoRoot, 'src', 'commands');
  const out = writeCatalog(schemaDir, outDir, text);
  const descriptions = renderDescriptions(schemaDir);
  writeFileSync(join(outDir, 'descriptions.generated.ts'), descriptions);
  console.log(`${count} commands, ${text.length} bytes → ${out}; descriptions ${descriptions.length} bytes`);
}
