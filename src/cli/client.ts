// A small client of the Updraft API for the CLI: server URL and key from flags or UPDRAFT_SERVER /
// UPDRAFT_API_KEY (else the key file in the data dir), and clear errors for the usual mistakes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { API_KEY_FILE } from '../secrets.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:9000';

/** The server the CLI talks to when --server is not given: UPDRAFT_SERVER, else the local default. */
export const defaultServer = (): string => process.env.UPDRAFT_SERVER ?? DEFAULT_SERVER;

/** An error the CLI prints as "updraft: <message>" before exiting with status 1. */
export class CliError extends Error {}

export interface ClientOptions {
  server?: string;
  apiKey?: string;
  dataDir?: string;
  json?: boolean;
}

/** Adds --server, --api-key, --data-dir (for the key file) and --json to a command. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `Updraft server URL (env UPDRAFT_SERVER, default ${DEFAULT_SERVER})`)
    .option('--api-key <key>', 'API key (env UPDRAFT_API_KEY; default: the api-key file in --data-dir)')
    .option('--data-dir <dir>', 'data directory of a local server, to read its API key (env UPDRAFT_DATA_DIR, default ./data)')
    .option('--json', 'print the API response as JSON (for scripts)');
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export class ApiClient {
  readonly server: string;
  private readonly key: string;

  constructor(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env) {
    this.server = (opts.server ?? env.UPDRAFT_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
    try {
      new URL(this.server);
    } catch {
      throw new CliError(`--server must be a URL such as ${DEFAULT_SERVER}, got ${JSON.stringify(this.server)}`);
    }
    const key = opts.apiKey ?? env.UPDRAFT_API_KEY ?? readKeyFile(opts.dataDir ?? env.UPDRAFT_DATA_DIR ?? './data');
    if (!key) throw new CliError('no API key: pass --api-key, set UPDRAFT_API_KEY, or point --data-dir at the server\'s data directory');
    this.key = key;
  }

  /** Calls the API; answers with any status the caller accepts (default 2xx), else throws the server's reason. */
  async request(method: string, path: string, body?: object | Buffer, accept: (status: number) => boolean = (s) => s < 300): Promise<ApiResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    let payload: string | Uint8Array | undefined;
    if (Buffer.isBuffer(body)) {
      payload = new Uint8Array(body);
      headers['content-type'] = 'application/xml';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(this.server + path, { method, headers, body: payload });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach the Updraft server at ${this.server} (${cause?.code ?? cause?.message ?? (err as Error).message}): ` +
          'is `updraft serve` running? Set --server or UPDRAFT_SERVER',
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401) throw new CliError(`the server refused the API key (401): check --api-key or UPDRAFT_API_KEY`);
    if (!accept(res.status)) {
      const reason = (parsed as { error?: string } | null)?.error ?? (text || res.statusText);
      throw new CliError(`${method} ${path}: ${res.status} ${reason}`);
    }
    return { status: res.status, body: parsed };
  }
}

function readKeyFile(dataDir: string): string | undefined {
  const file = join(dataDir, API_KEY_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}
