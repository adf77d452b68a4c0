// Secrets kept in the data dir: created once, readable by the owner only (0600).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const API_KEY_FILE = 'api-key';

/** The API key: the one given, else the one stored in dataDir, else a new one stored there. */
export function ensureApiKey(dataDir: string, given: string | null | undefined): { key: string; file: string | null; created: boolean } {
  if (given) return { key: given, file: null, created: false };
  const file = join(dataDir, API_KEY_FILE);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key) return { key, file, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return { key, file, created: true };
}
