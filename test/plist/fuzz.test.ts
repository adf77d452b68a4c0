// Mutated documents: whatever a client sends, the parsers answer with a value or a PlistError, never
// another exception (which the HTTP layer would turn into a 500 instead of a clear 400).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBinaryPlist, buildPlist, parseBinaryPlist, parsePlist, PlistError } from '../../src/plist/index.js';
import { fixture } from '../helpers/fixtures.js';
import { prng, randomPlist } from './generate.js';

const MUTATIONS = 3000;
const rng = prng(0xf022);
const int = (n: number) => Math.floor(rng() * n);

function mutate(doc: Buffer, alphabet: number[]): Buffer {
  const b = Buffer.from(doc);
  for (let n = 1 + int(3); n > 0; n--) {
    const at = int(b.length);
    const k = int(3);
    if (k === 0) b[at] = alphabet[int(alphabet.length)];
    else if (k === 1) return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(8))]);
    else return Buffer.concat([b.subarray(0, at), Buffer.from([alphabet[int(alphabet.length)]]), b.subarray(at)]);
  }
  return b;
}

function survives(parse: (b: Buffer) => unknown, docs: Buffer[], alphabet: number[]): number {
  let refused = 0;
  for (let i = 0; i < MUTATIONS; i++) {
    const doc = mutate(docs[i % docs.length], alphabet);
    try {
      parse(doc);
    } catch (e) {
      if (!(e instanceof PlistError)) assert.fail(`${String(e)} on ${JSON.stringify(doc.toString('latin1'))}`);
      refused++;
    }
  }
  return refused;
}

test(`${MUTATIONS} mutated XML plists give a value or a PlistError`, () => {
  const docs = [
    fixture('nanomdm/mdm_testdata_TokenUpdate.1.plist'),
    fixture('mdmb/conversation-nanomdm/08-PUT-mdm-Acknowledged-DeviceInformation.body.plist'),
    ...Array.from({ length: 20 }, () => Buffer.from(buildPlist(randomPlist(rng)))),
  ];
  const alphabet = [...Buffer.from('<>/&;#!?[]-="\' \n\tax0=+Z')];
  const refused = survives(parsePlist, docs, alphabet);
  assert.ok(refused > MUTATIONS / 4, `only ${refused} mutations were refused: the mutator is too gentle`);
});

test(`${MUTATIONS} mutated binary plists give a value or a PlistError`, () => {
  const docs = Array.from({ length: 20 }, () => buildBinaryPlist(randomPlist(rng)));
  const alphabet = [0x00, 0x01, 0x0f, 0x10, 0x13, 0x14, 0x1f, 0x23, 0x33, 0x4f, 0x5f, 0x6f, 0x80, 0xa2, 0xaf, 0xd1, 0xdf, 0xff];
  survives(parseBinaryPlist, docs, alphabet);
});
