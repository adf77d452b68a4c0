// ASN.1 DER/BER codec: a bounds-checked reader (reader.ts) and a DER writer (writer.ts). A leaf:
// it imports nothing from the project, so the PKI, identity and the simulator share it.
export { Asn1Error, read, children, expect, content, whole, octetBytes, readOid, readText, algorithmOid, indefinite, type Tlv } from './reader.js';
export { header, tlv, seq, set, setOf, ctx, octetString, utf8String, printableString, NULL, oid, integer, time, algorithm, name } from './writer.js';
