// `updraft ddm …` against a running server: put a declaration from a file, build a set, assign it,
// read an enrollment's view and status; refusals print the server's reason and exit non-zero.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../src/cli/ddm.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { DdmDevice, startRig, type Rig } from './helpers.js';

let rig: Rig;
let dir: string;

before(async () => {
  rig = await startRig();
  dir = mkdtempSync(join(tmpdir(), 'updraft-ddm-cli-'));
});
after(async () => {
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `updraft ddm ARGS` in-process; returns what it printed and the exit code it set. */
async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command('updraft').exitOverride();
  register(program, { out: (t) => void (out += t), err: (t) => void (err += t) });
  process.exitCode = 0;
  await program.parseAsync(['node', 'updraft', 'ddm', '--server', rig.server.url, '--api-key', TEST_API_KEY, ...args]);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

test('declarations, sets and assignments from the command line reach the device', async () => {
  const device = new DdmDevice(rig, 'DDM-CLI-0001');
  await device.enroll();
  const file = join(dir, 'settings.json');
  writeFileSync(file, JSON.stringify({
    Type: 'com.apple.configuration.softwareupdate.settings',
    Identifier: 'su-settings',
    Payload: { AutomaticActions: { Download: 'AlwaysOn' }, Deferrals: { MajorPeriodInDays: 30 } },
  }));
  const put = await cli('put', file);
  assert.equal(put.code, 0, put.err);
  assert.equal(JSON.parse(put.out).outcome, 'created');

  assert.equal((await cli('set', 'updates', 'su-settings')).code, 0);
  const assigned = await cli('assign', 'updates', device.udid);
  assert.deepEqual(JSON.parse(assigned.out).notified, [device.udid]);

  const show = JSON.parse((await cli('show', device.udid)).out) as { sets: string[]; declarations: Array<{ identifier: string }> };
  assert.deepEqual(show.sets, ['updates']);
  assert.ok(show.declarations.some((d) => d.identifier === 'su-settings'));

  await device.ddm('status', { StatusItems: { softwareupdate: { 'install-state': 'prepared' } }, Errors: [] });
  const status = JSON.parse((await cli('status', device.udid, '--prefix', 'softwareupdate.')).out) as { status_items: Record<string, { value: unknown }> };
  assert.equal(status.status_items['softwareupdate.install-state']?.value, 'prepared');

  const removed = await cli('set-remove', 'updates', 'su-settings');
  assert.deepEqual(JSON.parse(removed.out).notified, [device.udid]);
  const sets = JSON.parse((await cli('sets')).out) as { sets: Array<{ name: string; declarations: string[]; enrollments: number }> };
  assert.deepEqual(sets.sets, [{ ...sets.sets[0], name: 'updates', declarations: [], enrollments: 1 }]);
});

test('a refusal prints the reason and the offending key, and exits 1', async () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ Type: 'com.apple.configuration.passcode.settings', Identifier: 'p', Payload: { MinimumLength: 'six' } }));
  const r = await cli('put', file);
  assert.equal(r.code, 1);
  assert.match(r.err, /400 .*\[Payload\.MinimumLength\]/);
  const missing = await cli('put', join(dir, 'nope.json'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read/);
});
