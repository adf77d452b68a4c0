// Lenient readers for fields whose plist type devices do not honour, and the JSON view used by APIs and webhooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asBool, asNumber, asString, parsePlist, Real, toJSONSafe } from '../../src/plist/index.js';

test('asNumber accepts <integer>, <real>, big integers and numeric strings', () => {
  const v = parsePlist(`<plist><dict>
    <key>DownloadSize</key><real>12000000000</real>
    <key>InstallSize</key><integer>9007199254740993</integer>
    <key>Percent</key><real>0.5</real>
    <key>AsText</key><string> 42 </string>
  </dict></plist>`) as Record<string, never>;
  assert.equal(asNumber(v.DownloadSize), 12000000000);
  assert.equal(asNumber(v.InstallSize), 9007199254740992);
  assert.equal(asNumber(v.Percent), 0.5);
  assert.equal(asNumber(v.AsText), 42);
  for (const bad of [undefined, '', 'abc', 'NaN', true, Buffer.from('1'), [1], { a: 1 }]) assert.equal(asNumber(bad as never), undefined);
});

test('asBool accepts <true/>/<false/>, "true"/"false" strings (as some Macs send) and 1/0', () => {
  assert.equal(asBool(true), true);
  assert.equal(asBool(false), false);
  assert.equal(asBool('TRUE '), true);
  assert.equal(asBool('false'), false);
  assert.equal(asBool(1), true);
  assert.equal(asBool(0n), false);
  assert.equal(asBool(new Real(1)), true);
  for (const bad of [undefined, 'allowed', 2, 'yes', new Date(0)]) assert.equal(asBool(bad as never), undefined);
});

test('asString accepts strings and the text of numbers, nothing else', () => {
  assert.equal(asString('14.7.1'), '14.7.1');
  assert.equal(asString(17), '17');
  assert.equal(asString(2n ** 64n - 1n), '18446744073709551615');
  assert.equal(asString(new Real(1.5)), '1.5');
  for (const bad of [undefined, true, Buffer.from('x'), [], {}]) assert.equal(asString(bad as never), undefined);
});

test('toJSONSafe gives JSON-ready values: base64, ISO dates, safe numbers, big integers as strings', () => {
  const v = { T: Buffer.from([1, 2, 3]), D: new Date('2018-10-16T20:05:00Z'), R: new Real(1), S: 5n, B: 2n ** 63n, L: [{ X: true }] };
  const j = toJSONSafe(v);
  assert.deepEqual(j, { T: 'AQID', D: '2018-10-16T20:05:00.000Z', R: 1, S: 5, B: '9223372036854775808', L: [{ X: true }] });
  assert.equal(JSON.stringify(j), JSON.stringify(JSON.parse(JSON.stringify(j))));
  assert.equal(JSON.stringify(new Real(2.5)), '2.5');
});
