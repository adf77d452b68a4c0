// DEP names as the API and CLI manage them: the token key pair (NanoDEP's tokenpki), the server
// token (decrypted, or its JSON put directly), config and assigner, with NanoDEP's semantics and a
// 4xx reason where NanoDEP answers 500 for bad input. Nothing is stored unless all of it checks out.
import type { DepStore } from '../storage/types-dep.js';
import { DepTokenError, checkTokens, decryptTokenFile, makeTokenPki } from './tokenpki.js';
import { DEFAULT_DEP_BASE_URL, DEP_TOKEN_WARN_DAYS, type DepConfig, type DepName, type OAuth1Tokens } from './types.js';

const DAY_MS = 86_400_000;
/** DEP names travel in URL paths and CLI arguments. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkDepName(name: string): string {
  if (!NAME.test(name)) throw new DepTokenError(`DEP name must be 1 to 128 letters, digits, ".", "_" or "-" (starting with a letter or digit), got ${JSON.stringify(name)}`);
  return name;
}

/** The warning an admin sees for a token nearing or past its expiry, or null. */
export function tokenExpiryWarning(name: string, expiresAt: Date | null, now: Date): string | null {
  if (!expiresAt) return null;
  const days = Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
  const renew = `in Apple Business Manager open Preferences → the MDM server → Download Token, then run \`updraft dep token ${name} FILE\``;
  if (expiresAt.getTime() <= now.getTime()) return `the DEP server token of ${name} expired on ${expiresAt.toISOString()}: ADE sync and profiles stop until it is renewed: ${renew}`;
  if (days < DEP_TOKEN_WARN_DAYS) return `the DEP server token of ${name} expires in ${days} day${days === 1 ? '' : 's'} (${expiresAt.toISOString()}): ${renew}`;
  return null;
}

/** Updraft's view of a DEP name (no secrets). */
export interface DepNameView {
  name: string;
  has_tokens: boolean;
  consumer_key: string | null;
  token_expires_at: string | null;
  days_left: number | null;
  warning: string | null;
  tokens_updated_at: string | null;
  staging_certificate: boolean;
  base_url: string;
  assigner_profile_uuid: string | null;
  cursor_at: string | null;
  updated_at: string;
}

export function depNameView(d: DepName, now: Date): DepNameView {
  return {
    name: d.name,
    has_tokens: d.tokens !== null,
    consumer_key: d.tokens?.consumer_key ?? null,
    token_expires_at: d.tokensExpireAt?.toISOString() ?? null,
    days_left: d.tokensExpireAt ? Math.floor((d.tokensExpireAt.getTime() - now.getTime()) / DAY_MS) : null,
    warning: tokenExpiryWarning(d.name, d.tokensExpireAt, now),
    tokens_updated_at: d.tokensUpdatedAt?.toISOString() ?? null,
    staging_certificate: d.stagingPki !== null,
    base_url: d.baseUrl ?? DEFAULT_DEP_BASE_URL,
    assigner_profile_uuid: d.assignerProfileUuid,
    cursor_at: d.cursorAt?.toISOString() ?? null,
    updated_at: d.updatedAt.toISOString(),
  };
}

export class DepNames {
  constructor(
    private readonly store: DepStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(name: string): Promise<DepName> {
    const d = await this.store.getDepName(checkDepName(name));
    if (!d) throw new DepTokenError(`no DEP name ${name}: start with \`updraft dep tokenpki ${name}\` (or GET /v1/tokenpki/${name})`, 404);
    return d;
  }

  /** A new staging key pair each call (NanoDEP's GET /v1/tokenpki): the certificate to upload, PEM. */
  async tokenPki(name: string, opts: { commonName?: string; validityDays?: number } = {}): Promise<string> {
    checkDepName(name);
    if (opts.validityDays !== undefined && (!Number.isInteger(opts.validityDays) || opts.validityDays < 1 || opts.validityDays > 3650))
      throw new DepTokenError('validity_days must be a whole number of days from 1 to 3650');
    if (opts.commonName !== undefined && opts.commonName.length > 64) throw new DepTokenError('cn must be at most 64 characters');
    const pki = makeTokenPki({ commonName: opts.commonName, validityDays: opts.validityDays, now: this.now() });
    await this.store.saveDepStagingPki(name, pki, this.now());
    return pki.certPem;
  }

  /**
   * Decrypts a server token file with the staging key pair (then made current), or with the current
   * one (a renewed token ABM encrypted to the certificate uploaded before). Refuses another consumer
   * key unless forced (a token of another MDM server).
   */
  async decryptToken(name: string, file: Buffer, force = false): Promise<OAuth1Tokens> {
    const d = await this.get(name);
    const tries = [...(d.stagingPki ? [{ pki: d.stagingPki, staging: true }] : []), ...(d.currentPki ? [{ pki: d.currentPki, staging: false }] : [])];
    if (tries.length === 0) throw new DepTokenError(`DEP name ${name} has no token key pair: run \`updraft dep tokenpki ${name}\` and upload its certificate to ABM first`, 409);
    let lastError: unknown;
    for (const t of tries) {
      try {
        const tokens = decryptTokenFile(file, t.pki);
        await this.checkConsumerKey(d, tokens, force);
        await this.store.saveDepTokens(name, tokens, this.now(), { promoteStaging: t.staging });
        return tokens;
      } catch (err) {
        if (!(err instanceof DepTokenError) || !/not encrypted to/.test(err.message)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /** NanoDEP's PUT /v1/tokens: the tokens JSON itself. */
  async putTokens(name: string, body: unknown, force = false): Promise<OAuth1Tokens> {
    checkDepName(name);
    const tokens = checkTokens(body);
    const d = await this.store.getDepName(name);
    if (d) await this.checkConsumerKey(d, tokens, force);
    await this.store.saveDepTokens(name, tokens, this.now());
    return tokens;
  }

  async tokens(name: string): Promise<OAuth1Tokens> {
    const d = await this.get(name);
    if (!d.tokens) throw new DepTokenError(`DEP name ${name} has no server token yet: decrypt one with \`updraft dep token ${name} FILE\` (PUT /v1/tokenpki/${name})`, 404);
    return d.tokens;
  }

  private async checkConsumerKey(d: DepName, tokens: OAuth1Tokens, force: boolean): Promise<void> {
    if (force || !d.tokens || d.tokens.consumer_key === tokens.consumer_key) return;
    throw new DepTokenError(
      `mismatched consumer key: DEP name ${d.name} holds a token of consumer key ${d.tokens.consumer_key}, this one is ${tokens.consumer_key} (another MDM server's?); add ?force=1 (--force) to replace it`,
      409,
    );
  }

  async config(name: string): Promise<DepConfig> {
    const d = await this.store.getDepName(checkDepName(name));
    return { base_url: d?.baseUrl ?? DEFAULT_DEP_BASE_URL };
  }

  async putConfig(name: string, body: unknown): Promise<DepConfig> {
    checkDepName(name);
    const url = (body as { base_url?: unknown } | null)?.base_url;
    if (typeof url !== 'string' || url.trim() === '') throw new DepTokenError('base_url is required (the DEP API address, e.g. https://mdmenrollment.apple.com)');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DepTokenError(`base_url is not a URL: ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new DepTokenError('base_url must be an http(s) URL');
    await this.store.saveDepConfig(name, url, this.now());
    return { base_url: url };
  }

  async assigner(name: string): Promise<{ profile_uuid?: string }> {
    const d = await this.store.getDepName(checkDepName(name));
    return d?.assignerProfileUuid ? { profile_uuid: d.assignerProfileUuid } : {};
  }

  async putAssigner(name: string, profileUuid: string | undefined): Promise<{ profile_uuid: string }> {
    checkDepName(name);
    if (!profileUuid) throw new DepTokenError('profile_uuid is required (the ADE profile new devices get)');
    if (profileUuid.length > 128) throw new DepTokenError('profile_uuid is too long');
    await this.store.saveDepAssignerProfile(name, profileUuid, this.now());
    return { profile_uuid: profileUuid };
  }

  async list(): Promise<DepNameView[]> {
    const now = this.now();
    return (await this.store.listDepNames()).map((d) => depNameView(d, now));
  }
}
