// @peculiar's ASN.1 object model, loaded on first use: creating a CA, a signing identity or a push or
// DEP exchange certificate, certify(), reading a push certificate's topic. A server restarted on its
// data directory serves devices without it (their certificates are built and read by src/asn1): ~1.8 MB
// of heap. Its packages are CommonJS, so a synchronous require() gives the instance an import would.
import { createRequire } from 'node:module';

type Schema = typeof import('@peculiar/asn1-schema');
type X509 = typeof import('@peculiar/asn1-x509');

const require = createRequire(import.meta.url);
let schema: Schema | undefined;
let x509: X509 | undefined;

export function asn1Schema(): Schema {
  if (!schema) {
    require('reflect-metadata');
    schema = require('@peculiar/asn1-schema') as Schema;
  }
  return schema;
}

export function asn1X509(): X509 {
  asn1Schema();
  return (x509 ??= require('@peculiar/asn1-x509') as X509);
}
