// Every XML plist among the shared fixtures (real device, server and profile traffic), read by us and by
// Python's plistlib, must give the same values; and the values a server relies on come out right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildPlist, parsePlist, Real, type PlistDict, type PlistValue } from '../../src/plist/index.js';
import { fixture, fixturesDir } from '../helpers/fixtures.js';
import { askPlistlib, encode, normalize } from './oracle.js';

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** Seed-blog fragments are a dict's inner keys or a run of values; wrap them into a document. */
function wrapFragment(xml: string): string {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '').trim();
  const inner = body.startsWith('<key>') ? `<dict>${xml}</dict>` : `<array>${xml}</array>`;
  return `<plist version="1.0">${inner}</plist>`;
}

const docs: { name: string; bytes: Buffer }[] = walk(fixturesDir).flatMap((path) => {
  const name = relative(fixturesDir, path);
  if (name.endsWith('.fragment.xml')) return [{ name, bytes: Buffer.from(wrapFragment(readFileSync(path, 'utf8'))) }];
  if (!/\.(plist|mobileconfig)$/.test(name)) return [];
  const bytes = readFileSync(path);
  return bytes.toString('utf8', 0, 64).trimStart().startsWith('<') ? [{ name, bytes }] : [];
});

const ours = docs.map((d) => parsePlist(d.bytes));
const replies = askPlistlib(docs.flatMap((d, i) => [{ raw: d.bytes.toString('base64') }, { raw: Buffer.from(buildPlist(ours[i])).toString('base64') }]));

test('the fixtures hold the XML plists this suite claims to cover', () => {
  assert.ok(docs.length >= 30, `only ${docs.length} XML plists found under ${fixturesDir}`);
  for (const part of ['nanomdm/', 'nanocmd/', 'micromdm/', 'seed-blog/', 'mdmb/conversation-nanomdm/', 'mdmb/commands-sent/', '.mobileconfig']) {
    assert.ok(docs.some((d) => d.name.includes(part)), `no fixture matching ${part}`);
  }
});

test('we read every XML fixture exactly as plistlib does', () => {
  docs.forEach((d, i) => {
    assert.equal(replies[2 * i].error, undefined, d.name);
    assert.deepEqual(normalize(encode(ours[i])), normalize(replies[2 * i].loaded!), d.name);
  });
});

test('plistlib reads what we build from every fixture as the same values', () => {
  docs.forEach((d, i) => {
    assert.equal(replies[2 * i + 1].error, undefined, d.name);
    assert.deepEqual(normalize(replies[2 * i + 1].loaded!), normalize(encode(ours[i])), d.name);
  });
});

const get = (name: string) => parsePlist(fixture(name)) as PlistDict;

test('TokenUpdate: push token, unlock token and identity come out as the server needs them', () => {
  const ios = get('nanomdm/mdm_testdata_TokenUpdate.1.plist');
  assert.equal((ios.Token as Buffer).toString('hex'), '47e8eec062c2f729ec1703c1b3e18f1971d85f00be76445d34080baa701b5f51');
  assert.equal(ios.PushMagic, 'CEFDF0BD-E342-4A27-8742-E930EA116B0A');
  assert.equal(ios.Topic, 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9');
  assert.equal(ios.AwaitingConfiguration, false);
  const unlock = ios.UnlockToken as Buffer;
  assert.equal(unlock.length, 1288);
  assert.equal(createHash('sha256').update(unlock).digest('hex'), '22124c3c3367c03f0faad7ea50e1a44f6c6938c042cdcc946f7dd1d5c33c6376');
  const mac = get('nanomdm/mdm_testdata_TokenUpdate.2.plist');
  assert.equal((mac.Token as Buffer).toString('hex'), '1ba7c90066c50f77689a24f3a425caf68a300f729e88e460a9416022d5d642cc');
  assert.equal(mac.UnlockToken, undefined);
});

test('TokenUpdate.N.txt: the device facts it lists are those of the same device’s Authenticate', () => {
  // The .txt files name BuildVersion/OSVersion/ProductName, which only Authenticate carries;
  // TokenUpdate.N and Authenticate.N come from the same device (same UDID).
  for (const n of [1, 2]) {
    const token = get(`nanomdm/mdm_testdata_TokenUpdate.${n}.plist`);
    const auth = get(`nanomdm/mdm_testdata_Authenticate.${n}.plist`);
    assert.equal(auth.UDID, token.UDID);
    const lines = fixture(`nanomdm/mdm_testdata_TokenUpdate.${n}.txt`).toString('utf8').trim().split('\n');
    for (const [key, value] of lines.map((l) => l.split('\t'))) assert.equal(auth[key], value, `${key} in Authenticate.${n}`);
  }
});

test('Apple-written documents build back byte for byte', () => {
  for (const name of ['nanomdm/mdm_testdata_TokenUpdate.1.plist', 'nanomdm/mdm_testdata_TokenUpdate.2.plist', 'nanomdm/mdm_testdata_Authenticate.2.plist']) {
    assert.equal(buildPlist(get(name)), fixture(name).toString('utf8'), name);
  }
});

test('mdmb writes apostrophes as &#39;, and they decode', () => {
  assert.equal(get('mdmb/conversation-nanomdm/04-PUT-mdm-Authenticate.body.plist').DeviceName, "B8Y4575TBPAZ's Computer");
  const info = get('mdmb/conversation-nanomdm/08-PUT-mdm-Acknowledged-DeviceInformation.body.plist');
  assert.equal((info.QueryResponses as PlistDict).DeviceName, "B8Y4575TBPAZ's Computer");
  assert.equal(get('mdmb/conversation-nanomdm/11-PUT-mdm-Acknowledged-EMPTYRequestType.body.plist').RequestType, '');
});

function fragment(name: string): PlistValue {
  return parsePlist(wrapFragment(fixture(`seed-blog/${name}`).toString('utf8')));
}

test('seed blog: DownloadSize sent as <real> stays a Real and is written back as <real>', () => {
  const [notification, mojave] = fragment('AvailableOSUpdates.items.fragment.xml') as PlistDict[];
  assert.deepEqual(notification.AppIdentifiersToClose, []);
  assert.deepEqual(mojave.DownloadSize, new Real(12000000000));
  assert.match(buildPlist(mojave), /<key>DownloadSize<\/key>\n\t<real>12000000000<\/real>/);
  const [status] = fragment('OSUpdateStatus.item.fragment.xml') as PlistDict[];
  assert.deepEqual(status.DownloadPercentComplete, new Real(0));
  const error74 = fragment('ScheduleOSUpdate.error74.fragment.xml') as PlistDict;
  const [chain] = error74.ErrorChain as PlistDict[];
  assert.equal(chain.ErrorCode, 74);
  assert.equal(chain.LocalizedDescription, 'Command requires DEP enrollment: ScheduleOSUpdate <MDMClientError:74>');
});
