// The dashboard's static files, served by the server itself: our CSS and page script from
// src/ui/static/ (read from there by the bundle too), htmx and uPlot from the project's own
// dependencies (no CDN).
// Each is read once and served with a content hash as ETag.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../package-root.js';

const require = createRequire(import.meta.url);
const own = (name: string): string => join(packageRoot, 'src/ui/static', name);

const FILES: Record<string, { path: () => string; type: string }> = {
  'htmx.min.js': { path: () => require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'ui.css': { path: () => own('ui.css'), type: 'text/css; charset=utf-8' },
  'ui.js': { path: () => own('ui.js'), type: 'text/javascript; charset=utf-8' },
};

export function registerAssets(app: FastifyInstance): void {
  const cache = new Map<string, { body: Buffer; etag: string }>();
  app.get<{ Params: { name: string } }>('/ui/assets/:name', async (req, reply) => {
    const file = FILES[req.params.name];
    if (!file) return reply.code(404).type('text/plain').send('no such asset');
    let hit = cache.get(req.params.name);
    if (!hit) {
      const body = readFileSync(file.path());
      hit = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
      cache.set(req.params.name, hit);
    }
    reply.header('etag', hit.etag).header('cache-control', 'public, max-age=3600');
    if (req.headers['if-none-match'] === hit.etag) return reply.code(304).send();
    return reply.type(file.type).send(hit.body);
  });
}
