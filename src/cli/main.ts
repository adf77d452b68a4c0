#!/usr/bin/env node
// The `updraft` command. Each command module exports register(program: Command); add one line per module.
// Only the module of the command being run is imported (all of them for help or an unknown command),
// and modules keep their heavy code (server, simulator) behind await import() in the action, so
// `updraft --help` and the API commands start without loading the server or the simulator.
import { Command } from 'commander';

type CommandModule = { register(program: Command): void };

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  serve: () => import('./serve.js'),
  devices: () => import('./devices.js'),
  inventory: () => import('./inventory.js'),
  enqueue: () => import('./enqueue.js'),
  push: () => import('./push.js'),
  queue: () => import('./queue.js'),
  results: () => import('./results.js'),
  'os-update': () => import('./os-update.js'),
  cmd: () => import('./cmd.js'),
  pushcert: () => import('./pushcert.js'),
  'fake-apns': () => import('./fake-apns.js'),
  'fake-dep': () => import('./fake-dep.js'),
  dep: () => import('./dep.js'),
  profile: () => import('./profile.js'),
  challenge: () => import('./challenge.js'),
  certs: () => import('./certs.js'),
  apikey: () => import('./apikey.js'),
  ddm: () => import('./ddm.js'),
  campaign: () => import('./campaign.js'),
  tags: () => import('./tags.js'),
  catalog: () => import('./catalog.js'),
  os: () => import('./os.js'),
  sim: () => import('./sim.js'),
};

const program = new Command('updraft')
  .description('Updraft: an open-source Apple MDM server')
  .showHelpAfterError()
  .enablePositionalOptions(); // a command with subcommands (pushcert) can then leave their options to them

// The program has no options of its own, so the first word that is not a flag names the command.
const name = process.argv.slice(2).find((a) => !a.startsWith('-'));
const wanted = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
for (const mod of await Promise.all(wanted.map((n) => COMMANDS[n]()))) mod.register(program);

await program.parseAsync(process.argv);
