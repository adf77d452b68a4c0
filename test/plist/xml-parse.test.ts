// XML parsing: type fidelity, what devices send that must be tolerated, and malformed or hostile
// input that must be refused with the position and the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlist, PlistError, Real } from '../../src/plist/index.js';

const wrap = (inner: string) => `<plist version="1.0">${inner}</plist>`;

test('<integer> is a number when safe and a bigint beyond 2^53; <real> stays a Real even when integral', () => {
  const v = parsePlist(
    wrap(`<array>
      <integer>42</integer><integer>-7</integer><integer>9007199254740991</integer>
      <integer>9007199254740993</integer><integer>18446744073709551615</integer><integer>-9223372036854775808</integer>
      <integer> 0x1F </integer><integer>-0</integer>
      <real>1</real><real>0.5</real><real>-0.0</real><real>1e+21</real><real>nan</real><real>+infinity</real><real>-inf</real>
    </array>`),
  );
  assert.deepEqual(v, [
    42, -7, 9007199254740991, 9007199254740993n, 18446744073709551615n, -9223372036854775808n, 31, 0,
    new Real(1), new Real(0.5), new Real(-0), new Real(1e21), new Real(NaN), new Real(Infinity), new Real(-Infinity),
  ]);
  assert.ok(Object.is((v as Real[])[10].value, -0));
});

test('<data> is a Buffer, with the line wrapping and tab indentation devices use', () => {
  const v = parsePlist(wrap('<dict><key>Token</key><data>\n\tR+juwGLC9ynsFwPBs+GPGXHY\n\tXwC+dkRdNAgLqnAbX1E=\n\t</data><key>E</key><data/><key>F</key><data></data></dict>'));
  assert.deepEqual(v, {
    Token: Buffer.from('R+juwGLC9ynsFwPBs+GPGXHYXwC+dkRdNAgLqnAbX1E=', 'base64'),
    E: Buffer.alloc(0),
    F: Buffer.alloc(0),
  });
});

test('<date> is a UTC Date; fractional seconds are tolerated, years before 100 are not shifted', () => {
  assert.deepEqual(parsePlist(wrap('<date>2018-10-16T20:05:00Z</date>')), new Date('2018-10-16T20:05:00Z'));
  assert.deepEqual(parsePlist(wrap('<date>2024-02-29T23:59:59.25Z</date>')), new Date('2024-02-29T23:59:59.250Z'));
  assert.equal((parsePlist(wrap('<date>0001-01-01T00:00:00Z</date>')) as Date).toISOString(), '0001-01-01T00:00:00.000Z');
});

test('the five XML entities and decimal/hex character references are decoded', () => {
  const v = parsePlist(wrap("<string>Jane&#39;s &#x27;Mac&#x27; &amp; &lt;b&gt; &quot;x&quot; &apos;y&apos; &#x1F600;&#169;</string>"));
  assert.equal(v, `Jane's 'Mac' & <b> "x" 'y' 😀©`);
  assert.deepEqual(parsePlist(wrap('<dict><key>A&amp;B</key><true/></dict>')), { 'A&B': true });
  assert.match(failure(wrap('<string>&#X27;</string>')).reason, /invalid character reference &#X27;/, 'XML spells hex references with a lowercase x');
});

test('tolerates BOMs, no prolog, comments, processing instructions, attributes, CDATA and empty elements', () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(wrap('<string>x</string>'))]);
  assert.equal(parsePlist(bom), 'x');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(wrap('<string>é😀</string>'), 'utf16le')]);
  assert.equal(parsePlist(utf16), 'é😀');
  const doc = `  <?xml version="1.0" encoding="UTF-8"?>
<!-- exported by hand -->
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<!-- before -->
<dict>
  <?pi inside?>
  <key>S</key> <!-- between key and value --> <string/>
  <key>D</key><dict/>
  <key>A</key><array/>
  <key>T</key><true></true>
  <key>C</key><string xml:space="preserve">a<![CDATA[<&>]]>b<!-- dropped -->c</string>
  <key/><false/>
</dict>
<!-- after -->
</plist>
`;
  assert.deepEqual(parsePlist(doc), { S: '', D: {}, A: [], T: true, C: 'a<&>bc', '': false });
});

test('XML line endings are normalized in text, while &#13; keeps a carriage return', () => {
  assert.equal(parsePlist(wrap('<string>a\r\nb\rc&#13;d</string>')), 'a\nb\nc\rd');
});

test('a dict key named __proto__ is an ordinary key and pollutes nothing', () => {
  const v = parsePlist(wrap('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

/** Parses and returns the PlistError it must throw. */
function failure(input: string | Buffer): PlistError {
  try {
    parsePlist(input);
  } catch (e) {
    assert.ok(e instanceof PlistError, `expected PlistError, got ${String(e)}`);
    return e;
  }
  assert.fail(`parsed without error: ${String(input).slice(0, 80)}`);
}

test('malformed input throws PlistError naming the line, column, offset and reason', () => {
  const cases: [input: string, reason: RegExp, line: number, column: number][] = [
    ['<plist><dict><key>a</key></dict></plist>', /key "a" has no value/, 1, 14],
    ['<plist>\n<dict>\n\t<key>x</key>\n\t<strin>y</strin>\n</dict>\n</plist>', /unknown element <strin>/, 4, 2],
    ['<plist><dict>\n<key>a</key><string>b', /unterminated <string>/, 2, 13],
    ['<plist><array><true/>', /unterminated <array>/, 1, 8],
    ['<plist><string>a</key></plist>', /expected <\/string>, found <\/key>/, 1, 17],
    ['<plist><true/></plist>\nx', /content after <\/plist>/, 2, 1],
    ['<plist><true/><false/></plist>', /more than one value/, 1, 15],
    ['<plist></plist>', /holds no value/, 1, 8],
    ['<plist><data>AB$C</data></plist>', /invalid base64 in <data>: unexpected "\$"/, 1, 16],
    ['<plist><data>QUJD\nR</data></plist>', /invalid base64 in <data>: truncated/, 1, 14],
    ['<plist><data>QQ==QQ==</data></plist>', /invalid base64 in <data>: unexpected "Q"/, 1, 18],
    ['<plist><date>2024-02-30T00:00:00Z</date></plist>', /invalid <date> "2024-02-30T00:00:00Z"/, 1, 8],
    ['<plist><date>2024-01-01 10:00:00</date></plist>', /invalid <date>/, 1, 8],
    ['<plist><integer>12a</integer></plist>', /invalid <integer> "12a"/, 1, 8],
    ['<plist><integer/></plist>', /invalid <integer> ""/, 1, 8],
    ['<plist><integer>18446744073709551616</integer></plist>', /outside the 64-bit range/, 1, 8],
    ['<plist><real>1.2.3</real></plist>', /invalid <real> "1.2.3"/, 1, 8],
    ['<plist><string>a &nbsp; b</string></plist>', /undefined entity &nbsp;/, 1, 18],
    ['<plist><string>fish & chips</string></plist>', /"&" that does not start an entity/, 1, 21],
    ['<plist><string>&#xD800;</string></plist>', /invalid character reference/, 1, 16],
    ['<plist><key>a</key></plist>', /<key> outside a <dict>/, 1, 8],
    ['<plist><dict>text</dict></plist>', /text inside <dict>/, 1, 14],
    ['<plist><dict><string>a</string></dict></plist>', /expected <key> in <dict>, found <string>/, 1, 14],
    ['<plist><true>x</true></plist>', /<true> must be empty/, 1, 14],
    ['<plist><string>a<b/>c</string></plist>', /element inside <string>/, 1, 17],
    ['<dict/>', /root element is <dict>, expected <plist>/, 1, 1],
    ['', /no <plist> element/, 1, 1],
    ['<?xml version="1.0"?>', /no <plist> element/, 1, 22],
    ['<plist><!-- open', /unterminated comment/, 1, 8],
    ['<plist version="1.0><true/></plist>', /unterminated <plist> tag/, 1, 1],
    ['bplist00\xd0\x08', /a binary plist, not XML/, 1, 1],
  ];
  for (const [input, reason, line, column] of cases) {
    const e = failure(input);
    assert.match(e.reason, reason, input);
    assert.deepEqual([e.line, e.column], [line, column], `${input} → ${e.message}`);
    assert.equal(e.message, `invalid plist at line ${line}, column ${column} (offset ${e.offset}): ${e.reason}`);
  }
});

test('DTD internal subsets and entity declarations are refused, never expanded', () => {
  const laughs = `<?xml version="1.0"?>
<!DOCTYPE plist [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<plist version="1.0"><string>&lol2;</string></plist>`;
  const e = failure(laughs);
  assert.match(e.reason, /DOCTYPE internal subset refused/);
  assert.deepEqual([e.line, e.column], [2, 17]);
  const xxe = '<!DOCTYPE plist SYSTEM "file:///etc/passwd"><plist><string>&xxe;</string></plist>';
  assert.match(failure(xxe).reason, /undefined entity &xxe;/);
  assert.match(failure('<plist><!ENTITY x "y"><true/></plist>').reason, /entity declaration refused/);
  assert.match(failure('<plist><true/><!DOCTYPE plist></plist>').reason, /DOCTYPE after the root element/);
});

test('hostile nesting is refused with a PlistError, not a stack overflow', () => {
  const e = failure(wrap('<array>'.repeat(100_000)));
  assert.match(e.reason, /nesting deeper than 512 levels/);
});

test('every truncation of a valid document is refused with a PlistError', () => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>A</key><data>AAEC</data><key>B</key><array><integer>1</integer><real>2.5</real>
<date>2020-01-01T00:00:00Z</date><string>x&amp;y</string><true/></array></dict></plist>`;
  for (let n = 0; n < doc.lastIndexOf('</plist>') + 7; n++) failure(doc.slice(0, n));
});
