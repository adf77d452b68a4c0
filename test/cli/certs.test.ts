// `updraft certs list|revoke` as a subprocess against a running server whose SCEP CA issued certificates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { loadPki } from '../../src/pki/pki.js';
import { CA_CERT_FILE } from '../../src/pki/ca.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDataDir } from '../helpers/store.js';
import { csr, issuedCertificate, pkiMessage, selfSigned } from '../pki/scep-client.js';
import { runCli } from './run.js';

const CHALLENGE = 'cli-certs-secret';
let server: TestServer;
let env: Record<string, string>;
const serials: string[] = [];

before(async () => {
  const dataDir = testDataDir();
  server = await startTestServer({ config: { dataDir, scepChallenge: CHALLENGE }, pki: (store, config) => loadPki(config, store) });
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
  const caFile = join(dataDir, CA_CERT_FILE);
  for (const cn of ['cli device one', 'cli device two']) {
    const key = selfSigned();
    const msg = pkiMessage({ csr: csr(key.keyFile, cn, CHALLENGE), caCertFile: caFile, signer: key });
    const res = await fetch(`${server.url}/scep?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(msg.der) });
    serials.push(new X509Certificate(issuedCertificate(Buffer.from(await res.arrayBuffer()), caFile, key)).serialNumber);
  }
});
after(() => server.close());

test('certs list: a table newest first, or the API JSON with --json', async () => {
  const [human, json, limited] = await Promise.all([
    runCli(['certs', 'list'], env),
    runCli(['certs', 'list', '--json'], env),
    runCli(['certs', 'list', '--limit', '1', '--json'], env),
  ]);
  assert.equal(human.code, 0, human.stderr);
  const [header, first, second] = human.stdout.trimEnd().split('\n');
  assert.match(header!, /^SERIAL\s+SUBJECT\s+ENROLLMENT\s+ISSUED\s+EXPIRES\s+REVOKED$/);
  assert.ok(first!.startsWith(serials[1]!) && second!.startsWith(serials[0]!), human.stdout);
  assert.equal(header!.indexOf('SUBJECT'), first!.indexOf('CN=cli device two'), 'columns line up');
  assert.match(first!, /-$/, 'not revoked');

  assert.equal(json.code, 0, json.stderr);
  const api = await fetch(`${server.url}/v1/certificates`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  assert.deepEqual(JSON.parse(json.stdout), await api.json());
  assert.equal((JSON.parse(limited.stdout) as { certificates: unknown[] }).certificates.length, 1);
});

test('certs revoke: revokes by serial (any case), prints what it did; --json prints the record', async () => {
  const human = await runCli(['certs', 'revoke', serials[0]!.toLowerCase()], env);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^revoked ${serials[0]} \\(CN=cli device one\\) at \\d{4}-\\d\\d-\\d\\d `));
  const json = await runCli(['certs', 'revoke', serials[0]!, '--json'], env);
  const record = JSON.parse(json.stdout) as { serial: string; revoked_at: string };
  assert.equal(record.serial, serials[0]);
  assert.ok(record.revoked_at);
  const list = await runCli(['certs', 'list'], env);
  const row = list.stdout.split('\n').find((l) => l.startsWith(serials[0]!));
  assert.doesNotMatch(row!, /-$/, 'the REVOKED column is filled');
});

test('certs: unknown or malformed serial, bad --limit and no server give "updraft: reason" and exit 1', async () => {
  const [unknown, bad, limit, down] = await Promise.all([
    runCli(['certs', 'revoke', 'ABCDEF99'], env),
    runCli(['certs', 'revoke', 'zz'], env),
    runCli(['certs', 'list', '--limit', 'ten'], env),
    runCli(['certs', 'list'], { UPDRAFT_SERVER: 'http://127.0.0.1:9', UPDRAFT_API_KEY: 'k' }),
  ]);
  for (const r of [unknown, bad, limit, down]) assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(unknown.stderr, /^updraft: .*404 no certificate with serial ABCDEF99/);
  assert.match(bad.stderr, /400 serial must be hexadecimal/);
  assert.match(limit.stderr, /--limit must be a whole number/);
  assert.match(down.stderr, /cannot reach the Updraft server/);
});
