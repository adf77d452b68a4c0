// `updraft fake-dep`: run the fake DEP service (Apple's Device Assignment Services) for demos,
// simulators and tests. Prints {url, tokens} as JSON; point a DEP name at it with
// `PUT /v1/config/NAME {"base_url": URL}` and load its tokens (PUT /v1/tokens/NAME, or the token
// file it mints for a certificate: POST URL/_fake/token).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './client.js';
import { action } from './output.js';

interface FakeDepCliOptions {
  listen: string;
  devices?: string;
  sessionTtl: string;
  rotateSessions?: boolean;
}

export function register(program: Command): void {
  program
    .command('fake-dep')
    .description('run a fake of Apple\'s DEP API (OAuth sessions, devices with fetch/sync cursors, profiles, errors on demand; admin routes under /_fake/)')
    .option('--listen <host:port>', 'address', '127.0.0.1:9510')
    .option('--devices <file>', 'JSON list of devices to start with (Apple\'s fields: serial_number, model, os, device_family, …)')
    .option('--session-ttl <seconds>', 'how long a DEP session token lives', '180')
    .option('--rotate-sessions', 'answer every request with a new X-ADM-Auth-Session')
    .action(
      action(async (opts: FakeDepCliOptions) => {
        const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(opts.listen.trim());
        if (!m) throw new CliError(`--listen must be HOST:PORT or PORT, got ${JSON.stringify(opts.listen)}`);
        const ttl = Number(opts.sessionTtl);
        if (!Number.isFinite(ttl) || ttl <= 0) throw new CliError('--session-ttl must be a positive number of seconds');
        let devices: Array<{ serial_number: string }> = [];
        if (opts.devices) {
          try {
            devices = JSON.parse(readFileSync(opts.devices, 'utf8')) as typeof devices;
          } catch (err) {
            throw new CliError(`cannot read --devices ${opts.devices}: ${(err as Error).message}`);
          }
          if (!Array.isArray(devices) || !devices.every((d) => typeof d?.serial_number === 'string')) throw new CliError('--devices must hold a JSON list of objects with serial_number');
        }
        const { FakeDep } = await import('../dep/fake/server.js'); // loaded here: the other commands stay light
        const fake = await FakeDep.start({ host: m[1] || '127.0.0.1', port: Number(m[2]), sessionTtlMs: ttl * 1000, rotateSessions: opts.rotateSessions });
        if (devices.length) fake.state.upsertDevices(devices);
        process.stdout.write(JSON.stringify({ url: fake.url, tokens: fake.state.tokens, devices: fake.state.devices.size }) + '\n');
        const stop = () => void fake.close().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
    );
}
