// Parse `updraft serve` flags with only the given UPDRAFT_* variables set, as the command does.
import { Command } from 'commander';
import { addServeOptions, configFrom } from '../../src/cli/serve-options.js';

export function parseServeFlags(args: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('UPDRAFT_')) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const cmd = addServeOptions(new Command('serve')).exitOverride();
    cmd.parse(args, { from: 'user' });
    return configFrom(cmd.opts());
  } finally {
    process.env = saved;
  }
}
