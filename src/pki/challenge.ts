// SCEP challenges: one static challenge (configured, or generated once and kept in the data dir)
// and one-time challenges, stored only as SHA-256 hashes and consumed on first use.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChallengeStore } from '../storage/types.js';
import { writeSecret } from './pem.js';

export const CHALLENGE_FILE = 'scep-challenge';
export const DEFAULT_CHALLENGE_TTL_SECONDS = 3600;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
export const challengeHash = (challenge: string): string => sha256(challenge).toString('hex');

/** A new challenge: 32 hex characters (PrintableString-safe, as devices may encode it so). */
export const newChallenge = (): string => randomBytes(16).toString('hex');

/** The configured static challenge, else the one kept in dataDir, else a new one saved there (0600). */
export function loadOrCreateStaticChallenge(dataDir: string, configured: string | null | undefined): string {
  if (configured) return configured;
  const file = join(dataDir, CHALLENGE_FILE);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value) return value;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = newChallenge();
  writeSecret(file, value + '\n');
  return value;
}

export class Challenges {
  private readonly staticHash: Buffer;

  constructor(private readonly store: ChallengeStore, readonly staticChallenge: string) {
    this.staticHash = sha256(staticChallenge);
  }

  /** Issues a one-time challenge valid for ttlSeconds. */
  async issue(ttlSeconds = DEFAULT_CHALLENGE_TTL_SECONDS, at = new Date()): Promise<{ challenge: string; expiresAt: Date }> {
    const challenge = newChallenge();
    const expiresAt = new Date(at.getTime() + ttlSeconds * 1000);
    await this.store.addChallenge(challengeHash(challenge), expiresAt);
    return { challenge, expiresAt };
  }

  /** True for the static challenge, or for a one-time challenge not used before (which this consumes). */
  async accept(presented: string | null, at = new Date()): Promise<boolean> {
    if (!presented) return false;
    if (timingSafeEqual(sha256(presented), this.staticHash)) return true;
    return this.store.consumeChallenge(challengeHash(presented), at);
  }
}
