// `updraft serve`: flags and UPDRAFT_* variables into a Config (a flag wins), errors that name the flag,
// and a real server started as a subprocess that prints where it listens, its data and its API key,
// and on SIGTERM answers the request in flight before it exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../src/cli/client.js';
import { fixture, repoRoot } from '../helpers/fixtures.js';
import { startReceiver } from '../webhook/receiver.js';
import { parseServeFlags } from '../helpers/serve-flags.js';

const parse = parseServeFlags;

test('defaults: 0.0.0.0:9000, ./data, sqlite, no webhook, public URL from this host', () => {
  const c = parse([]);
  assert.equal(c.listen, '0.0.0.0:9000');
  assert.equal(c.dataDir, './data');
  assert.equal(c.db, 'sqlite');
  assert.equal(c.apiKey, '');
  assert.equal(c.webhookUrl, null);
  assert.equal(c.retentionDays, 90);
  assert.match(c.publicUrl, /^http:\/\/.+:9000$/);
});

test('every setting from its variable, and a flag wins over its variable', () => {
  const env = {
    UPDRAFT_LISTEN: '10.0.0.1:8443', UPDRAFT_DATA_DIR: '/var/lib/updraft', UPDRAFT_DB: 'postgres://u@db/updraft',
    UPDRAFT_API_KEY: 'k1', UPDRAFT_WEBHOOK_URL: 'https://hooks.example.com/mdm', UPDRAFT_WEBHOOK_SECRET: 's',
    UPDRAFT_PUBLIC_URL: 'https://mdm.example.com/', UPDRAFT_TLS_CERT: '/c.pem', UPDRAFT_TLS_KEY: '/k.pem',
    UPDRAFT_RETENTION_DAYS: '7', UPDRAFT_INSECURE_SKIP_IDENTITY: 'true', UPDRAFT_CA: '/a.pem, /b.pem',
  };
  const c = parse([], env);
  assert.deepEqual(
    [c.listen, c.dataDir, c.db, c.apiKey, c.webhookUrl, c.webhookSecret, c.publicUrl, c.tlsCert, c.tlsKey, c.retentionDays, c.identityOptional, c.caFiles],
    ['10.0.0.1:8443', '/var/lib/updraft', 'postgres://u@db/updraft', 'k1', 'https://hooks.example.com/mdm', 's', 'https://mdm.example.com', '/c.pem', '/k.pem', 7, true, ['/a.pem', '/b.pem']],
  );
  const f = parse(['--listen', '127.0.0.1:1234', '--api-key', 'k2', '--retention-days', '0', '--webhook-url', 'http://127.0.0.1:5000/x'], env);
  assert.deepEqual([f.listen, f.apiKey, f.retentionDays, f.webhookUrl, f.db], ['127.0.0.1:1234', 'k2', 0, 'http://127.0.0.1:5000/x', 'postgres://u@db/updraft']);
});

test('bad values name the flag and its variable', () => {
  const bad: [string[], Record<string, string>, RegExp][] = [
    [['--listen', 'nowhere'], {}, /--listen \(UPDRAFT_LISTEN\)/],
    [[], { UPDRAFT_LISTEN: '1.2.3.4:99999' }, /--listen/],
    [['--webhook-url', 'not a url'], {}, /--webhook-url \(UPDRAFT_WEBHOOK_URL\) must be a URL/],
    [[], { UPDRAFT_PUBLIC_URL: 'ftp://x' }, /--public-url .* http\(s\)/],
    [['--retention-days', 'forever'], {}, /--retention-days \(UPDRAFT_RETENTION_DAYS\) must be a whole number/],
    [['--tls-cert', '/c.pem'], {}, /--tls-cert and --tls-key go together/],
    [['--log-level', 'loud'], {}, /--log-level/],
  ];
  for (const [args, env, message] of bad) assert.throws(() => parse(args, env), (e: Error) => e instanceof CliError && message.test(e.message), String(args));
});

test('a real `updraft serve`: prints its URL, data dir and API key file; the API answers with that key; webhooks flow; SIGTERM finishes the request in flight, then stops it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-serve-'));
  const receiver = await startReceiver();
  const args = ['serve', '--listen', '127.0.0.1:0', '--log-level', 'warn', '--webhook-url', receiver.url, '--insecure-skip-identity'];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, UPDRAFT_LISTEN: 'garbage', UPDRAFT_DATA_DIR: dataDir, UPDRAFT_DB: 'sqlite', UPDRAFT_API_KEY: '' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m && out.includes('API key')) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then(() => reject(new Error(`serve exited: ${out}`)));
    });
    const keyFile = join(dataDir, 'api-key');
    assert.ok(out.includes(`Data: ${dataDir}`), out);
    assert.ok(out.includes(`API key: in ${keyFile} (read it with: cat ${keyFile})`), out);
    assert.match(out, /Push: no push certificate yet, .*`updraft pushcert mdmcert-download --email ADDRESS`/);
    const key = readFileSync(keyFile, 'utf8').trim();
    const res = await fetch(`${url}/v1/enrollments`, { headers: { authorization: `Basic ${Buffer.from(`micromdm:${key}`).toString('base64')}` } });
    assert.equal(res.status, 200);
    assert.equal((await fetch(`${url}/v1/enrollments`)).status, 401);

    const checkin = await fetch(`${url}/mdm`, {
      method: 'PUT',
      body: new Uint8Array(fixture('nanomdm/mdm_testdata_Authenticate.2.plist')),
      headers: { 'content-type': 'application/x-apple-aspen-mdm-checkin' },
    });
    assert.equal(checkin.status, 200);
    await receiver.waitFor(1, 10_000);
    assert.equal((JSON.parse(receiver.received[0]!.body) as { topic: string }).topic, 'mdm.Authenticate');

    // A check-in in flight (its body half sent) when SIGTERM arrives is answered; then the process exits 0.
    const body = fixture('nanomdm/mdm_testdata_Authenticate.2.plist');
    const u = new URL(url);
    let finish!: () => void;
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: Number(u.port), method: 'PUT', path: '/mdm', agent: false, headers: { 'content-type': 'application/x-apple-aspen-mdm-checkin', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 20));
      finish = () => req.end(body.subarray(20));
    });
    await new Promise((r) => setTimeout(r, 300));
    let exitedYet = false;
    void exited.then(() => (exitedYet = true));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(exitedYet, false, 'the process waits for the request in flight');
    assert.match(out, /SIGTERM: shutting down \(finishing requests in flight\)/);
    finish();
    assert.equal(await answer, 200, 'the request in flight is answered');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await receiver.close();
  }
});
