// Kysely table types of the DDM tables (migrations 002_ddm, 009_ddm_unknown); the DDM store modules see the core tables
// and these through db.withTables<DdmTables>().
import type { Generated, Kysely } from 'kysely';
import type { Ctx } from './context.js';
import type { Database } from './schema.js';

// A type alias (not an interface): withTables wants an index-signature-compatible record.
export type DdmTables = {
  ddm_declarations: {
    identifier: string;
    type: string;
    kind: string;
    payload: string;
    server_token: string;
    created_at: number;
    updated_at: number;
  };
  ddm_sets: { name: string; created_at: number; updated_at: number };
  ddm_set_declarations: { set_name: string; identifier: string };
  ddm_enrollment_sets: { enrollment_id: string; set_name: string; created_at: number };
  ddm_sync: { enrollment_id: string; declarations_token: string; changed_at: number };
  ddm_status_items: { enrollment_id: string; name: string; value: string; updated_at: number };
  ddm_status_history: { id: Generated<number>; enrollment_id: string; name: string; value: string | null; at: number };
  ddm_declaration_status: {
    enrollment_id: string;
    identifier: string;
    kind: string;
    server_token: string | null;
    active: number | null;
    valid: string | null;
    reasons: string | null;
    updated_at: number;
    /** 1: Updraft did not know the declaration when the device reported it (migration 004). */
    unknown: number;
  };
  ddm_asset_data: { name: string; content_type: string; data: Buffer; sha256: string; updated_at: number };
};

export type DdmDb = Kysely<Database & DdmTables>;

export function ddmDb(ctx: Ctx): DdmDb {
  return ctx.db.withTables<DdmTables>();
}
