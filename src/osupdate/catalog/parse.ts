// From the bytes of an imported or downloaded catalog to what its parser keeps: inflate gzip
// (streaming, with a ceiling), decode, hand to the parser of the kind. Every failure is a
// CatalogError naming the source and the reason.
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import type { CatalogKind } from '../types.js';
import { CatalogError, type Parsed } from './model.js';
import { parseGdmf } from './gdmf.js';
import { parseSofa } from './sofa.js';
import { parseSucatalog } from './sucatalog.js';

/** The largest inflated document accepted (real sucatalogs are tens of megabytes). */
export const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

export const isGzip = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Inflates gzip bytes chunk by chunk; a corrupt or truncated stream, or one past `max`, is a CatalogError. */
export async function gunzip(bytes: Buffer, max = MAX_INFLATED_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const source = Readable.from(chunkify(bytes, 1 << 20));
  const inflater = source.pipe(createGunzip({ chunkSize: 256 * 1024 }));
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new CatalogError(`the gzip data inflates past ${Math.round(max / 1048576)} MB`);
      chunks.push(chunk);
    }
  } catch (err) {
    source.destroy();
    inflater.destroy();
    if (err instanceof CatalogError) throw err;
    throw new CatalogError(`the gzip data does not inflate: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks, size);
}

function* chunkify(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function json(bytes: Buffer): unknown {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new CatalogError('the document is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`not JSON (${(err as Error).message})${text.trimStart().startsWith('<') ? ': it looks like XML or HTML' : ''}`);
  }
}

/** The parser of each kind, over the inflated bytes. */
const PARSERS: Record<CatalogKind, (bytes: Buffer) => Parsed> = {
  gdmf: (b) => parseGdmf(json(b)),
  'sofa-macos': (b) => parseSofa(json(b), 'macOS'),
  'sofa-ios': (b) => parseSofa(json(b), 'iOS'),
  sucatalog: (b) => {
    if (b.length === 0) throw new CatalogError('the document is empty');
    return parseSucatalog(b);
  },
};

/** Parses a catalog of `kind` from its bytes (gzipped or not); `source` names it in errors ("file:x.json", a URL). */
export async function parseCatalog(kind: CatalogKind, bytes: Buffer, source: string): Promise<{ parsed: Parsed; inflated: Buffer }> {
  try {
    if (bytes.length === 0) throw new CatalogError('the document is empty');
    const inflated = isGzip(bytes) ? await gunzip(bytes) : bytes;
    return { parsed: PARSERS[kind](inflated), inflated };
  } catch (err) {
    if (err instanceof CatalogError) throw new CatalogError(err.reason, kind, source);
    throw err;
  }
}
