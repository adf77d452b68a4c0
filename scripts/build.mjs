#!/usr/bin/env node
// `npm run build`: the server and CLI as one bundle, dist/cli/main.js, with the code loaded on first
// use (dashboard pages, DEP, the simulator...) split into dist/chunks/. Bundled and minified (whitespace
// and syntax only: names stay readable in stack traces; dist/**/*.map maps them back with
// `node --enable-source-maps`), a process loads one file instead of ~600 modules: a third less startup
// CPU and ~10 MB less memory than running the TypeScript compiler's per-file output (docs/performance.md).
// Type checking is `npm run typecheck`; this only translates.
// Optional argument: another output folder (a test builds into its own).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// What fastify requires only when first used, and Updraft never uses while serving devices: the
// default schema compilers (src/http/lazy-validators.ts loads them on a route's first request) with
// Ajv, fast-json-stringify and their helpers, and light-my-request (inject(), for tests). Bundled,
// their ~530 KB of source sat in the server chunk's source string, never run; external, `require`
// loads them from node_modules when called.
const LAZY = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'];
// fastify's semver, evaluated only when a plugin's declared fastify version is checked.
const lazySemver = {
  name: 'lazy-semver',
  setup(b) {
    b.onResolve({ filter: /^semver$/ }, (args) =>
      /[\\/]fastify[\\/]lib[\\/]plugin-utils\.js$/.test(args.importer) ? { path: `${root}scripts/semver-lazy.cjs` } : undefined);
  },
};
const outdir = process.argv[2] ?? `${root}dist`;
// The bundle's require() must find the copy fastify itself would load (npm may nest a package whose
// version conflicts with another's).
const fromFastify = createRequire(createRequire(`${root}package.json`).resolve('fastify'));
const fromChunks = createRequire(`${outdir}/chunks/x.js`);
for (const pkg of LAZY) {
  if (fromChunks.resolve(pkg) !== fromFastify.resolve(pkg)) throw new Error(`${pkg}: the bundle would not load fastify's copy (${fromChunks.resolve(pkg)} vs ${fromFastify.resolve(pkg)})`);
}
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons, pg (so bench/pg-statement-log.mjs can count its statements) and what only
  // development uses stay outside the bundle, loaded from node_modules.
  external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core', 'tsx', ...LAZY],
  alias: { '@opentelemetry/api': `${root}scripts/otel-api-stub.cjs` },
  plugins: [lazySemver],
  // Dependencies written as CommonJS call require() for Node's built-ins; an ES module has none.
  banner: { js: "import { createRequire as __updraftRequire } from 'node:module'; const require = __updraftRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
