// The storage interface for OS update catalogs: the last good copy of each kind (gdmf, sofa-macos,
// sofa-ios, sucatalog) and the last failure to import or refresh it. Documents are kept compressed;
// the catalog service (src/osupdate/catalog/service.ts) compresses, parses and decides.

/** A good copy to keep (replaces the kind's previous copy and clears its last error). */
export interface CatalogCopyInput {
  kind: string;
  /** "file:NAME", "api" or the URL it was downloaded from. */
  source: string;
  /** The document, gzipped. */
  raw: Buffer;
  /** Its inflated size in bytes. */
  rawSize: number;
  /** SHA-256 (hex) of the inflated document. */
  sha256: string;
  /** What the parser keeps (gzipped JSON), and the version of that shape. */
  parsed: Buffer;
  parsedVersion: number;
  etag: string | null;
  lastModified: string | null;
  fetchedAt: Date;
  contentDate: Date | null;
  documentDate: Date | null;
  /** The latest expiration date of a release inside (gdmf, SOFA); null when it carries none. */
  validUntil: Date | null;
  entries: number;
}

/** A kind's row without its blobs (cheap to read every few seconds). */
export interface CatalogState {
  kind: string;
  /** Null while the kind holds no good copy (only an error). */
  source: string | null;
  sha256: string | null;
  rawSize: number | null;
  parsedVersion: number | null;
  etag: string | null;
  lastModified: string | null;
  /** When the copy held was downloaded or imported. */
  fetchedAt: Date | null;
  /** When the copy was last confirmed current (a download, an import, or a 304 Not Modified). */
  checkedAt: Date | null;
  contentDate: Date | null;
  documentDate: Date | null;
  validUntil: Date | null;
  entries: number | null;
  lastError: { at: Date; message: string } | null;
  updatedAt: Date;
}

export interface CatalogStore {
  saveCatalog(copy: CatalogCopyInput, at: Date): Promise<void>;
  /** Every kind's state, by kind. */
  catalogStates(): Promise<CatalogState[]>;
  /** The parsed form of the copy held, if it is still the copy with this SHA-256 (null otherwise). */
  catalogParsed(kind: string, sha256: string): Promise<{ parsed: Buffer; parsedVersion: number } | null>;
  /** The gzipped document held, or null. */
  catalogRaw(kind: string): Promise<Buffer | null>;
  /** Replaces the parsed form of the copy with this SHA-256 (after parsing it again under a newer shape). */
  updateCatalogParsed(kind: string, sha256: string, parsed: Buffer, parsedVersion: number): Promise<void>;
  /** The copy held is still current (304, or the same document again): sets checked_at, and the validators when given; clears the last error. */
  markCatalogChecked(kind: string, at: Date, validators?: { etag: string | null; lastModified: string | null }): Promise<void>;
  /** Records a failed import or refresh; the copy held stays. */
  recordCatalogError(kind: string, message: string, at: Date): Promise<void>;
}
