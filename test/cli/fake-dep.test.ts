// `updraft fake-dep` as a subprocess: it prints its URL and tokens, starts with the --devices file,
// and a DEP client signs in with those tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';
import { depClient } from '../../src/dep/client.js';
import type { DepName } from '../../src/dep/types.js';

test('fake-dep prints {url, tokens}, holds the --devices, and answers a signed session', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-fake-dep-'));
  const devices = join(dir, 'devices.json');
  writeFileSync(devices, JSON.stringify([{ serial_number: 'FAKE01', model: 'MacBook Air', os: 'OSX', device_family: 'Mac' }]));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'fake-dep', '--listen', '127.0.0.1:0', '--devices', devices], { cwd: repoRoot });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`fake-dep exited ${code}`)));
    });
    const info = JSON.parse(first) as { url: string; tokens: DepName['tokens']; devices: number };
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.devices, 1);
    const dep = { name: 'cli', tokens: info.tokens, baseUrl: info.url, sessionToken: null } as DepName;
    const client = depClient('cli', { store: { getDepName: async () => dep, saveDepSession: async (_n, s) => void (dep.sessionToken = s) } });
    const page = await client.fetchDevices();
    assert.deepEqual(page.devices.map((d) => [d.serial_number, d.model]), [['FAKE01', 'MacBook Air']]);
    assert.ok(dep.sessionToken);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
