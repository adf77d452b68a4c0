#!/usr/bin/env node
// The `updraft` command. Each command module exports register(program: Command); add one line per module.
import { Command } from 'commander';
import { register as registerPushcert } from './pushcert.js';
import { register as registerProfile } from './profile.js';
import { register as registerChallenge } from './challenge.js';

const program = new Command('updraft')
  .description('Updraft: an open-source Apple MDM server')
  .showHelpAfterError();

registerPushcert(program);
registerProfile(program);
registerChallenge(program);

await program.parseAsync(process.argv);
