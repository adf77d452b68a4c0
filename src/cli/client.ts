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

/** Adds --server to a command (enough for the endpoints devices use, which take no API key). */
export function serverOption(cmd: Command): Command {
  return cmd.option('--server <url>', `Updraft server URL (env UPDRAFT_SERVER, default ${DEFAULT_SERVER})`);
}

/** Adds --server, --api-key, --data-dir (for the key file) and, unless json is false, --json. */
export function clientOptions(cmd: Command, { json = true } = {}): Command {
  serverOption(cmd)
    .option('--api-key <key>', 'API key (env UPDRAFT_API_KEY; default: the api-key file in --data-dir)')
    .option('--data-dir <dir>', 'data directory of a local server, to read its API key (env UPDRAFT_DATA_DIR, default ./data)');
  return json ? cmd.option('--json', 'print the API response as JSON (for scripts)') : cmd;
}

export interface RequestOptions {
  /** Statuses the caller handles itself (default: 2xx); any other throws the server's reason. */
  accept?: (status: number) => boolean;
  /** Extra headers, e.g. the content-type of a Buffer body (default application/xml). */
  headers?: Record<string, string>;
  /** false for the endpoints devices use, which take no API key. */
  auth?: boolean;
}

export interface ApiResponse {
  status: number;
  /** The body parsed as JSON, else its text (null when empty). */
  body: unknown;
  bytes: Buffer;
  headers: Headers;
}

export class ApiClient {
  readonly server: string;
  private readonly key: string | undefined;

  constructor(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env) {
    this.server = (opts.server ?? env.UPDRAFT_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
    try {
      new URL(this.server);
    } catch {
      throw new CliError(`--server must be a URL such as ${DEFAULT_SERVER}, got ${JSON.stringify(this.server)}`);
    }
    this.key = opts.apiKey ?? env.UPDRAFT_API_KEY ?? readKeyFile(opts.dataDir ?? env.UPDRAFT_DATA_DIR ?? './data');
  }

  /** Calls the API; answers with any status the caller accepts (default 2xx), else throws the server's reason. */
  async request(method: string, path: string, body?: object | Buffer, opts: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (opts.auth !== false) {
      if (!this.key) throw new CliError("no API key: pass --api-key, set UPDRAFT_API_KEY, or point --data-dir at the server's data directory");
      headers.authorization = `Bearer ${this.key}`;
    }
    let payload: string | Uint8Array | undefined;
    if (Buffer.isBuffer(body)) {
      payload = new Uint8Array(body);
      headers['content-type'] = 'application/xml';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, opts.headers);
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
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401 && opts.auth !== false) {
      const why = typeof (parsed as { error?: unknown } | null)?.error === 'string' ? ` ${(parsed as { error: string }).error};` : '';
      throw new CliError(`the server refused the API key (401):${why} check --api-key or UPDRAFT_API_KEY`);
    }
    if (!(opts.accept ?? ((s) => s < 300))(res.status)) {
      const e = parsed as { error?: string; field?: string } | null;
      const reason = typeof e?.error === 'string' ? e.error + (e.field ? ` [${e.field}]` : '') : text.slice(0, 200) || res.statusText;
      throw new CliError(`${method} ${path}: ${res.status} ${reason}`);
    }
    return { status: res.status, body: parsed, bytes, headers: res.headers };
  }
}

/** A file's bytes (- reads stdin); a missing or unreadable file is a CliError naming it. */
export function readInput(file: string, what = ''): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw new CliError(`cannot read ${what ? `${what} ` : ''}${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readKeyFile(dataDir: string): string | undefined {
  const file = join(dataDir, API_KEY_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}
