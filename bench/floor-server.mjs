// The floor (bench/floor.ts): the smallest correct Node MDM server for the Idle check-in and the command
// round trip, in plain JavaScript on node built-ins and better-sqlite3 only (nothing of Updraft's), so
// what it costs per request is Node's floor for the work any MDM server must do on these requests:
// read the body; take the Mdm-Signature (base64 DER CMS SignedData, detached, signed attributes) apart;
// check its contentType and messageDigest attributes against the body; verify the RSA signature over
// the signed attributes with the signer's certificate (named by the SignerInfo's issuer and serial);
// check that certificate is the one registered for the UDID (SQLite, prepared statement, WAL,
// synchronous=NORMAL); read Status, UDID and CommandUUID from the plist; hand out or close commands.
//
// node bench/floor-server.mjs <sqlite file> <port>
//   PUT  /mdm/connect                  the device channel (Idle, Acknowledged, Error, CommandFormatError, NotNow)
//   POST /floor/devices                setup, not counted: JSON [{ udid, cert (base64 DER) }]
//   PUT  /floor/enqueue/<udid>         setup, not counted: the body is the command's plist
//   GET  /floor/health                 200 once listening
import http from 'node:http';
import { createHash, verify, X509Certificate } from 'node:crypto';
import Database from 'better-sqlite3';

const [file, port] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS devices (udid TEXT PRIMARY KEY, cert BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (id INTEGER PRIMARY KEY, udid TEXT NOT NULL, uuid TEXT NOT NULL, plist BLOB NOT NULL,
  status INTEGER NOT NULL DEFAULT 0, result BLOB, UNIQUE (udid, uuid));
CREATE INDEX IF NOT EXISTS commands_open ON commands (udid, id) WHERE status < 2;`);
const certOf = db.prepare('SELECT cert FROM devices WHERE udid = ?').pluck();
const register = db.prepare('INSERT OR REPLACE INTO devices (udid, cert) VALUES (?, ?)');
const insertCommand = db.prepare('INSERT INTO commands (udid, uuid, plist) VALUES (?, ?, ?)');
const nextCommand = db.prepare('SELECT id, plist, status FROM commands WHERE udid = ? AND status < 2 ORDER BY id LIMIT 1');
const markSent = db.prepare('UPDATE commands SET status = 1 WHERE id = ?');
const markDone = db.prepare('UPDATE commands SET status = 2, result = ? WHERE udid = ? AND uuid = ? AND status < 2');

// ---- DER: a bounds-checked walk (definite lengths only, as DER has) ----
class Bad extends Error {}
/** The TLV at `at` (not past `end`): its tag, where its content starts and ends. */
function tlv(b, at, end) {
  if (at + 2 > end) throw new Bad('truncated DER');
  const tag = b[at];
  let len = b[at + 1], start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > end) throw new Bad('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  if (start + len > end) throw new Bad('DER runs past its parent');
  return { tag, at, start, end: start + len };
}
/** The children of a constructed TLV. */
function kids(b, t) {
  const out = [];
  for (let at = t.start; at < t.end;) { const c = tlv(b, at, t.end); out.push(c); at = c.end; }
  return out;
}
const expect = (t, tag) => { if (!t || t.tag !== tag) throw new Bad(`expected tag ${tag.toString(16)}`); return t; };
const bytes = (b, t) => b.subarray(t.start, t.end);
const whole = (b, t) => b.subarray(t.at, t.end);
const oidHex = (b, t) => bytes(b, expect(t, 0x06)).toString('hex');
const OID = {
  signedData: '2a864886f70d010702', data: '2a864886f70d010701', contentType: '2a864886f70d010903', messageDigest: '2a864886f70d010904',
  sha1: '2b0e03021a', sha256: '608648016503040201', rsa: '2a864886f70d010101', sha1Rsa: '2a864886f70d010105', sha256Rsa: '2a864886f70d01010b',
};
const HASH = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256' };
const SIG_OK = { [OID.rsa]: null, [OID.sha1Rsa]: 'sha1', [OID.sha256Rsa]: 'sha256' };

/** The certificate's issuer Name and serial INTEGER, whole TLVs (to match a SignerInfo's sid). */
function issuerSerial(b, cert) {
  const tbs = kids(b, expect(kids(b, cert)[0], 0x30));
  const v = tbs[0]?.tag === 0xa0 ? 1 : 0;
  return [whole(b, expect(tbs[v + 2], 0x30)), whole(b, expect(tbs[v], 0x02))];
}

const keys = new Map(); // certificate bytes (latin1) -> KeyObject
/** Checks the detached signature over `body`; returns the signer's certificate (DER). */
function verifySignature(header, body) {
  const b = Buffer.from(header, 'base64');
  const top = expect(tlv(b, 0, b.length), 0x30);
  const [type, wrapped] = kids(b, top);
  if (oidHex(b, type) !== OID.signedData) throw new Bad('not a SignedData');
  const sd = kids(b, expect(kids(b, expect(wrapped, 0xa0))[0], 0x30));
  const encap = kids(b, expect(sd[2], 0x30));
  if (oidHex(b, encap[0]) !== OID.data || encap.length !== 1) throw new Bad('not detached id-data');
  let i = 3;
  const certs = sd[i]?.tag === 0xa0 ? kids(b, sd[i++]) : [];
  if (sd[i]?.tag === 0xa1) i++; // CRLs
  const signers = kids(b, expect(sd[i], 0x31));
  if (signers.length !== 1) throw new Bad('one signer expected');
  const si = kids(b, expect(signers[0], 0x30));
  const [issuer, serial] = kids(b, expect(si[1], 0x30)); // issuerAndSerialNumber
  if (!issuer || !serial) throw new Bad('sid');
  const hash = HASH[oidHex(b, kids(b, expect(si[2], 0x30))[0])];
  if (!hash) throw new Bad('digest algorithm');
  const attrs = expect(si[3], 0xa0);
  const sigAlg = oidHex(b, kids(b, expect(si[4], 0x30))[0]);
  if (SIG_OK[sigAlg] === undefined || (SIG_OK[sigAlg] && SIG_OK[sigAlg] !== hash)) throw new Bad('signature algorithm');
  const signature = bytes(b, expect(si[5], 0x04));
  let md = null, ct = null;
  for (const a of kids(b, attrs)) {
    const [t, vals] = kids(b, expect(a, 0x30));
    const id = oidHex(b, t);
    if (id !== OID.messageDigest && id !== OID.contentType) continue;
    const v = kids(b, expect(vals, 0x31));
    if (v.length !== 1) throw new Bad('attribute values');
    if (id === OID.messageDigest) md = bytes(b, expect(v[0], 0x04)); else ct = oidHex(b, v[0]);
  }
  if (ct !== OID.data) throw new Bad('contentType attribute');
  if (!md || !md.equals(createHash(hash).update(body).digest())) throw new Bad('messageDigest does not match the body');
  const wantIssuer = whole(b, issuer), wantSerial = whole(b, serial);
  const cert = certs.find((c) => { const [is, se] = issuerSerial(b, c); return is.equals(wantIssuer) && se.equals(wantSerial); });
  if (!cert) throw new Bad('no certificate for the signer');
  const certDer = whole(b, cert);
  const k = certDer.toString('latin1');
  let key = keys.get(k);
  if (!key) keys.set(k, (key = new X509Certificate(certDer).publicKey));
  const signed = Buffer.from(whole(b, attrs)); // signed as a SET OF, not as the [0] it is sent in
  signed[0] = 0x31;
  if (!verify(hash, signed, key, signature)) throw new Bad('bad signature');
  return certDer;
}

// ---- plist: the root dict's string values (keys named in `want`), nested dicts and arrays skipped ----
const ENT = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unxml = (s) => (s.includes('&') ? s.replace(/&(amp|lt|gt|quot|apos|#x?[0-9a-fA-F]+);/g, (_, e) => ENT[e] ?? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))) : s);
function readPlist(x, want) {
  const out = {};
  let depth = 0, key = null, at = 0;
  for (;;) {
    const lt = x.indexOf('<', at);
    if (lt < 0) return out;
    if (x[lt + 1] === '?' || x[lt + 1] === '!') { // declaration, doctype, comment
      const e = x.startsWith('<!--', lt) ? x.indexOf('-->', lt) + 2 : x.indexOf('>', lt);
      if (e < lt) throw new Bad('plist');
      at = e + 1;
      continue;
    }
    const gt = x.indexOf('>', lt);
    if (gt < 0) throw new Bad('plist');
    const tag = x.slice(lt + 1, gt);
    at = gt + 1;
    if (tag === 'dict' || tag === 'array') depth++;
    else if (tag === '/dict' || tag === '/array') { if (--depth === 0) return out; }
    else if (tag === 'key' || tag === 'string') {
      const close = x.indexOf(`</${tag}>`, at);
      if (close < 0) throw new Bad('plist');
      const text = x.slice(at, close);
      at = close + tag.length + 3;
      if (depth !== 1) continue;
      if (tag === 'key') { key = text; continue; }
      if (want.includes(key)) out[key] = unxml(text);
    }
    if (depth === 1 && tag !== 'key') key = null;
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => { n += c.length; if (n > 1 << 20) req.destroy(new Bad('body too large')); else chunks.push(c); });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const send = (res, status, body) => { res.writeHead(status, body?.length ? { 'content-type': 'application/xml', 'content-length': body.length } : { 'content-length': 0 }); res.end(body ?? undefined); };

/** The next open command for the device, marked sent; null when none. */
function handOut(udid) {
  const c = nextCommand.get(udid);
  if (!c) return null;
  if (c.status === 0) markSent.run(c.id);
  return c.plist;
}

function connect(body, sig) {
  if (!sig) throw new Bad('no Mdm-Signature');
  const certDer = verifySignature(sig, body);
  const m = readPlist(body.toString('utf8'), ['Status', 'UDID', 'CommandUUID']);
  if (!m.UDID || !m.Status) throw new Bad('Status and UDID required');
  const registered = certOf.get(m.UDID);
  if (!registered || !certDer.equals(registered)) throw new Bad('not the certificate enrolled for this UDID');
  switch (m.Status) {
    case 'Idle': return handOut(m.UDID);
    case 'Acknowledged': case 'Error': case 'CommandFormatError':
      if (!m.CommandUUID) throw new Bad('CommandUUID required');
      markDone.run(body, m.UDID, m.CommandUUID);
      return handOut(m.UDID);
    case 'NotNow': return null; // the device is busy: it checks in again later
    default: throw new Bad(`unknown Status ${m.Status}`);
  }
}

http.createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    if (req.method === 'PUT' && req.url === '/mdm/connect') return send(res, 200, connect(body, req.headers['mdm-signature']));
    if (req.method === 'GET' && req.url === '/floor/health') return send(res, 200, null);
    if (req.method === 'POST' && req.url === '/floor/devices') {
      db.transaction((list) => { for (const d of list) register.run(d.udid, Buffer.from(d.cert, 'base64')); })(JSON.parse(body.toString()));
      return send(res, 200, null);
    }
    if (req.method === 'PUT' && req.url.startsWith('/floor/enqueue/')) {
      const uuid = readPlist(body.toString('utf8'), ['CommandUUID']).CommandUUID;
      if (!uuid) throw new Bad('CommandUUID required');
      insertCommand.run(decodeURIComponent(req.url.slice('/floor/enqueue/'.length)), uuid, body);
      return send(res, 201, null);
    }
    send(res, 404, null);
  } catch (e) {
    if (!(e instanceof Bad) || process.env.FLOOR_DEBUG) console.error(e instanceof Bad ? `refused: ${e.message}` : e);
    if (!res.headersSent) send(res, e instanceof Bad ? 400 : 500, null);
  }
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => { db.close(); process.exit(0); });
