// CLI output: aligned tables for people, exact API JSON for scripts, and the error/exit convention.
import { CliError } from './client.js';

export type Cell = string | number | boolean | null | undefined;

/** Columns padded to their widest cell; empty cells shown as "-". */
export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...text.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A short local time for tables: 2026-11-28 03:20:11Z. */
export function shortTime(iso: unknown): string | null {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : null;
}

/** Where a command writes: the process's stdout and stderr, unless a caller (a test) passes others. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const STDIO: CliOutput = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** Runs a command action: CliErrors print "updraft: reason" and exit 1; anything else is a bug and is rethrown. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>, io: CliOutput = STDIO): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      io.err(`updraft: ${err.message}\n`);
      process.exitCode = 1;
    }
  };
}
