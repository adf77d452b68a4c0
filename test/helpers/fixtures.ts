// Paths to the shared, real fixtures (../shared beside the repository, locally and in CI).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sharedDir = join(repoRoot, '..', 'shared');
export const fixturesDir = join(sharedDir, 'fixtures');

/** Absolute path of a file under ../shared/fixtures. */
export function fixturePath(rel: string): string {
  return join(fixturesDir, rel);
}

/** Bytes of a file under ../shared/fixtures. */
export function fixture(rel: string): Buffer {
  return readFileSync(fixturePath(rel));
}
