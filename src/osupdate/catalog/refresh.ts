// Scheduled refresh of the catalogs configured with --catalog-url kind=URL: a conditional GET
// (If-None-Match / If-Modified-Since from the copy held), 304 recorded as a check, a new document
// imported through the service (so it is validated and an older one refused), and any failure
// (network, HTTP status, bad document) recorded while the last good copy stays in use. With several
// server processes on one database, a pass runs under the `catalog-refresh` lease (one process
// refreshes at a time; the others skip the pass) and skips a kind another refreshed within half an
// interval, so of several nodes waking together one downloads.
import type { Logger } from 'pino';
import type { CatalogKind } from '../types.js';
import type { LeaseStore } from '../../storage/types.js';
import { leased } from '../../service/lease.js';
import { CatalogConflictError, type Catalogs } from './service.js';
import { CatalogError } from './model.js';

export const DEFAULT_CATALOG_REFRESH_SECONDS = 6 * 3600;
/** Largest download accepted (a gzipped sucatalog is a few megabytes, an inflated one tens). */
export const MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024;

export type RefreshOutcome =
  | { kind: CatalogKind; result: 'updated' | 'unchanged' | 'not-modified' | 'skipped' }
  | { kind: CatalogKind; result: 'failed'; error: string };

export interface CatalogRefreshOptions {
  catalogs: Catalogs;
  urls: Partial<Record<CatalogKind, string>>;
  intervalSeconds?: number;
  /** Per download (default 120 s). */
  timeoutMs?: number;
  logger?: Logger;
  now?: () => Date;
  /** Shared with other server processes: a pass runs only while this process holds the lease. */
  leases?: LeaseStore;
  /** Lease owner (default: this process). */
  owner?: string;
}

export interface CatalogRefresher {
  /**
   * Refreshes every configured kind now (skipping those another process just refreshed unless
   * `force`); every kind is 'skipped' while another process holds the refresh lease.
   */
  runOnce(force?: boolean): Promise<RefreshOutcome[]>;
  stop(): Promise<void>;
}

async function download(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot download ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}

async function body(res: Response, url: string): Promise<Buffer> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_DOWNLOAD_BYTES) throw new Error(`${url}: ${length} bytes is more than the ${MAX_DOWNLOAD_BYTES / 1048576} MB a catalog may be`);
  try {
    return Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw new Error(`${url}: the download broke off (${(err as Error).message})`);
  }
}

/** Refreshes one kind from its URL; every failure is recorded on the catalog and answered as 'failed'. */
export async function refreshCatalog(catalogs: Catalogs, kind: CatalogKind, url: string, timeoutMs = 120_000): Promise<RefreshOutcome> {
  const held = (await catalogs.states()).find((s) => s.kind === kind && s.sha256 !== null);
  const headers: Record<string, string> = {};
  if (held && held.source === url) {
    if (held.etag) headers['if-none-match'] = held.etag;
    if (held.lastModified) headers['if-modified-since'] = held.lastModified;
  }
  try {
    const res = await download(url, headers, timeoutMs);
    const validators = { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
    if (res.status === 304 && held) {
      await catalogs.notModified(kind, { etag: validators.etag ?? held.etag, lastModified: validators.lastModified ?? held.lastModified });
      return { kind, result: 'not-modified' };
    }
    if (res.status !== 200) {
      void res.body?.cancel();
      throw new Error(`${url} answered HTTP ${res.status} ${res.statusText}`.trim());
    }
    const { changed } = await catalogs.import(kind, await body(res, url), { source: url, ...validators });
    return { kind, result: changed ? 'updated' : 'unchanged' };
  } catch (err) {
    // The service has already recorded a bad document or an older catalog.
    if (!(err instanceof CatalogError || err instanceof CatalogConflictError)) await catalogs.recordError(kind, (err as Error).message);
    return { kind, result: 'failed', error: (err as Error).message };
  }
}

/** Starts the refresh loop: once now, then every interval. */
export function startCatalogRefresh(opts: CatalogRefreshOptions): CatalogRefresher {
  const interval = (opts.intervalSeconds ?? DEFAULT_CATALOG_REFRESH_SECONDS) * 1000;
  const now = opts.now ?? (() => new Date());
  const entries = Object.entries(opts.urls).filter((e): e is [CatalogKind, string] => typeof e[1] === 'string');
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<RefreshOutcome[]> | null = null;
  let stopped = false;

  async function refreshAll(force: boolean): Promise<RefreshOutcome[]> {
    const states = await opts.catalogs.states();
    const out: RefreshOutcome[] = [];
    for (const [kind, url] of entries) {
      const s = states.find((x) => x.kind === kind);
      const last = Math.max(s?.checkedAt?.getTime() ?? 0, s?.lastError?.at.getTime() ?? 0);
      if (!force && now().getTime() - last < interval / 2) {
        out.push({ kind, result: 'skipped' });
        continue;
      }
      const outcome = await refreshCatalog(opts.catalogs, kind, url, opts.timeoutMs);
      opts.logger?.[outcome.result === 'failed' ? 'warn' : 'info'](
        { kind, url, result: outcome.result, ...(outcome.result === 'failed' ? { error: outcome.error } : {}) },
        'catalog refresh',
      );
      out.push(outcome);
    }
    return out;
  }

  // The lease covers one pass (every download at its timeout, and a margin) and is dropped after it:
  // a node that dies mid-pass holds it no longer than that.
  const ttlMs = entries.length * (opts.timeoutMs ?? 120_000) + 60_000;
  const skippedAll = entries.map(([kind]): RefreshOutcome => ({ kind, result: 'skipped' }));
  async function pass(force: boolean): Promise<RefreshOutcome[]> {
    if (!opts.leases) return refreshAll(force);
    const lease = leased({ store: opts.leases, name: 'catalog-refresh', ttlMs, owner: opts.owner }, () => refreshAll(force), skippedAll);
    try {
      return await lease.pass();
    } finally {
      await lease.release();
    }
  }

  const runOnce = (force = false): Promise<RefreshOutcome[]> => {
    running ??= pass(force).finally(() => (running = null));
    return running;
  };

  const tick = (): void => {
    runOnce()
      .catch((err: unknown) => opts.logger?.error({ err }, 'catalog refresh failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, interval).unref();
      });
  };
  if (entries.length > 0) timer = setTimeout(tick, 0).unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
