// Generates src/ddm/catalog.generated.ts from Apple's declarative schema
// (../shared/apple-device-management/declarative/{declarations,status}/**/*.yaml): every declaration
// type with its payload keys, and every status item name with its value type.
// Run: npx tsx scripts/gen-declarations.ts [schemaDir] [outDir]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { KeySpec, KeyType, OsName, VersionSpan } from '../src/commands/types.js';
import type { DeclarationKind, DeclarationSpec, StatusItemSpec } from '../src/ddm/types.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const OS_NAMES: readonly OsName[] = ['iOS', 'macOS', 'tvOS', 'visionOS', 'watchOS'];
const KEY_TYPES = new Set<KeyType>(['string', 'integer', 'real', 'boolean', 'data', 'date', 'array', 'dictionary', 'any']);
/** Schema folder → declaration kind. */
const KIND_DIRS: Record<string, DeclarationKind> = {
  activations: 'activation',
  configurations: 'configuration',
  assets: 'asset',
  management: 'management',
};

type Yaml = Record<string, unknown>;
const isObj = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

function supportedOs(supported: unknown): Partial<Record<OsName, VersionSpan>> {
  const out: Partial<Record<OsName, VersionSpan>> = {};
  if (!isObj(supported)) return out;
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o) || o.introduced === undefined || str(o.introduced) === 'n/a') continue;
    const span: VersionSpan = {};
    for (const k of ['introduced', 'deprecated', 'removed'] as const) {
      const v = str(o[k]);
      if (v !== undefined && v !== 'n/a') span[k] = v;
    }
    out[os] = span;
  }
  return out;
}

function keyType(raw: unknown, where: string): KeyType {
  const t = str(raw)?.replace(/^<|>$/g, '') as KeyType | undefined;
  if (!t || !KEY_TYPES.has(t)) throw new Error(`${where}: unknown type ${String(raw)}`);
  return t;
}

function keySpec(k: Yaml, where: string, inArray = false): KeySpec {
  const name = str(k.key)!;
  const path = `${where}.${name}`;
  const wildcard = name === 'ANY' || name.startsWith('ANY ');
  const spec: KeySpec = { key: wildcard ? 'ANY' : name, type: keyType(k.type, path) };
  if (k.presence === 'required' && !wildcard && !inArray) spec.required = true;
  if (Array.isArray(k.rangelist)) spec.values = k.rangelist as Array<string | number>;
  if (isObj(k.range)) {
    spec.range = {};
    if (typeof k.range.min === 'number') spec.range.min = k.range.min;
    if (typeof k.range.max === 'number') spec.range.max = k.range.max;
  }
  if (['string', 'number', 'boolean'].includes(typeof k.default)) spec.default = k.default as string | number | boolean;
  const subkeys = Array.isArray(k.subkeys) ? (k.subkeys as Yaml[]) : [];
  if (spec.type === 'dictionary') spec.keys = subkeys.map((s) => keySpec(s, path));
  else if (spec.type === 'array') spec.items = subkeys.map((s) => keySpec(s, path, true));
  return spec;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? [] : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

function declarationSpec(file: string, kind: DeclarationKind): DeclarationSpec {
  const y = parse(readFileSync(file, 'utf8')) as Yaml;
  const payload = y.payload as Yaml;
  const type = str(payload.declarationtype)!;
  const spec: DeclarationSpec = {
    type,
    kind,
    title: str(y.title)!,
    os: supportedOs(payload.supportedOS),
    payload: ((y.payloadkeys as Yaml[] | undefined) ?? []).map((k) => keySpec(k, type)),
  };
  const apply = str(payload.apply);
  if (apply === 'single' || apply === 'multiple' || apply === 'combined') spec.apply = apply;
  return spec;
}

function statusItemSpec(file: string): StatusItemSpec | null {
  const y = parse(readFileSync(file, 'utf8')) as Yaml;
  const payload = y.payload as Yaml;
  const name = str(payload.statusitemtype);
  if (!name) return null; // statusreason.yaml describes a shape, not an item
  const key = ((y.payloadkeys as Yaml[] | undefined) ?? []).find((k) => k.key === name);
  return { name, type: keyType(key?.type ?? '<any>', name), os: supportedOs(payload.supportedOS) };
}

/** The text of catalog.generated.ts for the schema release in `dir`. */
export function renderDeclarationCatalog(dir: string): { text: string; declarations: number; statusItems: number } {
  const root = join(dir, 'declarative');
  const specs = Object.entries(KIND_DIRS)
    .flatMap(([sub, kind]) => yamlFiles(join(root, 'declarations', sub)).map((f) => declarationSpec(f, kind)))
    .sort((a, b) => a.type.localeCompare(b.type));
  const items = yamlFiles(join(root, 'status'))
    .map(statusItemSpec)
    .filter((s): s is StatusItemSpec => s !== null && !s.name.startsWith('test.'))
    .sort((a, b) => a.name.localeCompare(b.name));

  const source = readFileSync(join(dir, 'SOURCE'), 'utf8');
  const release = /release tag (\S+)/.exec(source)?.[1] ?? 'unknown';
  const commit = /commit ([0-9a-f]{40})/.exec(source)?.[1] ?? 'unknown';

  const text = [
    '// GENERATED by scripts/gen-declarations.ts: do not edit; regenerate with `npx tsx scripts/gen-declarations.ts`.',
    '// Derived from Apple\'s device-management schema (github.com/apple/device-management, MIT licence),',
    `// release ${release}, commit ${commit}. Copyright © 2022-2024 Apple Inc.;`,
    '// the licence notice travels with this file in ./APPLE-LICENSE.txt.',
    "import type { DeclarationSpec, StatusItemSpec } from './types.js';",
    '',
    'export const DECLARATION_CATALOG: readonly DeclarationSpec[] = [',
    ...specs.map((s) => `${JSON.stringify(s)},`),
    '];',
    '',
    'export const STATUS_ITEM_CATALOG: readonly StatusItemSpec[] = [',
    ...items.map((s) => `${JSON.stringify(s)},`),
    '];',
    '',
  ].join('\n');
  return { text, declarations: specs.length, statusItems: items.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemaDir = process.argv[2] ?? join(repoRoot, '..', 'shared', 'apple-device-management');
  const outDir = process.argv[3] ?? join(repoRoot, 'src', 'ddm');
  const { text, declarations, statusItems } = renderDeclarationCatalog(schemaDir);
  writeFileSync(join(outDir, 'catalog.generated.ts'), text);
  writeFileSync(join(outDir, 'APPLE-LICENSE.txt'), readFileSync(join(schemaDir, 'LICENSE.txt')));
  console.log(`${declarations} declaration types, ${statusItems} status items, ${text.length} bytes → ${join(outDir, 'catalog.generated.ts')}`);
}
