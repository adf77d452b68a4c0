// GET /v1/openapi.json: an OpenAPI 3.1 document generated from the route schemas of the API
// (every /v1 and /push route registered after this module), answered without an API key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import type { AppDeps } from '../app.js';
import { packageRoot } from '../../package-root.js';

type Json = Record<string, unknown>;

interface CollectedRoute {
  methods: string[];
  url: string;
  schema: FastifySchema;
}

const PUBLIC_PATH = '/v1/openapi.json';
const plain = (schema: unknown): Json => JSON.parse(JSON.stringify(schema ?? {})) as Json;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function parameters(where: 'path' | 'query', schema: unknown): Json[] {
  const s = plain(schema);
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

function operation(route: CollectedRoute, url: string): Json {
  const { schema } = route;
  const secured = url !== PUBLIC_PATH;
  const content: Json = {};
  if (schema.body) content['application/json'] = { schema: plain(schema.body) };
  for (const type of schema.consumes ?? []) content[type] = { schema: { type: 'string', format: 'binary' } };
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
    ...(Object.keys(content).length > 0 ? { requestBody: { content } } : {}),
    responses: {
      '200': { description: 'Success (JSON)' },
      '400': { description: 'Bad input: {error, field?}' },
      ...(secured ? { '401': { description: 'Missing, wrong or revoked API key' }, '403': { description: "The key's role may not call this route (see src/http/api/roles.ts)" } } : {}),
    },
    ...(secured ? {} : { security: [] }),
  };
}

/** Build the OpenAPI document from the collected routes. */
export function openApiDocument(routes: CollectedRoute[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const url = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const item = (paths[url] ??= {});
    for (const method of route.methods) item[method.toLowerCase()] = operation(route, url);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Updraft API',
      version: version(),
      description:
        'Updraft MDM server API. Authenticate with HTTP Basic (any user name, the API key as password) or "Authorization: Bearer KEY". ' +
        'NanoMDM- and MicroMDM-compatible routes answer in those servers\' shapes; errors are {error, field?}.',
    },
    components: {
      securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ basic: [] }, { bearer: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** Register first: the hook sees only routes added after it. */
export function registerOpenApi(app: FastifyInstance, _deps: AppDeps): void {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (opts: RouteOptions) => {
    if (!/^\/(v1|push)\//.test(opts.url)) return;
    const methods = (Array.isArray(opts.method) ? opts.method : [opts.method]).filter((m) => m !== 'HEAD');
    if (methods.length > 0) routes.push({ methods, url: opts.url, schema: opts.schema ?? {} });
  });
  let doc: Json | null = null;
  app.get(
    PUBLIC_PATH,
    { schema: { summary: 'This OpenAPI document (no API key needed)', tags: ['Updraft'] } },
    async () => (doc ??= openApiDocument(routes)),
  );
}
