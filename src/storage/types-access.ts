// The storage interface for API access: the role-scoped API keys (kept as SHA-256 hashes, never the
// key itself) and the audit log of every API write.

export type ApiRole = 'admin' | 'operator' | 'read-only';

export interface ApiKeyRecord {
  /** Short public id (what `apikey list` shows and `apikey revoke` takes). */
  id: string;
  name: string;
  role: ApiRole;
  /** SHA-256 of the key, lower-case hex. */
  hash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface AuditInput {
  at: Date;
  /** The key's id ("default" for the key of --api-key / data/api-key) and name. */
  keyId: string;
  keyName: string;
  role: ApiRole;
  method: string;
  /** The route pattern, e.g. "/v1/enqueue/:ids". */
  route: string;
  /** The enrollments, commands, campaigns, … the request named (at most AUDIT_MAX_TARGETS kept). */
  targets: string[];
  /** How many targets the request named (targets may be cut short). */
  targetCount: number;
  /** The HTTP status answered. */
  status: number;
}

export interface AuditRecord extends AuditInput {
  id: number;
}

export interface AuditFilter {
  since?: Date;
  until?: Date;
  /** A key's id or name. */
  key?: string;
  /** Keyset paging: only entries with a smaller id (entries come newest first). */
  before?: number;
  limit?: number;
}

/** Targets kept per audit entry (a NanoMDM enqueue may name 10,000 ids; the count is kept whole). */
export const AUDIT_MAX_TARGETS = 1000;

export interface AccessStore {
  /** False (nothing stored) when the name or hash is taken by a key not revoked. */
  createApiKey(key: Omit<ApiKeyRecord, 'revokedAt'>): Promise<boolean>;
  /** The key, revoked or not, with this hash. */
  apiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** Whether a stored key with this id exists and is not revoked (one primary-key read: checked on each dashboard request). */
  apiKeyLive(id: string): Promise<boolean>;
  /** Every key, revoked ones too, oldest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revoke the key with this id or name; the record as it now is, or null when none matches. */
  revokeApiKey(idOrName: string, at: Date): Promise<ApiKeyRecord | null>;
  /** One audit entry, and with it (same transaction) a webhook outbox row when one is given. */
  addAudit(entry: AuditInput, outbox?: { topic: string; body: string }): Promise<void>;
  /** Newest first. */
  listAudit(filter: AuditFilter): Promise<AuditRecord[]>;
}
