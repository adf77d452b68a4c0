// `updraft catalog import FILE --kind KIND [--force] [--json]`, `updraft catalog list [--json]` and
// `updraft catalog show KIND`: OS update catalogs on a running server (PUT /v1/catalogs/{kind},
// GET /v1/catalogs, GET /v1/catalogs/{kind}). A refused file exits 1 with the server's reason.
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { ApiClient, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';
import { CATALOG_KINDS } from '../osupdate/types.js';

interface CatalogJson {
  kind: string;
  held: boolean;
  valid: boolean;
  source: string | null;
  fetched_at: string | null;
  content_date: string | null;
  age_days: number | null;
  entries: number;
  stale: boolean;
  stale_reason: string | null;
  last_error: { at: string; message: string } | null;
  changed?: boolean;
}

interface ImportOptions extends ClientOptions {
  kind: string;
  force?: boolean;
}

const day = (iso: string | null): string | null => iso?.slice(0, 10) ?? null;

function state(c: CatalogJson): string {
  if (!c.held) return 'none';
  return c.stale ? `stale: ${c.stale_reason}` : 'valid';
}

export function register(program: Command): void {
  const catalog = program.command('catalog').description('OS update catalogs (gdmf, SOFA feeds, sucatalog): import one, list them');

  clientOptions(
    catalog
      .command('import <file>')
      .description('import a catalog file (JSON or .sucatalog, gzipped or not; - reads stdin); an older one than the server holds needs --force')
      .addOption(new Option('--kind <kind>', 'what the file is').choices([...CATALOG_KINDS]).makeOptionMandatory())
      .option('--force', 'replace the held catalog even if this one is older'),
  ).action(
    action(async (file: string, opts: ImportOptions) => {
      const body = readInput(file, 'the catalog file');
      const q = new URLSearchParams({ file: file === '-' ? 'stdin' : basename(file) });
      if (opts.force) q.set('force', '1');
      const { body: out } = await new ApiClient(opts).request('PUT', `/v1/catalogs/${opts.kind}?${q}`, body, {
        headers: { 'content-type': 'application/octet-stream' },
      });
      if (opts.json) return printJson(out);
      const c = out as CatalogJson;
      const what = c.changed ? 'imported' : 'unchanged (the server already holds this document)';
      console.log(`${c.kind}: ${what} from ${c.source}: ${c.entries} entries, newest release ${day(c.content_date) ?? 'undated'}; ${state(c)}`);
    }),
  );

  clientOptions(catalog.command('list').description('the catalogs the server holds: source, when fetched, entries, age, validity, last error')).action(
    action(async (opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('GET', '/v1/catalogs');
      if (opts.json) return printJson(body);
      const list = (body as { catalogs: CatalogJson[] }).catalogs;
      console.log(
        table(
          ['KIND', 'SOURCE', 'FETCHED', 'ENTRIES', 'NEWEST', 'AGE', 'STATE', 'LAST ERROR'],
          list.map((c) => [
            c.kind,
            c.source,
            shortTime(c.fetched_at),
            c.held ? c.entries : null,
            day(c.content_date),
            c.age_days === null ? null : `${c.age_days}d`,
            state(c),
            c.last_error ? `${shortTime(c.last_error.at)} ${c.last_error.message}` : null,
          ]),
        ),
      );
    }),
  );

  clientOptions(catalog.command('show <kind>').description('one catalog as JSON, with a summary of what it holds'), { json: false }).action(
    action(async (kind: string, opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('GET', `/v1/catalogs/${encodeURIComponent(kind)}`);
      printJson(body);
    }),
  );
}
