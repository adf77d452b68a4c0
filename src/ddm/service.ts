// The DDM admin API (used by the HTTP API, the CLI through it, and the OS update engine): declarations,
// sets, assignments and per-enrollment views. Every change that alters what an enrollment should have
// is followed by a sync of exactly the affected enrollments.
import type { DdmDeclarationRecord, DdmSetRecord } from '../storage/types.js';
import type { EnqueueDeps } from '../service/enqueue.js';
import type { Wakes } from '../service/types.js';
import { CommandValidationError } from '../commands/errors.js';
import { checkDeclaration, type DeclarationInput } from './catalog.js';
import { builtinDeclaration } from './builtin.js';
import { syncEnrollments, syncInputs, currentTokens, type SyncResult } from './sync.js';
import { serverToken } from './tokens.js';
import type { Declaration, DeclarationKind } from './types.js';

/** A refusal with the HTTP status to answer and, for bad input, the offending field. */
export class DdmError extends Error {
  override readonly name = 'DdmError';
  constructor(
    readonly statusCode: 400 | 404,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface PutDeclarationResult extends SyncResult {
  declaration: Declaration;
  kind: DeclarationKind;
  outcome: 'created' | 'updated' | 'unchanged';
}

export interface EnrollmentDeclaration {
  identifier: string;
  type: string;
  kind: DeclarationKind;
  serverToken: string;
  builtin: boolean;
  /** What the device last reported for this declaration (null: nothing yet). */
  status: { serverToken: string | null; active: boolean | null; valid: string | null; reasons: unknown[] | null; updatedAt: Date } | null;
}

const SET_NAME = /^[A-Za-z0-9._:@-]{1,128}$/;

export function toDeclaration(r: DdmDeclarationRecord): Declaration {
  return { Type: r.type, Identifier: r.identifier, ServerToken: r.serverToken, Payload: r.payload };
}

export function createDdmAdmin(deps: EnqueueDeps) {
  const { store } = deps;
  /** Sync `ids`; inside a device's request, its `wakes` take the pushes (EnqueueDeps.wakes). */
  const sync = (ids: string[], at: Date, force = false, wakes?: Wakes) => syncEnrollments(wakes ? { ...deps, wakes } : deps, ids, at, force);

  function checkSetName(name: string): void {
    if (!SET_NAME.test(name)) throw new DdmError(400, 'a set name is 1-128 letters, digits or . _ : @ -', 'name');
  }

  async function requireDeclarations(identifiers: string[], field: string): Promise<void> {
    const known = new Set((await store.ddmListDeclarations({ identifiers })).map((d) => d.identifier));
    identifiers.forEach((id, i) => {
      if (!known.has(id)) throw new DdmError(400, `unknown declaration ${JSON.stringify(id)}`, `${field}[${i}]`);
    });
  }

  async function requireEnrollments(ids: string[], field: string): Promise<void> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await store.listEnrollments({ ids: ids.slice(i, i + 1000), limit: 1000 });
      for (const r of rows) found.add(r.id);
    }
    const missing = ids.findIndex((id) => !found.has(id));
    if (missing >= 0) throw new DdmError(404, `unknown enrollment ${JSON.stringify(ids[missing])}`, `${field}[${missing}]`);
  }

  async function requireSet(name: string): Promise<DdmSetRecord> {
    const set = await store.ddmGetSet(name);
    if (!set) throw new DdmError(404, `unknown set ${JSON.stringify(name)}`, 'name');
    return set;
  }

  async function save(d: DeclarationInput & { kind: DeclarationKind }, at: Date): Promise<Omit<PutDeclarationResult, 'notified'>> {
    const token = serverToken(d.Type, d.Identifier, d.Payload);
    const outcome = await store.ddmPutDeclaration(
      { identifier: d.Identifier, type: d.Type, kind: d.kind, payload: d.Payload, serverToken: token }, at,
    );
    return { declaration: { Type: d.Type, Identifier: d.Identifier, ServerToken: token, Payload: d.Payload }, kind: d.kind, outcome };
  }

  return {
    /** Create or replace a declaration ({Type, Identifier, Payload}); devices that have it are synced if it changed. */
    async putDeclaration(input: unknown, at = new Date()): Promise<PutDeclarationResult> {
      const saved = await save(checkDeclaration(input), at);
      const affected = saved.outcome === 'updated' ? await store.ddmDeclarationEnrollments(saved.declaration.Identifier) : [];
      return { ...saved, ...(await sync(affected, at)) };
    },

    async getDeclaration(identifier: string): Promise<Declaration | null> {
      const builtin = builtinDeclaration(identifier);
      if (builtin) return builtin.declaration;
      const r = await store.ddmGetDeclaration(identifier);
      return r ? toDeclaration(r) : null;
    },

    listDeclarations: (opts: { type?: string } = {}) => store.ddmListDeclarations(opts),


    /** Delete a declaration: it leaves every set, and the devices that had it are synced. */
    async deleteDeclaration(identifier: string, at = new Date()): Promise<SyncResult> {
      const affected = await store.ddmDeclarationEnrollments(identifier);
      if (!(await store.ddmDeleteDeclaration(identifier))) throw new DdmError(404, `unknown declaration ${JSON.stringify(identifier)}`, 'identifier');
      return sync(affected, at);
    },

    /** Create a set or replace its members. */
    async putSet(name: string, identifiers: string[], at = new Date()): Promise<SyncResult> {
      checkSetName(name);
      await requireDeclarations(identifiers, 'declarations');
      await store.ddmPutSet(name, identifiers, at);
      return sync(await store.ddmSetEnrollments([name]), at);
    },

    async addToSet(name: string, identifiers: string[], at = new Date()): Promise<SyncResult> {
      checkSetName(name);
      await requireDeclarations(identifiers, 'declarations');
      await store.ddmAddToSet(name, identifiers, at);
      return sync(await store.ddmSetEnrollments([name]), at);
    },

    async removeFromSet(name: string, identifiers: string[], at = new Date()): Promise<SyncResult> {
      await requireSet(name);
      await store.ddmRemoveFromSet(name, identifiers, at);
      return sync(await store.ddmSetEnrollments([name]), at);
    },

    async deleteSet(name: string, at = new Date()): Promise<SyncResult> {
      const affected = await store.ddmSetEnrollments([name]);
      if (!(await store.ddmDeleteSet(name))) throw new DdmError(404, `unknown set ${JSON.stringify(name)}`, 'name');
      return sync(affected, at);
    },

    getSet: (name: string) => store.ddmGetSet(name),
    listSets: () => store.ddmListSets(),

    async assign(name: string, enrollmentIds: string[], at = new Date()): Promise<SyncResult> {
      await requireSet(name);
      await requireEnrollments(enrollmentIds, 'enrollments');
      await store.ddmAssign(name, enrollmentIds, at);
      return sync(enrollmentIds, at);
    },

    async unassign(name: string, enrollmentIds: string[], at = new Date(), wakes?: Wakes): Promise<SyncResult> {
      await requireSet(name);
      await store.ddmUnassign(name, enrollmentIds);
      return sync(enrollmentIds, at, false, wakes);
    },

    /**
     * One call for engines: upsert `declarations`, make them the exact members of set `name`, assign
     * the set to `enrollmentIds`, then sync every affected enrollment once.
     */
    async applySet(name: string, declarations: unknown[], enrollmentIds: string[], at = new Date(), wakes?: Wakes): Promise<SyncResult> {
      checkSetName(name);
      await requireEnrollments(enrollmentIds, 'enrollments');
      const checked = declarations.map((d, i) => {
        try {
          return checkDeclaration(d);
        } catch (err) {
          if (err instanceof CommandValidationError) throw new CommandValidationError(`declarations[${i}]${err.field ? `.${err.field}` : ''}`, err.reason);
          throw err;
        }
      });
      const saved = [];
      for (const d of checked) saved.push(await save(d, at));
      const updated = saved.filter((s) => s.outcome === 'updated').map((s) => s.declaration.Identifier);
      const identifiers = saved.map((s) => s.declaration.Identifier);
      const existing = await store.ddmGetSet(name);
      const sameList = existing !== null && existing.declarations.length === identifiers.length && identifiers.every((id) => existing.declarations.includes(id));
      // Only devices whose declarations change need a sync: the set's devices when its list changed,
      // the holders of a changed declaration, and the ones being assigned (an engine assigning one device
      // at a time to a large set must not make every device of the set recompute its tokens).
      const affected = new Set(enrollmentIds);
      if (!sameList) for (const e of await store.ddmSetEnrollments([name])) affected.add(e);
      for (const id of updated) for (const e of await store.ddmDeclarationEnrollments(id)) affected.add(e);
      if (!sameList) await store.ddmPutSet(name, identifiers, at);
      await store.ddmAssign(name, enrollmentIds, at);
      return sync([...affected], at, false, wakes);
    },

    /** Send a DeclarativeManagement command now (turns DDM on, or makes the device sync). */
    async sync(enrollmentIds: string[], at = new Date(), wakes?: Wakes): Promise<SyncResult> {
      await requireEnrollments(enrollmentIds, 'enrollments');
      return sync(enrollmentIds, at, true, wakes);
    },

    /** `sync` for enrollments the caller has just read or written (a check-in's): no existence check. */
    async syncExisting(enrollmentIds: string[], at = new Date(), wakes?: Wakes): Promise<SyncResult> {
      return sync(enrollmentIds, at, true, wakes);
    },

    /** The enrollment's sets, its current tokens and each effective declaration with its reported status. */
    async enrollmentView(enrollmentId: string, at = new Date()) {
      const inputs = await syncInputs(store, [enrollmentId]);
      if (!inputs.known.has(enrollmentId)) throw new DdmError(404, `unknown enrollment ${JSON.stringify(enrollmentId)}`, 'id[0]');
      const items = inputs.items.get(enrollmentId)!;
      const [sets, statuses, tokens] = await Promise.all([
        store.ddmEnrollmentSets(enrollmentId),
        store.ddmDeclarationStatus(enrollmentId),
        currentTokens(store, enrollmentId, items, at, inputs.states),
      ]);
      const byId = new Map(statuses.map((s) => [s.identifier, s]));
      const declarations: EnrollmentDeclaration[] = items.map((i) => {
        const s = byId.get(i.identifier);
        return {
          ...i,
          builtin: builtinDeclaration(i.identifier) !== undefined,
          status: s ? { serverToken: s.serverToken, active: s.active, valid: s.valid, reasons: s.reasons, updatedAt: s.updatedAt } : null,
        };
      });
      const current = new Set(items.map((i) => i.identifier));
      return { sets, tokens, declarations, removed: statuses.filter((s) => !current.has(s.identifier)) };
    },

    async statusItems(enrollmentId: string, prefix?: string) {
      await requireEnrollments([enrollmentId], 'id');
      return store.ddmStatusItems(enrollmentId, { prefix });
    },

    async statusHistory(enrollmentId: string, opts: { name?: string; limit?: number } = {}) {
      await requireEnrollments([enrollmentId], 'id');
      return store.ddmStatusHistory(enrollmentId, opts);
    },
  };
}

export type DdmAdmin = ReturnType<typeof createDdmAdmin>;
