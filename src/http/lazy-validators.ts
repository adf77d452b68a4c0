// Route schemas compiled on first use instead of at startup. Fastify compiles every route's JSON
// schema with Ajv when the app becomes ready: ~100 API routes' generated validators (and Ajv itself)
// cost the server startup CPU and ~8 MB of resident memory, though a server busy with devices only
// ever runs the MDM routes, which have no schema. This builder hands fastify a stand-in per route
// that loads Ajv (fastify's own compiler, same options and plugins) and compiles the route's schema
// the first time a request needs it; from then on it calls the compiled validator directly.
import { createRequire } from 'node:module';

/** What fastify passes to a validator compiler for one request part of one route. */
export interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
}

/** Ajv's validate function as fastify calls it: with the parent context when it has a schemaEnv. */
export type Validate = ((data: unknown, ctx?: object) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Compile = (route: RouteSchema) => Validate;
/** fastify's schemaController.compilersFactory.buildValidator: (shared schemas, the `ajv` server option) → compiler. */
export type ValidatorBuilder = (externalSchemas: unknown, options: unknown) => Compile;

const require = createRequire(import.meta.url);
const fastifyDefault = (): ValidatorBuilder => (require('@fastify/ajv-compiler') as () => ValidatorBuilder)();

export function lazyValidatorBuilder(load: () => ValidatorBuilder = fastifyDefault): ValidatorBuilder {
  let base: ValidatorBuilder | null = null;
  return (externalSchemas, options) => {
    let compile: Compile | null = null;
    return (route) => {
      let fn: Validate | null = null;
      const validate: Validate = (data, ctx) => {
        fn ??= (compile ??= (base ??= load())(externalSchemas, options))(route);
        const ret = fn.schemaEnv ? fn(data, ctx) : fn(data);
        validate.errors = fn.errors;
        return ret;
      };
      // fastify passes the parent context (which lets Ajv coerce a root value) only to a function with a schemaEnv.
      validate.schemaEnv = true;
      return validate;
    };
  };
}

/** fastify's schemaController.compilersFactory.buildSerializer: (shared schemas, options) → compiler of response schemas. */
export type SerializerBuilder = (externalSchemas: unknown, options: unknown) => (route: object) => (data: unknown) => string;

const fastifySerializer = (): SerializerBuilder => (require('@fastify/fast-json-stringify-compiler') as () => SerializerBuilder)();

/**
 * The same for response serializers: fastify loads fast-json-stringify (and the Ajv it brings, ~1.3 MB
 * of heap) at startup, though no route declares a response schema; this loads it when one is compiled.
 */
export function lazySerializerBuilder(load: () => SerializerBuilder = fastifySerializer): SerializerBuilder {
  let base: SerializerBuilder | null = null;
  return (externalSchemas, options) => (route) => (base ??= load())(externalSchemas, options)(route);
}
