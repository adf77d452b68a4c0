// A check-in's plist kept for the dashboard: binary bodies become XML, credentials at any depth are
// redacted with their size, and a body over the cap leaves a note instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBinaryPlist, parseAnyPlist, type PlistDict } from '../../src/plist/index.js';
import { RAW_PLIST_MAX, rawCheckinText } from '../../src/service/raw-checkin.js';

test('a binary SetBootstrapToken is kept as XML without its BootstrapToken', () => {
  const secret = Buffer.from('bootstrap-secret-0123456789');
  const bin = buildBinaryPlist({ MessageType: 'SetBootstrapToken', UDID: 'U-1', BootstrapToken: secret, Nested: { UnlockToken: Buffer.alloc(5, 1) } });
  const text = rawCheckinText(parseAnyPlist(bin) as PlistDict, bin.length);
  assert.match(text, /^<\?xml/);
  assert.match(text, /<key>BootstrapToken<\/key>\s*<string>\(redacted, 27 bytes\)<\/string>/);
  assert.match(text, /<key>UnlockToken<\/key>\s*<string>\(redacted, 5 bytes\)<\/string>/);
  assert.match(text, /<key>UDID<\/key>\s*<string>U-1<\/string>/);
  assert.ok(!text.includes(secret.toString('base64')));
});

test('a check-in over the cap keeps a note with its size', () => {
  assert.equal(rawCheckinText({ MessageType: 'Authenticate' }, RAW_PLIST_MAX + 1), `raw plist not kept: ${RAW_PLIST_MAX + 1} bytes`);
  assert.match(rawCheckinText({ MessageType: 'Authenticate' }, RAW_PLIST_MAX), /Authenticate/);
});
