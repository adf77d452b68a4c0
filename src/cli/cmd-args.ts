// The arguments of `updraft cmd`: the RequestType, enrollment IDs, the CLI's own options, and one flag per
// command key (`--identifier com.example`, `--queries OSVersion --queries BuildVersion`, `--force`), whose
// names and types come from Apple's schema, so they are parsed here rather than declared to commander.
import { CliError } from './client.js';

export interface CmdOptions {
  server?: string;
  apiKey?: string;
  dataDir?: string;
  /** --json without a file: print JSON. */
  json?: boolean;
  /** --json FILE: the payload. */
  payloadFile?: string;
  file?: string;
  wait?: boolean;
  timeout?: string;
  nopush?: boolean;
  expiresIn?: string;
  commandUuid?: string;
  list?: boolean;
  help?: boolean;
}

export interface KeyFlag {
  /** The flag as typed, without the dashes (`product-key`, `Identifier`). */
  flag: string;
  /** The value given; true for a bare flag. */
  value: string | true;
}

export interface CmdArgs {
  requestType: string | null;
  ids: string[];
  keys: KeyFlag[];
  opts: CmdOptions;
}

type Reserved = { opt: keyof CmdOptions; takes: 'value' | 'none' | 'json' };

/** The CLI's own options; a command key with one of these names can only be given in a --json payload. */
export const RESERVED: Readonly<Record<string, Reserved>> = {
  server: { opt: 'server', takes: 'value' },
  'api-key': { opt: 'apiKey', takes: 'value' },
  'data-dir': { opt: 'dataDir', takes: 'value' },
  json: { opt: 'json', takes: 'json' },
  file: { opt: 'file', takes: 'value' },
  wait: { opt: 'wait', takes: 'none' },
  timeout: { opt: 'timeout', takes: 'value' },
  nopush: { opt: 'nopush', takes: 'none' },
  'expires-in': { opt: 'expiresIn', takes: 'value' },
  'command-uuid': { opt: 'commandUuid', takes: 'value' },
  list: { opt: 'list', takes: 'none' },
  help: { opt: 'help', takes: 'none' },
  h: { opt: 'help', takes: 'none' },
};

/** How a command-key flag takes its value: a boolean may stand alone; anything else needs one. */
export type FlagKind = 'boolean' | 'value';

const BOOLEAN_WORD = /^(true|false|yes|no|1|0)$/i;
const isFlag = (t: string | undefined): boolean => t !== undefined && t.startsWith('-') && t !== '-' && !/^-\d/.test(t);

/** The RequestType: the first word that is neither a flag nor the value of one of the CLI's own options. */
export function findRequestType(tokens: readonly string[], isFile: (path: string) => boolean): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') return tokens[i + 1] ?? null;
    if (!isFlag(t)) return t;
    const name = t.replace(/^--?/, '').split('=')[0]!;
    const r = RESERVED[name];
    if (!r) throw new CliError(`put the RequestType before ${t} (updraft cmd <RequestType> [ids…] [--key value…])`);
    if (t.includes('=')) continue;
    if (r.takes === 'value' || (r.takes === 'json' && tokens[i + 1] !== undefined && isFile(tokens[i + 1]!))) i++;
  }
  return null;
}

/**
 * Splits the tokens after `cmd`. `kindOf` tells a command key's flag kind (undefined: not a key of the
 * command); `isFile` tells whether the word after --json is the payload file rather than an ID.
 */
export function parseCmdArgs(tokens: readonly string[], kindOf: (flag: string) => FlagKind | undefined, isFile: (path: string) => boolean): CmdArgs {
  const requestType = findRequestType(tokens, isFile);
  const out: CmdArgs = { requestType, ids: [], keys: [], opts: {} };
  let typeSeen = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') {
      for (const x of tokens.slice(i + 1)) {
        if (x === requestType && !typeSeen) typeSeen = true;
        else out.ids.push(x);
      }
      break;
    }
    if (!isFlag(t)) {
      if (t === requestType && !typeSeen) typeSeen = true;
      else out.ids.push(t);
      continue;
    }
    const eq = t.indexOf('=');
    const name = (eq >= 0 ? t.slice(0, eq) : t).replace(/^--?/, '');
    const inline = eq >= 0 ? t.slice(eq + 1) : undefined;
    const next = tokens[i + 1];
    const reserved = RESERVED[name];
    if (reserved) {
      const o = out.opts as Record<string, string | boolean | undefined>;
      if (reserved.takes === 'none') {
        if (inline !== undefined) throw new CliError(`--${name} takes no value`);
        o[reserved.opt] = true;
      } else if (reserved.takes === 'json') {
        if (inline !== undefined) out.opts.payloadFile = inline;
        else if (next !== undefined && !isFlag(next) && isFile(next)) out.opts.payloadFile = tokens[++i];
        else out.opts.json = true;
      } else {
        const value = inline ?? (next !== undefined && !next.startsWith('--') ? tokens[++i] : undefined);
        if (value === undefined) throw new CliError(`--${name} needs a value`);
        o[reserved.opt] = value;
      }
      continue;
    }
    const negated = name.startsWith('no-') && kindOf(name) === undefined && kindOf(name.slice(3)) === 'boolean';
    const kind = negated ? 'boolean' : kindOf(name);
    if (kind === undefined) {
      out.keys.push({ flag: name, value: inline ?? true }); // reported by the caller, with close matches
      continue;
    }
    if (negated) {
      if (inline !== undefined) throw new CliError(`--${name} takes no value`);
      out.keys.push({ flag: name.slice(3), value: 'false' });
    } else if (inline !== undefined) out.keys.push({ flag: name, value: inline });
    else if (kind === 'boolean') out.keys.push({ flag: name, value: next !== undefined && BOOLEAN_WORD.test(next) ? tokens[++i]! : true });
    else if (next !== undefined && !next.startsWith('--')) out.keys.push({ flag: name, value: tokens[++i]! });
    else throw new CliError(`--${name} needs a value`);
  }
  return out;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Up to `max` candidates close to `word` (case and separators ignored), closest first. */
export function closeMatches(word: string, candidates: readonly string[], max = 3): string[] {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const w = norm(word);
  return candidates
    .map((c) => {
      const n = norm(c);
      const d = n.includes(w) || w.includes(n) ? Math.abs(n.length - w.length) / 4 : distance(w, n);
      return { c, d };
    })
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(norm(c).length / 3)))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map(({ c }) => c);
}
