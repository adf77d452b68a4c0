// What the fuzz test sends: path parameter values, content types and body makers, from a seeded Rng.
import { Rng } from '../../src/sim/random.js';
import { buildBinaryPlist, buildPlist } from '../../src/plist/index.js';

export function paramValues(rng: Rng): string[] {
  return [
    'FUZZ-UDID', 'nope', '', ' ', '..', '../../etc/passwd', '%00', 'a'.repeat(rng.int(1, 5000)), '😀', 'FUZZ-UDID,nope,',
    ',,,', rng.hex(36), '-1', '0', '1e309', 'null', 'gdmf', 'sofa-macos', '\u0000x', 'x:y:z',
  ];
}

export const contentTypes: ReadonlyArray<string | null> = [
  null, 'application/json', 'application/json; charset=utf-16', 'application/x-apple-aspen-mdm-checkin', 'application/x-apple-aspen-mdm',
  'application/pkcs7-mime', 'application/x-pkcs7-signature', 'text/plain', 'application/octet-stream', 'garbage/x; charset=zzz',
  'application/xml', 'multipart/form-data; boundary=x',
];

const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
const plist = (inner: string) => `<?xml version="1.0"?><plist version="1.0">${inner}</plist>`;

/** Body makers: each returns a string or bytes. */
export const bodies: ReadonlyArray<(rng: Rng) => string | Uint8Array> = [
  () => '',
  () => '{',
  () => 'null',
  () => '[]',
  () => '"x"',
  () => '{"ids": 123, "command": "x"}',
  () => '{"ids": ["FUZZ-UDID"], "command": {"request_type": "Nope"}}',
  () => '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}',
  (rng) => JSON.stringify({ name: rng.alnum(rng.int(0, 300)), select: { all: 'yes' }, target: { version: [] }, udids: [null, 1, {}] }),
  () => deep(5000, '[', ']'),
  () => deep(3000, '{"a":', '}').replace(/}$/, '1}'),
  (rng) => Buffer.from(Array.from({ length: rng.int(1, 4096) }, () => rng.int(0, 255))),
  () => plist('<dict><key>MessageType</key>'),
  () => plist('<dict><key>MessageType</key><string>Authenticate</string><key>UDID</key><string>FUZZ-UDID</string></dict>'),
  () => plist('<dict><key>Status</key><string>Acknowledged</string><key>UDID</key><string>FUZZ-UDID</string><key>CommandUUID</key><integer>5</integer></dict>'),
  () => plist('<dict><key>MessageType</key><string>TokenUpdate</string><key>UDID</key><string>FUZZ-UDID</string><key>Token</key><data>!!!</data></dict>'),
  () => plist(deep(3000, '<array>', '</array>')),
  () => `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><plist><string>&lol2;</string></plist>`,
  () => Buffer.concat([Buffer.from('bplist00'), Buffer.alloc(40, 0xff)]),
  () => Buffer.from(buildBinaryPlist({ MessageType: 'DeclarativeManagement', UDID: 'FUZZ-UDID', Endpoint: '../../x', Data: Buffer.from('{') })),
  () => buildPlist({ MessageType: 'Nope', UDID: 'FUZZ-UDID' }),
  () => buildPlist({ Status: 'Idle', UDID: 123 }),
  (rng) => 'x'.repeat(rng.int(10_000, 200_000)),
  () => '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n',
];
