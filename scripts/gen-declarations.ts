// Generates src/ddm/catalog.generated.ts from Apple's declarative schema
// (../shared/apple-device-management/declarative/{declarations,status}/**/*.yaml): every declaration
// type with its payload keys, and every status item name with its value type.
// Run: npx tsx scripts/gen-declarations.ts [schemaDir] [outDir]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DeclarationKind, DeclarationSpec, StatusItemSpec } from '../src/ddm/types.js';
import {
  defaultSchemaDir, generatedHeader, keySpec, keyType, readYaml, repoRoot, specArray, str, supportedOs, writeCatalog, type Yaml,
} from './lib/schema-yaml.js';

/** Schema folder → declaration kind. */
const KIND_DIRS: Record<string, DeclarationKind> = {
  activations: 'activation',
  configurations: 'configuration',
  assets: 'asset',
  management: 'management',
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? [] : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

function declarationSpec(file: string, kind: DeclarationKind): DeclarationSpec {
  const y = readYaml(file);
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
  const y = readYaml(file);
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

  const text = [
    ...generatedHeader('scripts/gen-declarations.ts', dir),
    "import type { DeclarationSpec, StatusItemSpec } from './types.js';",
    '',
    ...specArray('export const DECLARATION_CATALOG: readonly DeclarationSpec[] = [', specs),
    ...specArray('export const STATUS_ITEM_CATALOG: readonly StatusItemSpec[] = [', items),
  ].join('\n');
  return { text, declarations: specs.length, statusItems: items.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemaDir = process.argv[2] ?? defaultSchemaDir;
  const { text, declarations, statusItems } = renderDeclarationCatalog(schemaDir);
  const out = writeCatalog(schemaDir, process.argv[3] ?? join(repoRoot, 'src', 'ddm'), text);
  console.log(`${declarations} declaration types, ${statusItems} status items, ${text.length} bytes → ${out}`);
}
