// DDM events for the event log and webhooks. Webhook bodies use the same envelope as the MDM events
// ({topic, event_id, created_at, …}) and go through the same durable outbox.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Enrollment } from '../mdm/types.js';
import type { DdmDeclarationStatusRecord, DdmStatusOutcome, EventInput, Store } from '../storage/types.js';
import type { StatusReport } from './status.js';

export interface DdmEventDeps {
  store: Store;
  /** Write webhook events to the outbox (only when a webhook receiver is configured). */
  webhooks?: boolean;
  logger?: Logger;
}

function envelope(topic: string, at: Date, key: string, body: Record<string, unknown>): string {
  return JSON.stringify({ topic, event_id: randomUUID(), created_at: at.toISOString(), [key]: body });
}

function who(e: Enrollment): Record<string, unknown> {
  return { enrollment_id: e.id, ...(e.udid ? { udid: e.udid } : {}) };
}

/**
 * ddm.Status: the report's items flattened, with the declarations Updraft did not know;
 * ddm.DeclarationError: each declaration newly reported invalid. Returned, not written: the store
 * writes them in the report's own transaction, so a report is never kept without its events.
 */
export function statusRecords(
  deps: DdmEventDeps, e: Enrollment, report: StatusReport, outcome: DdmStatusOutcome, at: Date, unknown: string[] = [],
): { events: EventInput[]; outbox: Array<{ topic: string; body: string }> } {
  const errors = report.errors.map((x) => ({ status_item: x.statusItem, reasons: x.reasons }));
  const invalid = (d: DdmDeclarationStatusRecord) => ({
    identifier: d.identifier, kind: d.kind, server_token: d.serverToken, valid: d.valid, active: d.active, reasons: d.reasons ?? [],
  });
  const events: EventInput[] = [{
    enrollmentId: e.id,
    kind: 'ddm.status',
    detail: {
      full: report.full, changed: outcome.changed, removed: outcome.removed, declarations: report.declarations?.length ?? 0, errors,
      ...(unknown.length ? { unknown_declarations: unknown } : {}),
    },
    at,
  }];
  for (const d of outcome.newlyInvalid) events.push({ enrollmentId: e.id, kind: 'ddm.declaration-error', detail: invalid(d), at });
  if (!deps.webhooks) return { events, outbox: [] };
  const items = Object.fromEntries(report.items.map((i) => [i.name, i.value]));
  const outbox = [{
    topic: 'ddm.Status',
    body: envelope('ddm.Status', at, 'status_event', { ...who(e), full_report: report.full, status_items: items, errors, ...(unknown.length ? { unknown_declarations: unknown } : {}) }),
  }];
  for (const d of outcome.newlyInvalid) {
    outbox.push({ topic: 'ddm.DeclarationError', body: envelope('ddm.DeclarationError', at, 'declaration_error_event', { ...who(e), ...invalid(d) }) });
  }
  return { events, outbox };
}
