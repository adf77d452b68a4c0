// --ddm-auto / UPDRAFT_DDM_AUTO: on (the default) turns DDM on for each capable device at its first
// TokenUpdate; off leaves the queue to the admin's own commands (NanoMDM users' scripts expect only
// those), DDM then starting only when asked. Parsed as `updraft serve` parses it, and run through the
// whole server (startServer) as it composes the service chain, on the backend named by UPDRAFT_TEST_DB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { CliError } from '../../src/cli/client.js';
import { startServer } from '../../src/server.js';
import { testDatabase } from '../helpers/store.js';
import { TestDevice, commandOf } from '../helpers/device.js';
import { parseServeFlags } from '../helpers/serve-flags.js';

const parse = parseServeFlags;

test('--ddm-auto: on by default, off by flag or UPDRAFT_DDM_AUTO, a flag wins, bad values name both', () => {
  assert.equal(parse([]).ddmAuto, true);
  assert.equal(parse(['--ddm-auto', 'off']).ddmAuto, false);
  assert.equal(parse([], { UPDRAFT_DDM_AUTO: 'off' }).ddmAuto, false);
  assert.equal(parse(['--ddm-auto', 'on'], { UPDRAFT_DDM_AUTO: 'off' }).ddmAuto, true);
  assert.throws(() => parse(['--ddm-auto', 'sometimes']), (e: Error) => e instanceof CliError && /--ddm-auto \(UPDRAFT_DDM_AUTO\) must be on or off/.test(e.message));
});

/** A whole server from these serve flags; a new iOS 17 device enrolls; what its first poll gets. */
async function firstCommandAfterEnrolling(flags: string[]): Promise<string | null> {
  const database = await testDatabase();
  const config = parse(['--listen', '127.0.0.1:0', '--data-dir', database.dataDir, '--db', database.db, '--api-key', 'k', '--insecure-skip-identity', ...flags]);
  const server = await startServer(config, { logger: pino({ level: 'silent' }) });
  try {
    const device = new TestDevice(server.url, { ids: { UDID: 'DDM-AUTO-0001' } });
    assert.equal((await device.authenticate({ OSVersion: '17.4', ProductName: 'iPhone15,2', BuildVersion: '21E219' })).status, 200);
    assert.equal((await device.tokenUpdate()).status, 200);
    return commandOf(await device.idle())?.requestType ?? null;
  } finally {
    await server.close();
    await database.remove();
  }
}

test('the server turns DDM on at the first TokenUpdate by default, and not with --ddm-auto off', async () => {
  assert.equal(await firstCommandAfterEnrolling([]), 'DeclarativeManagement');
  assert.equal(await firstCommandAfterEnrolling(['--ddm-auto', 'off', '--inventory-interval', '0']), null, 'the queue holds only what the admin queues');
});
