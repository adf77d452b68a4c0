// `updraft apikey create --role admin|operator|read-only [--name N]`, `updraft apikey list`,
// `updraft apikey revoke ID|NAME`: API keys with roles (POST/GET /v1/apikeys, DELETE /v1/apikeys/{id});
// an admin key is needed, such as the server's own (--api-key or data/api-key).
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';

interface KeyJson {
  id: string;
  name: string;
  role: string;
  created_at: string;
  revoked_at: string | null;
  key?: string;
}

const ROLES = ['admin', 'operator', 'read-only'];

export function register(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('API keys with roles: admin (everything), operator (commands, pushes, campaigns, DDM; no settings, keys or certificates), read-only');

  clientOptions(
    apikey
      .command('create')
      .description('create a key; it is printed once (the server keeps only its SHA-256)')
      .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
      .option('--name <name>', 'a name for the audit log and revoke (letters, digits, . _ @ -; default: the id)'),
  ).action(
    action(async (opts: ClientOptions & { role: string; name?: string }) => {
      if (!ROLES.includes(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}, got ${opts.role}`);
      const { body } = await new ApiClient(opts).request('POST', '/v1/apikeys', { role: opts.role, ...(opts.name ? { name: opts.name } : {}) });
      if (opts.json) return printJson(body);
      const k = body as KeyJson;
      console.error(`created ${k.role} key ${k.name} (id ${k.id}); it is not shown again:`);
      console.log(k.key);
    }),
  );

  clientOptions(apikey.command('list').description('list the keys (never the keys themselves), revoked ones too')).action(
    action(async (opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('GET', '/v1/apikeys');
      if (opts.json) return printJson(body);
      const keys = (body as { keys: KeyJson[] }).keys;
      if (keys.length === 0) return console.log('no API keys but the server\'s own (admin)');
      console.log(table(['ID', 'NAME', 'ROLE', 'CREATED', 'REVOKED'], keys.map((k) => [k.id, k.name, k.role, shortTime(k.created_at), shortTime(k.revoked_at)])));
    }),
  );

  clientOptions(apikey.command('revoke <id-or-name>').description('revoke a key: refused from its next request on')).action(
    action(async (which: string, opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('DELETE', `/v1/apikeys/${encodeURIComponent(which)}`);
      if (opts.json) return printJson(body);
      const k = body as KeyJson;
      console.log(`revoked ${k.role} key ${k.name} (id ${k.id}) at ${shortTime(k.revoked_at)}`);
    }),
  );
}
