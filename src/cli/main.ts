#!/usr/bin/env node
// The `updraft` command. Each command module exports register(program: Command); add one line per module.
// Every CLI call imports them all, so keep them light: load server-side code with await import() in the action.
import { Command } from 'commander';
import { register as registerServe } from './serve.js';
import { register as registerDevices } from './devices.js';
import { register as registerEnqueue } from './enqueue.js';
import { register as registerPush } from './push.js';
import { register as registerQueue } from './queue.js';
import { register as registerResults } from './results.js';
import { register as registerPushcert } from './pushcert.js';
import { register as registerFakeApns } from './fake-apns.js';
import { register as registerProfile } from './profile.js';
import { register as registerChallenge } from './challenge.js';
import { register as registerDdm } from './ddm.js';
import { register as registerSim } from './sim.js';

const program = new Command('updraft')
  .description('Updraft: an open-source Apple MDM server')
  .showHelpAfterError();

registerServe(program);
registerDevices(program);
registerEnqueue(program);
registerPush(program);
registerQueue(program);
registerResults(program);
registerPushcert(program);
registerFakeApns(program);
registerProfile(program);
registerChallenge(program);
registerDdm(program);
registerSim(program);

await program.parseAsync(process.argv);
