// `updraft fake-apns`: run the fake APNs for demos and simulators. Writes its TLS certificate to
// --ca-out (give that file to the server as apnsCa) and prints {url, wake_url, ca_file} as JSON.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, readInput } from './client.js';
import { action } from './output.js';

interface FakeApnsCliOptions {
  listen: string;
  wakePort: string;
  name?: string[];
  trust?: string[];
  caOut: string;
}

function hostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(value.trim());
  if (!m) throw new CliError(`${flag} must be HOST:PORT or PORT, got ${JSON.stringify(value)}`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

export function register(program: Command): void {
  program
    .command('fake-apns')
    .description('run a fake APNs (HTTP/2, TLS client-certificate auth) with a plain-HTTP wake channel for simulated devices')
    .option('--listen <host:port>', 'APNs address', '127.0.0.1:2197')
    .option('--wake-port <port>', 'wake channel port, same host (GET /wakes long-poll, POST /respond, /unregister, /goaway)', '2198')
    .option('--name <dns...>', 'extra DNS names for the fake\'s TLS certificate (it covers localhost and 127.0.0.1)')
    .option('--trust <file...>', 'PEM push certificates or CAs to accept (default: any client certificate)')
    .option('--ca-out <file>', 'write the fake server\'s certificate here, to pass as updraft serve --apns-ca', 'fake-apns-ca.pem')
    .action(
      action(async (opts: FakeApnsCliOptions) => {
        const apns = hostPort(opts.listen, '--listen');
        const wakePort = Number(opts.wakePort);
        if (!Number.isInteger(wakePort) || wakePort < 0 || wakePort > 65535) throw new CliError('--wake-port must be a port number');
        const trust = opts.trust?.map((f) => readInput(f, 'the trusted certificate').toString('utf8'));
        const { FakeApns } = await import('../push/fake-apns.js'); // loaded here: the other commands stay light
        const fake = await FakeApns.start({ host: apns.host, port: apns.port, wakePort, trust, tlsNames: opts.name });
        writeFileSync(opts.caOut, fake.ca);
        process.stdout.write(JSON.stringify({ url: fake.url, wake_url: fake.wakeUrl, ca_file: opts.caOut }) + '\n');
        const stop = () => void fake.close().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
    );
}
