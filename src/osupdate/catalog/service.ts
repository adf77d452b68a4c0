// The catalog service: imports (validated; an older catalog than the one held is refused unless
// forced; a failure keeps the last good copy and is recorded), staleness, and the CatalogView of
// this process, rebuilt when the stored catalogs change (several processes share one database:
// the light state rows are re-read at most every few seconds, the parsed documents only when a
// kind's SHA-256 changed).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import type { Logger } from 'pino';
import type { CatalogStore, CatalogState } from '../../storage/types-catalogs.js';
import { CATALOG_KINDS, type CatalogInfo, type CatalogKind, type CatalogView } from '../types.js';
import { CatalogError, PARSED_VERSION, type ParsedDoc } from './model.js';
import { isGzip, parseCatalog } from './parse.js';
import { CatalogIndex, catalogView } from './view.js';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);
const DAY_MS = 86_400_000;

export const DEFAULT_CATALOG_MAX_AGE_DAYS = 7;
export const DEFAULT_VIEW_RECHECK_MS = 5_000;

/** An import refused because the catalog is older than the one held (HTTP 409 unless forced). */
export class CatalogConflictError extends Error {
  override readonly name = 'CatalogConflictError';
}

export const isCatalogKind = (k: string): k is CatalogKind => (CATALOG_KINDS as readonly string[]).includes(k);

/** A held catalog as the view and the API describe it: CatalogInfo plus how its age was judged. */
export interface CatalogStatus extends CatalogInfo {
  /** When the copy was last confirmed current (import, download, or 304 Not Modified). */
  checkedAt: Date;
  /** When the document says it was made (SOFA LastCheck, sucatalog IndexDate); null for gdmf. */
  documentDate: Date | null;
  /** The latest release expiration inside (gdmf, SOFA). */
  validUntil: Date | null;
  /** Whole days since the document's own date, else since it was last confirmed current. */
  ageDays: number;
  /** Why it is stale, in words; null when it is not. */
  staleReason: string | null;
  sha256: string;
  size: number;
  etag: string | null;
  lastModified: string | null;
}

export interface ImportOptions {
  /** "file:NAME", "api" or the URL. */
  source: string;
  force?: boolean;
  etag?: string | null;
  lastModified?: string | null;
}

export interface ImportResult {
  status: CatalogStatus;
  /** False when the document is the one already held (only its check time moved). */
  changed: boolean;
}

export interface CatalogsOptions {
  store: CatalogStore;
  logger?: Logger;
  now?: () => Date;
  /** Days after which a catalog not confirmed current (or whose document is that old) is stale (default 7). */
  maxAgeDays?: number;
  /** How often view() re-reads the stored catalogs' states, ms (default 5000; 0 = every call). */
  recheckMs?: number;
}

const days = (ms: number): number => Math.floor(ms / DAY_MS);
const day = (d: Date): string => d.toISOString().slice(0, 10);

export class Catalogs {
  private readonly store: CatalogStore;
  private readonly logger: Logger | undefined;
  private readonly now: () => Date;
  readonly maxAgeDays: number;
  private readonly recheckMs: number;
  private readonly docs = new Map<CatalogKind, { sha256: string; doc: ParsedDoc }>();
  private index: CatalogIndex | null = null;
  private cached: { at: number; view: CatalogView } | null = null;
  private loading: Promise<CatalogView> | null = null;

  constructor(opts: CatalogsOptions) {
    this.store = opts.store;
    this.logger = opts.logger;
    this.now = opts.now ?? (() => new Date());
    this.maxAgeDays = opts.maxAgeDays ?? DEFAULT_CATALOG_MAX_AGE_DAYS;
    this.recheckMs = opts.recheckMs ?? DEFAULT_VIEW_RECHECK_MS;
  }

  /** Validates and keeps a catalog; CatalogError (bad document) and CatalogConflictError (older) leave the held copy as it was. */
  async import(kind: CatalogKind, bytes: Buffer, opts: ImportOptions): Promise<ImportResult> {
    const at = this.now();
    const held = (await this.store.catalogStates()).find((s) => s.kind === kind && s.sha256 !== null);
    let result;
    try {
      result = await parseCatalog(kind, bytes, opts.source);
    } catch (err) {
      if (err instanceof CatalogError) await this.recordError(kind, err.message);
      throw err;
    }
    const { parsed, inflated } = result;
    const sha256 = createHash('sha256').update(inflated).digest('hex');
    const validators = { etag: opts.etag ?? null, lastModified: opts.lastModified ?? null };
    if (held && held.sha256 === sha256) {
      await this.store.markCatalogChecked(kind, at, validators);
      this.invalidate();
      return { status: (await this.status(kind))!, changed: false };
    }
    if (held && !opts.force && isOlder(parsed.contentDate, parsed.documentDate, held)) {
      const message =
        `${opts.source}: this ${kind} catalog is older than the one held (${describe(parsed.contentDate, parsed.documentDate)} ` +
        `< ${describe(held.contentDate, held.documentDate)}, from ${held.source}); import it with force to replace it anyway`;
      await this.recordError(kind, message);
      throw new CatalogConflictError(message);
    }
    await this.store.saveCatalog(
      {
        kind,
        source: opts.source,
        raw: isGzip(bytes) ? bytes : await gzip(bytes),
        rawSize: inflated.length,
        sha256,
        parsed: await gzip(JSON.stringify(parsed.doc)),
        parsedVersion: PARSED_VERSION,
        ...validators,
        fetchedAt: at,
        contentDate: parsed.contentDate,
        documentDate: parsed.documentDate,
        validUntil: parsed.validUntil,
        entries: parsed.entries,
      },
      at,
    );
    this.invalidate();
    this.logger?.info({ kind, source: opts.source, entries: parsed.entries, contentDate: parsed.contentDate, forced: Boolean(opts.force && held) }, 'catalog imported');
    return { status: (await this.status(kind))!, changed: true };
  }

  /** Records a failed import or refresh (the held copy stays in use) and logs it. */
  async recordError(kind: CatalogKind, message: string): Promise<void> {
    await this.store.recordCatalogError(kind, message, this.now());
    this.invalidate();
    this.logger?.warn({ kind, error: message }, 'catalog import or refresh failed: the last good copy stays in use');
  }

  /** A refresh found the held copy current (304): record the check and the validators. */
  async notModified(kind: CatalogKind, validators: { etag: string | null; lastModified: string | null }): Promise<void> {
    await this.store.markCatalogChecked(kind, this.now(), validators);
    this.invalidate();
  }

  /** Every kind's state, read now (kinds never imported nor failed are absent). */
  async states(): Promise<CatalogState[]> {
    return (await this.store.catalogStates()).filter((s) => isCatalogKind(s.kind));
  }

  /** A held catalog's status, or null when none is held. */
  async status(kind: CatalogKind): Promise<CatalogStatus | null> {
    const s = (await this.store.catalogStates()).find((x) => x.kind === kind);
    return s ? this.statusOf(s) : null;
  }

  /** The status of a state row; null when it holds no good copy. */
  statusOf(s: CatalogState): CatalogStatus | null {
    if (s.sha256 === null || s.fetchedAt === null || !isCatalogKind(s.kind)) return null;
    const now = this.now();
    const checkedAt = s.checkedAt ?? s.fetchedAt;
    const ageDays = Math.max(0, days(now.getTime() - (s.documentDate ?? checkedAt).getTime()));
    return {
      kind: s.kind,
      source: s.source ?? '',
      fetchedAt: s.fetchedAt,
      contentDate: s.contentDate,
      entries: s.entries ?? 0,
      lastError: s.lastError,
      checkedAt,
      documentDate: s.documentDate,
      validUntil: s.validUntil,
      ageDays,
      ...this.staleness(s, checkedAt, now),
      sha256: s.sha256,
      size: s.rawSize ?? 0,
      etag: s.etag,
      lastModified: s.lastModified,
    };
  }

  private staleness(s: CatalogState, checkedAt: Date, now: Date): { stale: boolean; staleReason: string | null } {
    const limit = this.maxAgeDays * DAY_MS;
    let reason: string | null = null;
    if (s.validUntil && s.validUntil < now) reason = `every release in it expired by ${day(s.validUntil)}: a current ${s.kind} catalog always lists unexpired releases`;
    else if (s.documentDate && now.getTime() - s.documentDate.getTime() > limit)
      reason = `the document dates from ${day(s.documentDate)}, more than ${this.maxAgeDays} days ago`;
    else if (now.getTime() - checkedAt.getTime() > limit) reason = `not confirmed current since ${day(checkedAt)}, more than ${this.maxAgeDays} days ago`;
    return { stale: reason !== null, staleReason: reason };
  }

  /** The merged view of the stored catalogs; re-reads their states at most every recheckMs. */
  async view(): Promise<CatalogView> {
    if (this.cached && Date.now() - this.cached.at < this.recheckMs) return this.cached.view;
    this.loading ??= this.rebuild().finally(() => (this.loading = null));
    return this.loading;
  }

  /** Drops this process's cached view (the next view() re-reads the store). */
  invalidate(): void {
    this.cached = null;
  }

  private async rebuild(): Promise<CatalogView> {
    const startedAt = Date.now();
    let states: CatalogState[];
    try {
      states = await this.states();
    } catch (err) {
      if (!this.cached) throw err;
      this.logger?.warn({ err }, 'cannot read the stored catalogs: the view in memory stays in use');
      return this.cached.view;
    }
    let changed = this.index === null;
    const held = new Set<CatalogKind>();
    for (const s of states) {
      if (s.sha256 === null || !isCatalogKind(s.kind)) continue;
      held.add(s.kind);
      if (this.docs.get(s.kind)?.sha256 === s.sha256) continue;
      const doc = await this.loadDoc(s.kind, s.sha256);
      if (doc) {
        this.docs.set(s.kind, { sha256: s.sha256, doc });
        changed = true;
      }
    }
    for (const kind of [...this.docs.keys()]) {
      if (held.has(kind)) continue;
      this.docs.delete(kind);
      changed = true;
    }
    if (changed || !this.index) this.index = new CatalogIndex(Object.fromEntries([...this.docs].map(([k, v]) => [k, v.doc])));
    const info = states.map((s) => this.statusOf(s)).filter((s): s is CatalogStatus => s !== null);
    const view = catalogView(this.index, info);
    this.cached = { at: startedAt, view };
    return view;
  }

  /** The parsed form of a held copy; parsed again from the document when kept under an older shape. */
  private async loadDoc(kind: CatalogKind, sha256: string): Promise<ParsedDoc | null> {
    const row = await this.store.catalogParsed(kind, sha256);
    if (!row) return null; // replaced meanwhile: the next rebuild picks the new one
    if (row.parsedVersion === PARSED_VERSION) return JSON.parse((await gunzip(row.parsed)).toString('utf8')) as ParsedDoc;
    const raw = await this.store.catalogRaw(kind);
    if (!raw) return null;
    const { parsed } = await parseCatalog(kind, raw, `stored ${kind}`);
    await this.store.updateCatalogParsed(kind, sha256, await gzip(JSON.stringify(parsed.doc)), PARSED_VERSION);
    return parsed.doc;
  }
}

function isOlder(content: Date | null, document: Date | null, held: CatalogState): boolean {
  const a = content?.getTime() ?? 0;
  const b = held.contentDate?.getTime() ?? 0;
  if (a !== b) return a < b;
  return (document?.getTime() ?? 0) < (held.documentDate?.getTime() ?? 0);
}

function describe(content: Date | null, document: Date | null): string {
  const parts = [content ? `newest release ${day(content)}` : 'no release dates', document ? `made ${document.toISOString()}` : null];
  return parts.filter(Boolean).join(', ');
}
