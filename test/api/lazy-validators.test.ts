// Route schemas compile on first use: nothing is compiled (Ajv not even loaded) when the app is ready,
// and once a request needs it the route validates exactly as fastify's own compiler does (400 with the
// reason, querystring coercion, defaults, additional properties removed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { lazySerializerBuilder, lazyValidatorBuilder, type SerializerBuilder, type ValidatorBuilder } from '../../src/http/lazy-validators.js';

const require = createRequire(import.meta.url);

function counted() {
  const calls = { load: 0, compile: [] as string[] };
  const load = (): ValidatorBuilder => {
    calls.load++;
    const real = (require('@fastify/ajv-compiler') as () => ValidatorBuilder)();
    return (external, options) => {
      const compile = real(external, options);
      return (route) => (calls.compile.push(`${route.method} ${route.url} ${route.httpPart}`), compile(route));
    };
  };
  return { calls, builder: lazyValidatorBuilder(load) };
}

async function app(builder: ValidatorBuilder) {
  const a = Fastify({ schemaController: { compilersFactory: { buildValidator: builder as never } } });
  const body = Type.Object({ name: Type.String({ minLength: 1 }), tags: Type.Array(Type.String(), { default: [] }) }, { additionalProperties: false });
  a.post('/things', { schema: { body } }, async (req) => req.body);
  a.get('/things', { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10 }) }) } }, async (req) => req.query);
  await a.ready();
  return a;
}

test('nothing is compiled when the app is ready; each route part compiles on its first request, once', async () => {
  const { calls, builder } = counted();
  const a = await app(builder);
  assert.equal(calls.load, 0);
  assert.deepEqual(calls.compile, []);
  for (let i = 0; i < 3; i++) assert.equal((await a.inject({ method: 'POST', url: '/things', payload: { name: 'x' } })).statusCode, 200);
  assert.equal(calls.load, 1);
  assert.deepEqual(calls.compile, ['POST /things body']);
  await a.inject({ method: 'GET', url: '/things?limit=2' });
  assert.equal(calls.load, 1);
  assert.deepEqual(calls.compile, ['POST /things body', 'GET /things querystring']);
  await a.close();
});

test('a lazily compiled route validates as fastify does: 400 with the reason, coercion, defaults, extra properties dropped', async () => {
  const { builder } = counted();
  const a = await app(builder);
  const bad = await a.inject({ method: 'POST', url: '/things', payload: { name: '' } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json<{ message: string }>().message, /body\/name must NOT have fewer than 1 characters/);
  const missing = await a.inject({ method: 'POST', url: '/things', payload: {} });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json<{ message: string }>().message, /must have required property 'name'/);
  const ok = await a.inject({ method: 'POST', url: '/things', payload: { name: 'x', extra: 1 } });
  assert.deepEqual(ok.json(), { name: 'x', tags: [] });
  assert.deepEqual((await a.inject({ method: 'GET', url: '/things?limit=3' })).json(), { limit: 3 });
  const over = await a.inject({ method: 'GET', url: '/things?limit=11' });
  assert.equal(over.statusCode, 400);
  assert.match(over.json<{ message: string }>().message, /querystring\/limit must be <= 10/);
  assert.equal((await a.inject({ method: 'GET', url: '/things?limit=two' })).statusCode, 400);
  await a.close();
});

test('response serializers: fast-json-stringify is loaded only when a route with a response schema is compiled, and serializes as fastify does', async () => {
  let loads = 0;
  const builder = lazySerializerBuilder(() => (loads++, (require('@fastify/fast-json-stringify-compiler') as () => SerializerBuilder)()));
  const a = Fastify({ schemaController: { compilersFactory: { buildSerializer: builder as never } } });
  a.get('/plain', async () => ({ a: 1 }));
  await a.ready();
  assert.equal((await a.inject({ method: 'GET', url: '/plain' })).body, '{"a":1}');
  assert.equal(loads, 0);
  const b = Fastify({ schemaController: { compilersFactory: { buildSerializer: builder as never } } });
  b.get('/shaped', { schema: { response: { 200: Type.Object({ a: Type.Integer() }) } } }, async () => ({ a: 1, secret: 'x' }));
  await b.ready();
  assert.equal((await b.inject({ method: 'GET', url: '/shaped' })).body, '{"a":1}');
  assert.equal(loads, 1);
  await a.close();
  await b.close();
});
