// Route schemas as plain JSON Schema: the TypeBox builders the routes use (Object, String, Integer,
// Boolean, Literal, Array, Enum, Union, Optional) with TypeBox's static types, without loading
// TypeBox itself at run time (~3 MB of heap in every server for a dozen builders run once at startup).
// They build the same JSON TypeBox builds (test/api/schema.test.ts compares the two).
import type { Type as TypeBox } from 'typebox';

type Json = Record<string, unknown>;

/** Schemas wrapped by Optional(): an Object() leaves them out of `required`. */
const optional = new WeakSet<object>();

const build = {
  Object: (properties: Record<string, Json>, options: Json = {}) => {
    const required = Object.keys(properties).filter((k) => !optional.has(properties[k]!));
    return { type: 'object', ...(required.length > 0 ? { required } : {}), properties, ...options };
  },
  Optional: (schema: Json) => {
    const copy = { ...schema };
    optional.add(copy);
    return copy;
  },
  String: (options: Json = {}) => ({ type: 'string', ...options }),
  Integer: (options: Json = {}) => ({ type: 'integer', ...options }),
  Boolean: (options: Json = {}) => ({ type: 'boolean', ...options }),
  Literal: (value: string | number | boolean, options: Json = {}) => ({ type: typeof value, const: value, ...options }),
  Array: (items: Json, options: Json = {}) => ({ type: 'array', items, ...options }),
  Enum: (values: unknown[], options: Json = {}) => ({ enum: values, ...options }),
  Union: (anyOf: Json[], options: Json = {}) => ({ anyOf, ...options }),
};

export const Type = build as unknown as Pick<typeof TypeBox, keyof typeof build>;
