// `updraft apikey create|list|revoke` as a subprocess: the created key works with its role at once,
// list shows it without the key, revoke stops it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { runCli } from '../cli/run.js';

let server: TestServer;
let env: Record<string, string>;
before(async () => {
  server = await startTestServer();
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
});
after(() => server.close());

test('apikey create, list and revoke', async () => {
  const created = await runCli(['apikey', 'create', '--role', 'read-only', '--name', 'grafana'], env);
  assert.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim();
  assert.match(key, /^updraft_/);
  assert.match(created.stderr, /created read-only key grafana/);
  const asViewer = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: key };
  const [reads, refused, list, bad] = await Promise.all([
    runCli(['devices'], asViewer),
    runCli(['apikey', 'create', '--role', 'admin'], asViewer),
    runCli(['apikey', 'list'], env),
    runCli(['apikey', 'create', '--role', 'root'], env),
  ]);
  assert.equal(reads.code, 0, 'a read-only key reads');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /needs an admin key/);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID\s+NAME\s+ROLE\s+CREATED\s+REVOKED\n[0-9a-f]{12}\s+grafana\s+read-only\s+/);
  assert.ok(!list.stdout.includes(key));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--role must be one of admin, operator, read-only/);

  const revoked = await runCli(['apikey', 'revoke', 'grafana'], env);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /revoked read-only key grafana/);
  const after = await runCli(['devices'], asViewer);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /refused the API key \(401\): API key revoked/);
});
