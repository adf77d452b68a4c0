// Generates src/osupdate/inventory/queries.generated.ts: for every DeviceInformation query Apple's
// schema lists, the OSes that cannot answer it (false), the version that introduced it, and whether
// User Enrollment forbids it. The inventory asks each device only what its OS and enrollment can answer.
// Run: npx tsx scripts/gen-inventory-queries.ts [schemaDir] [outDir]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  defaultSchemaDir, generatedHeader, isObj, OS_NAMES, readYaml, repoRoot, str, type Yaml,
} from './lib/schema-yaml.js';

type Availability = false | { introduced?: string; userEnrollment?: 'forbidden' };

function availability(supported: unknown): Record<string, Availability> {
  const out: Record<string, Availability> = {};
  if (!isObj(supported)) return out;
  for (const os of OS_NAMES) {
    const o = supported[os];
    if (!isObj(o)) continue;
    const introduced = str(o.introduced);
    if (introduced === 'n/a') {
      out[os] = false;
      continue;
    }
    const a: Exclude<Availability, false> = {};
    if (introduced !== undefined) a.introduced = introduced;
    if (isObj(o.userenrollment) && o.userenrollment.mode === 'forbidden') a.userEnrollment = 'forbidden';
    out[os] = a;
  }
  return out;
}

/** The text of queries.generated.ts for the schema in `dir`. */
export function renderQueries(dir: string): { text: string; count: number } {
  const y = readYaml(join(dir, 'mdm', 'commands', 'information.device.yaml'));
  const queries = ((y.payloadkeys as Yaml[]) ?? []).find((k) => k.key === 'Queries');
  const item = ((queries?.subkeys as Yaml[] | undefined) ?? [])[0];
  const keys = (item?.subkeys as Yaml[] | undefined) ?? [];
  if (keys.length === 0) throw new Error('information.device.yaml: no Queries item values');
  const lines = keys.map((k) => `  ${JSON.stringify(str(k.key))}: ${JSON.stringify(availability(k.supportedOS))},`);
  const text = [
    ...generatedHeader('scripts/gen-inventory-queries.ts', dir),
    "import type { QueryAvailability } from './queries.js';",
    '',
    '/** Per DeviceInformation query: OSes where it is absent (false), or when it came and whether User Enrollment forbids it. */',
    'export const QUERY_AVAILABILITY: Readonly<Record<string, QueryAvailability>> = {',
    ...lines,
    '};',
    '',
  ].join('\n');
  return { text, count: keys.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemaDir = process.argv[2] ?? defaultSchemaDir;
  const outDir = process.argv[3] ?? join(repoRoot, 'src', 'osupdate', 'inventory');
  const { text, count } = renderQueries(schemaDir);
  const out = join(outDir, 'queries.generated.ts');
  writeFileSync(out, text);
  writeFileSync(join(outDir, 'APPLE-LICENSE.txt'), readFileSync(join(schemaDir, 'LICENSE.txt')));
  console.log(`${count} queries, ${text.length} bytes → ${out}`);
}
