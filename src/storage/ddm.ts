// DDM storage: declarations, sets, set ↔ enrollment assignments and the per-enrollment sync state's
// save (a sync's reads and its supersede + enqueue: ddmStore's note below). Status reports and asset
// data are in ddm-status.ts.
import type { DdmDeclarationRecord, DdmKind, DdmSetRecord, DdmStore } from './types.js';
import { chunks, toDate, type Ctx } from './context.js';
import { ddmDb, type DdmDb, type DdmTables } from './ddm-schema.js';
import { ddmStatusStore } from './ddm-status.js';

function toDeclaration(r: DdmTables['ddm_declarations']): DdmDeclarationRecord {
  return {
    identifier: r.identifier,
    type: r.type,
    kind: r.kind as DdmKind,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    serverToken: r.server_token,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

async function touchSet(db: DdmDb, name: string, at: Date): Promise<void> {
  const now = at.getTime();
  await db
    .insertInto('ddm_sets')
    .values({ name, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ updated_at: now }))
    .execute();
}

async function addMembers(db: DdmDb, name: string, identifiers: string[]): Promise<void> {
  for (const part of chunks([...new Set(identifiers)])) {
    await db
      .insertInto('ddm_set_declarations')
      .values(part.map((identifier) => ({ set_name: name, identifier })))
      .onConflict((oc) => oc.columns(['set_name', 'identifier']).doNothing())
      .execute();
  }
}

async function sets(db: DdmDb, names?: string[]): Promise<DdmSetRecord[]> {
  let q = db.selectFrom('ddm_sets').selectAll().orderBy('name');
  if (names) q = q.where('name', 'in', names);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const found = rows.map((r) => r.name);
  const [members, counts] = await Promise.all([
    db.selectFrom('ddm_set_declarations').selectAll().where('set_name', 'in', found).orderBy('identifier').execute(),
    db
      .selectFrom('ddm_enrollment_sets')
      .select((eb) => ['set_name', eb.fn.countAll<number>().as('n')])
      .where('set_name', 'in', found)
      .groupBy('set_name')
      .execute(),
  ]);
  return rows.map((r) => ({
    name: r.name,
    declarations: members.filter((m) => m.set_name === r.name).map((m) => m.identifier),
    enrollments: Number(counts.find((c) => c.set_name === r.name)?.n ?? 0),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  }));
}

// ddmSyncInputs and ddmSupersedeAndEnqueue are each backend's own (postgres/enroll.ts, sqlite/enroll.ts).
export function ddmStore(ctx: Ctx): Omit<DdmStore, 'ddmSyncInputs' | 'ddmSupersedeAndEnqueue'> {
  const db = ddmDb(ctx);
  return {
    async ddmPutDeclaration(d, at) {
      const prev = await db
        .selectFrom('ddm_declarations')
        .select('server_token')
        .where('identifier', '=', d.identifier)
        .executeTakeFirst();
      if (prev?.server_token === d.serverToken) return 'unchanged';
      const now = at.getTime();
      const row = { type: d.type, kind: d.kind, payload: JSON.stringify(d.payload), server_token: d.serverToken, updated_at: now };
      await db
        .insertInto('ddm_declarations')
        .values({ identifier: d.identifier, ...row, created_at: now })
        .onConflict((oc) => oc.column('identifier').doUpdateSet(row))
        .execute();
      return prev ? 'updated' : 'created';
    },

    async ddmGetDeclaration(identifier) {
      const r = await db.selectFrom('ddm_declarations').selectAll().where('identifier', '=', identifier).executeTakeFirst();
      return r ? toDeclaration(r) : null;
    },

    async ddmListDeclarations(opts = {}) {
      const lists = opts.identifiers ? chunks([...new Set(opts.identifiers)]) : [undefined];
      const out: DdmDeclarationRecord[] = [];
      for (const part of lists) {
        let q = db.selectFrom('ddm_declarations').selectAll().orderBy('identifier');
        if (opts.type) q = q.where('type', '=', opts.type);
        if (part) q = q.where('identifier', 'in', part);
        out.push(...(await q.execute()).map(toDeclaration));
      }
      return out;
    },

    async ddmDeleteDeclaration(identifier) {
      const r = await db.deleteFrom('ddm_declarations').where('identifier', '=', identifier).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async ddmPutSet(name, identifiers, at) {
      await db.transaction().execute(async (trx) => {
        await touchSet(trx, name, at);
        let stale = trx.deleteFrom('ddm_set_declarations').where('set_name', '=', name);
        if (identifiers.length) stale = stale.where('identifier', 'not in', identifiers);
        await stale.execute();
        await addMembers(trx, name, identifiers);
      });
    },

    async ddmAddToSet(name, identifiers, at) {
      await db.transaction().execute(async (trx) => {
        await touchSet(trx, name, at);
        await addMembers(trx, name, identifiers);
      });
    },

    async ddmRemoveFromSet(name, identifiers, at) {
      if (identifiers.length === 0) return;
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('ddm_set_declarations').where('set_name', '=', name).where('identifier', 'in', identifiers).execute();
        await trx.updateTable('ddm_sets').set({ updated_at: at.getTime() }).where('name', '=', name).execute();
      });
    },

    async ddmDeleteSet(name) {
      const r = await db.deleteFrom('ddm_sets').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async ddmGetSet(name) {
      return (await sets(db, [name]))[0] ?? null;
    },

    ddmListSets: () => sets(db),

    async ddmAssign(name, enrollmentIds, at) {
      for (const part of chunks([...new Set(enrollmentIds)])) {
        await db
          .insertInto('ddm_enrollment_sets')
          .values(part.map((enrollment_id) => ({ enrollment_id, set_name: name, created_at: at.getTime() })))
          .onConflict((oc) => oc.columns(['enrollment_id', 'set_name']).doNothing())
          .execute();
      }
    },

    async ddmUnassign(name, enrollmentIds) {
      for (const part of chunks(enrollmentIds)) {
        await db.deleteFrom('ddm_enrollment_sets').where('set_name', '=', name).where('enrollment_id', 'in', part).execute();
      }
    },

    async ddmEnrollmentSets(enrollmentId) {
      const rows = await db
        .selectFrom('ddm_enrollment_sets')
        .select('set_name')
        .where('enrollment_id', '=', enrollmentId)
        .orderBy('set_name')
        .execute();
      return rows.map((r) => r.set_name);
    },

    async ddmSetEnrollments(names) {
      if (names.length === 0) return [];
      const rows = await db
        .selectFrom('ddm_enrollment_sets')
        .select('enrollment_id')
        .distinct()
        .where('set_name', 'in', names)
        .orderBy('enrollment_id')
        .execute();
      return rows.map((r) => r.enrollment_id);
    },

    async ddmDeclarationEnrollments(identifier) {
      const rows = await db
        .selectFrom('ddm_enrollment_sets as es')
        .innerJoin('ddm_set_declarations as sd', 'sd.set_name', 'es.set_name')
        .select('es.enrollment_id')
        .distinct()
        .where('sd.identifier', '=', identifier)
        .orderBy('es.enrollment_id')
        .execute();
      return rows.map((r) => r.enrollment_id);
    },

    async ddmSaveSyncStates(states) {
      for (const part of chunks(states)) {
        await db
          .insertInto('ddm_sync')
          .values(part.map((s) => ({ enrollment_id: s.enrollmentId, declarations_token: s.declarationsToken, changed_at: s.changedAt.getTime() })))
          .onConflict((oc) =>
            oc.column('enrollment_id').doUpdateSet((eb) => ({
              declarations_token: eb.ref('excluded.declarations_token'),
              changed_at: eb.ref('excluded.changed_at'),
            })),
          )
          .execute();
      }
    },

    ...ddmStatusStore(db),
  };
}
