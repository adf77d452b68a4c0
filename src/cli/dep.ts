// `updraft dep …`: ADE (DEP) names over the API.
//   dep tokenpki NAME [--cn CN] [--validity-days N] [--out FILE]  a new key pair; writes the certificate to upload to ABM
//   dep token NAME FILE [--force]                                  decrypt the server token (.p7m) downloaded from ABM
//   dep list                                                       DEP names, token expiry (warned from 30 days)
//   dep config NAME [--base-url URL]                               show or set where the DEP API is
//   dep assigner NAME [--profile-uuid UUID]                        show or set the profile new devices get
//   dep devices [NAME] [--not-enrolled], dep sync NAME              synced devices; a sync pass now (dep-devices.ts)
// Other dep subcommands register themselves on the `dep` command below (one line each).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';
import { registerDepDevices } from './dep-devices.js';
import type { DepNameView as DepNameJson } from '../dep/service.js';


const at = (name: string) => encodeURIComponent(name);

function show(d: DepNameJson): void {
  console.log(
    table(
      ['NAME', 'TOKEN', 'EXPIRES', 'DAYS LEFT', 'BASE URL', 'ASSIGNER PROFILE', 'LAST SYNC CURSOR'],
      [[d.name, d.has_tokens ? d.consumer_key : d.staging_certificate ? 'awaiting token' : 'none', shortTime(d.token_expires_at), d.days_left, d.base_url, d.assigner_profile_uuid, shortTime(d.cursor_at)]],
    ),
  );
  if (d.warning) console.error(`warning: ${d.warning}`);
}

export function register(program: Command): void {
  const dep = program.command('dep').description('Automated Device Enrollment (DEP names: server tokens, config, assigner)');

  clientOptions(
    dep
      .command('tokenpki <name>')
      .description('make a new key pair for a DEP name and write its certificate: upload it to the MDM server in Apple Business/School Manager')
      .option('--cn <name>', 'certificate common name (default "depserver")')
      .option('--validity-days <n>', 'certificate validity in days (default 1: upload it now)')
      .option('--out <file>', 'where to write the certificate PEM ("-" prints it; default NAME.pem)'),
    { json: false },
  ).action(
    action(async (name: string, opts: ClientOptions & { cn?: string; validityDays?: string; out?: string }) => {
      if (opts.validityDays !== undefined && !/^\d+$/.test(opts.validityDays)) throw new CliError('--validity-days must be a whole number');
      const q = new URLSearchParams();
      if (opts.cn) q.set('cn', opts.cn);
      if (opts.validityDays) q.set('validity_days', opts.validityDays);
      const { bytes } = await new ApiClient(opts).request('GET', `/v1/tokenpki/${at(name)}${q.size ? `?${q}` : ''}`);
      const out = opts.out ?? `${name}.pem`;
      if (out === '-') return void process.stdout.write(bytes);
      writeFileSync(out, bytes);
      console.log(
        `wrote ${out}: in Apple Business Manager open Preferences → your MDM server (or add one), upload ${out} as its public key, ` +
          `download the server token, then run: updraft dep token ${name} TOKEN.p7m`,
      );
    }),
  );

  clientOptions(
    dep
      .command('token <name> <file>')
      .description('decrypt the server token (.p7m) downloaded from ABM with the DEP name\'s key pair and store it')
      .option('--force', 'accept a token of another consumer key (another MDM server\'s) in place of the current one'),
  ).action(
    action(async (name: string, file: string, opts: ClientOptions & { force?: boolean }) => {
      const client = new ApiClient(opts);
      await client.request('PUT', `/v1/tokenpki/${at(name)}${opts.force ? '?force=1' : ''}`, readInput(file, 'the server token'), {
        headers: { 'content-type': 'application/pkcs7-mime' },
      });
      const view = (await client.request('GET', `/v1/dep/${at(name)}`)).body as DepNameJson;
      if (opts.json) return printJson(view);
      console.log(`stored the server token of ${name}: consumer key ${view.consumer_key}, expires ${shortTime(view.token_expires_at)} (${view.days_left} days)`);
      if (view.warning) console.error(`warning: ${view.warning}`);
    }),
  );

  clientOptions(dep.command('list').description('DEP names: token, expiry (warned from 30 days), base URL, assigner profile')).action(
    action(async (opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('GET', '/v1/dep');
      if (opts.json) return printJson(body);
      const list = (body as { dep_names: DepNameJson[] }).dep_names;
      if (list.length === 0) return void console.log('no DEP names: start with `updraft dep tokenpki NAME`');
      console.log(
        table(
          ['NAME', 'TOKEN', 'EXPIRES', 'DAYS LEFT', 'BASE URL', 'ASSIGNER PROFILE'],
          list.map((d) => [d.name, d.has_tokens ? d.consumer_key : d.staging_certificate ? 'awaiting token' : 'none', shortTime(d.token_expires_at), d.days_left, d.base_url, d.assigner_profile_uuid]),
        ),
      );
      for (const d of list) if (d.warning) console.error(`warning: ${d.warning}`);
    }),
  );

  clientOptions(
    dep
      .command('config <name>')
      .description('show a DEP name, or set where its DEP API is (--base-url; tests and demos point it at `updraft fake-dep`)')
      .option('--base-url <url>', 'the DEP API address (Apple: https://mdmenrollment.apple.com)'),
  ).action(
    action(async (name: string, opts: ClientOptions & { baseUrl?: string }) => {
      const client = new ApiClient(opts);
      if (opts.baseUrl !== undefined) await client.request('PUT', `/v1/config/${at(name)}`, { base_url: opts.baseUrl });
      const view = (await client.request('GET', `/v1/dep/${at(name)}`)).body as DepNameJson;
      if (opts.json) return printJson(view);
      show(view);
    }),
  );

  clientOptions(
    dep
      .command('assigner <name>')
      .description('show or set (--profile-uuid) the ADE profile the assigner gives the DEP name\'s new devices')
      .option('--profile-uuid <uuid>', 'a profile UUID the DEP API defined'),
  ).action(
    action(async (name: string, opts: ClientOptions & { profileUuid?: string }) => {
      const client = new ApiClient(opts);
      const { body } =
        opts.profileUuid !== undefined
          ? await client.request('PUT', `/v1/assigner/${at(name)}?profile_uuid=${encodeURIComponent(opts.profileUuid)}`)
          : await client.request('GET', `/v1/assigner/${at(name)}`);
      if (opts.json) return printJson(body);
      const uuid = (body as { profile_uuid?: string }).profile_uuid;
      console.log(uuid ? `${name}: new devices get profile ${uuid}` : `${name}: no assigner profile`);
    }),
  );
  registerDepDevices(dep);
}
