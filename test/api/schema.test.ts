// The route schema builders (src/http/schema.ts) build the same JSON Schema as TypeBox's, key order
// included (the OpenAPI document shows it), so routes validate exactly as they did with TypeBox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type as TypeBox } from 'typebox';
import { Type } from '../../src/http/schema.js';

type Builders = typeof Type;
const cases: Array<[string, (T: Builders) => unknown]> = [
  ['string', (T) => T.String()],
  ['string with options', (T) => T.String({ minLength: 1, maxLength: 64, description: 'd' })],
  ['integer', (T) => T.Integer({ minimum: 1, maximum: 1000 })],
  ['boolean', (T) => T.Boolean({ description: 'b' })],
  ['literals', (T) => [T.Literal('true'), T.Literal(3), T.Literal(false)]],
  ['array', (T) => T.Array(T.String(), { maxItems: 3, default: [] })],
  ['enum', (T) => T.Enum(['macOS', 'iOS'])],
  ['union', (T) => T.Union([T.Literal('a'), T.Literal('b')], { description: 'u' })],
  ['empty object', (T) => T.Object({})],
  ['object, optional and required', (T) => T.Object({ a: T.String(), b: T.Optional(T.Integer({ minimum: 1 })), c: T.Optional(T.Boolean()) }, { additionalProperties: false })],
  ['only optional properties', (T) => T.Object({ a: T.Optional(T.String()), n: T.Optional(T.Object({ z: T.Optional(T.Boolean()), y: T.Array(T.Integer()) })) })],
  ['one schema optional in one object, required in another', (T) => { const s = T.String(); return [T.Object({ a: T.Optional(s) }), T.Object({ a: s })]; }],
];

for (const [name, make] of cases) {
  test(`schema builders: ${name}`, () => {
    assert.equal(JSON.stringify(make(Type)), JSON.stringify(make(TypeBox as unknown as Builders)));
  });
}
