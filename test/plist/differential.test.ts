// Differential test against Python's plistlib on 1,200 seeded random plists, in both directions,
// for XML and binary. All values go to one python3 process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBinaryPlist, buildPlist, parseBinaryPlist, parsePlist, type PlistValue } from '../../src/plist/index.js';
import { askPlistlib, encode, normalize, type OracleReply, type Typed } from './oracle.js';
import { prng, randomPlist } from './generate.js';

const SEED = 0x5eed;
const COUNT = 1200;

const rng = prng(SEED);
const values: PlistValue[] = Array.from({ length: COUNT }, () => randomPlist(rng));
const expected = values.map((v) => normalize(encode(v)));
const ourXml = values.map((v) => buildPlist(v));
const ourBin = values.map((v) => buildBinaryPlist(v));

// Each value twice: once for plistlib to write (and to read our XML), once to read our binary.
const replies: OracleReply[] = askPlistlib(
  values.flatMap((_, i) => [
    { value: expected[i], raw: Buffer.from(ourXml[i]).toString('base64') },
    { raw: ourBin[i].toString('base64') },
  ]),
);

/** Runs check on every value and reports the first few that disagree. */
function agree(what: string, check: (i: number) => Typed | string) {
  const bad: string[] = [];
  for (let i = 0; i < COUNT && bad.length < 3; i++) {
    let got: Typed | string;
    try {
      got = check(i);
    } catch (e) {
      got = `threw ${String(e)}`;
    }
    if (typeof got === 'string') bad.push(`#${i}: ${got}`);
    else {
      try {
        assert.deepEqual(got, expected[i]);
      } catch {
        bad.push(`#${i}: got ${JSON.stringify(got).slice(0, 400)}\n  want ${JSON.stringify(expected[i]).slice(0, 400)}`);
      }
    }
  }
  assert.deepEqual(bad, [], `${what} (seed ${SEED}):\n${bad.join('\n')}`);
}

function fromPython(reply: OracleReply): Typed | string {
  return reply.error ? `plistlib: ${reply.error}` : normalize(reply.loaded!);
}

test(`plistlib reads our XML as the same ${COUNT} values`, () => {
  agree('plistlib.loads(buildPlist(v)) != v', (i) => fromPython(replies[2 * i]));
});

test(`we read plistlib's XML as the same ${COUNT} values`, () => {
  agree('parsePlist(plistlib.dumps(v)) != v', (i) => normalize(encode(parsePlist(replies[2 * i].xml!))));
});

test(`plistlib reads our binary plists as the same ${COUNT} values`, () => {
  agree('plistlib.loads(buildBinaryPlist(v)) != v', (i) => fromPython(replies[2 * i + 1]));
});

test(`we read plistlib's binary plists as the same ${COUNT} values`, () => {
  agree('parseBinaryPlist(plistlib FMT_BINARY) != v', (i) =>
    normalize(encode(parseBinaryPlist(Buffer.from(replies[2 * i].bin!, 'base64')))),
  );
});

test('our own XML and binary round trips keep every value and type', () => {
  agree('parsePlist(buildPlist(v)) != v', (i) => normalize(encode(parsePlist(ourXml[i]))));
  agree('parseBinaryPlist(buildBinaryPlist(v)) != v', (i) => normalize(encode(parseBinaryPlist(ourBin[i]))));
});

test('the random series covers what it claims to', () => {
  const text = ourXml.join('');
  for (const needle of ['<real>', '<integer>18446744073709551615</integer>', '<integer>-9223372036854775808</integer>', '<date>0001-', '<data>', '<dict/>', '<array/>', '&amp;', '&lt;', '😀', '<key>__proto__</key>']) {
    assert.ok(text.includes(needle), `no generated plist contains ${needle}`);
  }
  assert.ok(/<real>-?\d+<\/real>/.test(text), 'no integral <real>');
  assert.ok(/<integer>\d{17,}<\/integer>/.test(text), 'no integer beyond 2^53');
});
