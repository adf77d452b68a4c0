// API keys (hashes only) and the audit log of API writes.
import type { Kysely } from 'kysely';
import type { Ctx } from './context.js';
import { AUDIT_MAX_TARGETS, type AccessStore, type ApiKeyRecord, type ApiRole, type AuditRecord } from './types-access.js';
import type { OutboxTable } from './schema.js';

export interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: import('kysely').Generated<number>;
  at: number;
  key_id: string;
  key_name: string;
  role: string;
  method: string;
  route: string;
  targets: string;
  target_count: number;
  status: number;
}

interface AccessDb {
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  outbox: OutboxTable;
}

const keyRecord = (r: ApiKeysTable): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  role: r.role as ApiRole,
  hash: r.hash,
  createdAt: new Date(Number(r.created_at)),
  revokedAt: r.revoked_at === null ? null : new Date(Number(r.revoked_at)),
});

export function accessStore(ctx: Ctx): AccessStore {
  const db = ctx.db as unknown as Kysely<AccessDb>;
  return {
    async createApiKey(k) {
      return db.transaction().execute(async (trx) => {
        const taken = await trx
          .selectFrom('api_keys')
          .select('id')
          .where((eb) => eb.or([eb('name', '=', k.name), eb('id', '=', k.id), eb('hash', '=', k.hash)]))
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (taken) return false;
        await trx
          .insertInto('api_keys')
          .values({ id: k.id, name: k.name, role: k.role, hash: k.hash, created_at: k.createdAt.getTime(), revoked_at: null })
          .execute();
        return true;
      });
    },

    async apiKeyByHash(hash) {
      const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row ? keyRecord(row) : null;
    },

    async apiKeyLive(id) {
      const row = await db.selectFrom('api_keys').select('id').where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return row !== undefined;
    },

    async listApiKeys() {
      return (await db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute()).map(keyRecord);
    },

    async revokeApiKey(idOrName, at) {
      return db.transaction().execute(async (trx) => {
        // An id wins over a name; of several keys of one name (revoked ones keep theirs) the live one.
        const row =
          (await trx.selectFrom('api_keys').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
          (await trx.selectFrom('api_keys').selectAll().where('name', '=', idOrName).orderBy('revoked_at', 'desc').executeTakeFirst());
        if (!row) return null;
        if (row.revoked_at !== null) return keyRecord(row);
        await trx.updateTable('api_keys').set({ revoked_at: at.getTime() }).where('id', '=', row.id).execute();
        return keyRecord({ ...row, revoked_at: at.getTime() });
      });
    },

    async addAudit(e, outbox) {
      const row = {
        at: e.at.getTime(),
        key_id: e.keyId,
        key_name: e.keyName,
        role: e.role,
        method: e.method,
        route: e.route,
        targets: JSON.stringify(e.targets.slice(0, AUDIT_MAX_TARGETS)),
        target_count: e.targetCount,
        status: e.status,
      };
      if (!outbox) {
        await db.insertInto('audit_log').values(row).execute();
        return;
      }
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('audit_log').values(row).execute();
        const now = e.at.getTime();
        await trx.insertInto('outbox').values({ topic: outbox.topic, body: outbox.body, attempts: 0, next_attempt_at: now, created_at: now }).execute();
      });
    },

    async listAudit(f) {
      let q = db.selectFrom('audit_log').selectAll();
      if (f.since) q = q.where('at', '>=', f.since.getTime());
      if (f.until) q = q.where('at', '<', f.until.getTime());
      if (f.key !== undefined) {
        const key = f.key;
        q = q.where((eb) => eb.or([eb('key_name', '=', key), eb('key_id', '=', key)]));
      }
      if (f.before !== undefined) q = q.where('id', '<', f.before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(f.limit ?? 100, 1), 1000))
        .execute();
      return rows.map(
        (r): AuditRecord => ({
          id: Number(r.id),
          at: new Date(Number(r.at)),
          keyId: r.key_id,
          keyName: r.key_name,
          role: r.role as ApiRole,
          method: r.method,
          route: r.route,
          targets: JSON.parse(r.targets) as string[],
          targetCount: Number(r.target_count),
          status: Number(r.status),
        }),
      );
    },
  };
}
