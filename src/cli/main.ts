#!/usr/bin/env node
// The `updraft` command. Each command module exports register(program: Command); add one line per module.
import { Command } from 'commander';

const program = new Command('updraft')
  .description('Updraft: an open-source Apple MDM server')
  .showHelpAfterError();

await program.parseAsync(process.argv);
