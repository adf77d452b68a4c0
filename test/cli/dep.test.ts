// `updraft dep tokenpki|token|list|config|assigner` as a subprocess against a running server: the
// certificate written, the ABM token decrypted with it, a wrong token refused with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { makeTokenPki, sealTokenFile } from '../../src/dep/tokenpki.js';
import { runCli } from './run.js';

let server: TestServer;
let env: Record<string, string>;
let dir: string;
const tokens = { consumer_key: 'CK_cli', consumer_secret: 'CS_cli', access_token: 'AT_cli', access_secret: 'AS_cli', access_token_expiry: '2020-01-01T00:00:00Z' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'updraft-dep-cli-'));
  server = await startTestServer();
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('dep tokenpki writes the certificate; dep token decrypts the ABM file; dep list warns of the expired token', async () => {
  const out = join(dir, 'acme.pem');
  const pki = await runCli(['dep', 'tokenpki', 'acme', '--cn', 'acme-mdm', '--out', out], env);
  assert.equal(pki.code, 0, pki.stderr);
  assert.match(pki.stdout, /upload .*acme\.pem.*updraft dep token acme TOKEN\.p7m/s);
  assert.equal(new X509Certificate(readFileSync(out)).subject, 'CN=acme-mdm');

  writeFileSync(join(dir, 'wrong.p7m'), sealTokenFile(tokens, makeTokenPki().certPem));
  writeFileSync(join(dir, 'right.p7m'), sealTokenFile(tokens, readFileSync(out, 'utf8')));
  const wrong = await runCli(['dep', 'token', 'acme', join(dir, 'wrong.p7m')], env);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /400 the token was not encrypted to this DEP name's certificate/);

  const right = await runCli(['dep', 'token', 'acme', join(dir, 'right.p7m')], env);
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /stored the server token of acme: consumer key CK_cli/);
  assert.match(right.stderr, /warning: the DEP server token of acme expired on 2020-01-01/);
  assert.equal(right.stdout.includes('CS_cli'), false, 'secrets are not printed');

  const [list, config, assigner] = await Promise.all([
    runCli(['dep', 'list'], env),
    runCli(['dep', 'config', 'acme', '--base-url', 'http://127.0.0.1:9510', '--json'], env),
    runCli(['dep', 'assigner', 'acme', '--profile-uuid', 'PROFILE1'], env),
  ]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout.split('\n')[1]!, /^acme\s+CK_cli\s/);
  assert.match(list.stderr, /expired/);
  assert.equal(config.code, 0, config.stderr);
  assert.equal(JSON.parse(config.stdout).base_url, 'http://127.0.0.1:9510');
  assert.equal(assigner.stdout.trim(), 'acme: new devices get profile PROFILE1');
});
