// MicroMDM's JSON views of our records: its device list (streamed page by page) and its device
// command queue.
import { Readable } from 'node:stream';
import type { CommandDetail, EnrollmentFilter, EnrollmentRecord, QueueEntry, Store } from '../../storage/types.js';

/** Devices read per query while streaming a whole list: memory stays one page however large the fleet. */
export const DEVICE_PAGE = 500;

/** Go's zero time, which MicroMDM prints for times it never set. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const goTime = (d: Date | null): string => (d ? d.toISOString() : GO_ZERO_TIME);

/** A MicroMDM device (omitempty: empty strings and false are left out; last_seen always present). */
export function microDevice(e: EnrollmentRecord): Record<string, unknown> {
  const fields: Record<string, string | boolean | null> = {
    udid: e.udid ?? e.id,
    serial_number: e.serialNumber,
    os_version: e.osVersion,
    build_version: e.buildVersion,
    product_name: e.productName,
    imei: e.imei,
    meid: e.meid,
    push_magic: e.pushMagic,
    awaiting_configuration: e.awaitingConfiguration,
    token: e.pushToken,
    enrolled: e.enabled,
    model: e.model,
    model_name: e.modelName,
    device_name: e.deviceName,
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v) out[k] = v;
  out.last_seen = goTime(e.lastSeenAt);
  return out;
}

/**
 * {"devices": […]} of every enrollment matching `filter`, as a byte stream: pages of DEVICE_PAGE read
 * by id (keyset), each read only when the client has taken the previous one. The first page is read
 * before answering, so a database error is still a clean 500.
 */
export async function microDevicesStream(store: Store, filter: Omit<EnrollmentFilter, 'limit' | 'offset' | 'after'>): Promise<Readable> {
  const read = (after?: string) => store.listEnrollments({ ...filter, limit: DEVICE_PAGE, after });
  const first = await read();
  async function* pages(): AsyncGenerator<string> {
    let page = first;
    let sep = '';
    yield '{"devices":[';
    for (;;) {
      if (page.length > 0) yield sep + page.map((e) => JSON.stringify(microDevice(e))).join(',');
      sep = ',';
      if (page.length < DEVICE_PAGE) break;
      page = await read(page[page.length - 1]!.id);
    }
    yield ']}';
  }
  // Bytes, not objects: the stream buffers 16 KB, so at most one page is held beyond it.
  return Readable.from(pages(), { objectMode: false });
}

const LAST_STATUS: Record<string, string> = { acknowledged: 'Acknowledged', error: 'Error', format_error: 'CommandFormatError' };

function microCommand(q: QueueEntry, detail: CommandDetail | undefined): Record<string, unknown> {
  const failed = q.status === 'error' || q.status === 'format_error';
  return {
    UUID: q.uuid,
    Payload: detail ? detail.raw.toString('base64') : null,
    CreatedAt: goTime(q.createdAt),
    LastSentAt: goTime(q.sentAt),
    Acknowledged: goTime(q.resultAt),
    TimesSent: q.sentAt ? 1 + q.notNowTally : 0,
    LastStatus: LAST_STATUS[q.status] ?? (q.notNowTally > 0 ? 'NotNow' : ''),
    FailureMessage: failed && detail?.resultRaw ? detail.resultRaw.toString('base64') : null,
  };
}

/** MicroMDM's DeviceCommand: pending in Commands, NotNow'd in NotNow, done in Completed or Failed. */
export async function microQueue(store: Store, udid: string): Promise<Record<string, unknown>> {
  const entries = await store.listQueue(udid, { includeDone: true, limit: 1000 });
  const lists: Record<'Commands' | 'Completed' | 'Failed' | 'NotNow', Record<string, unknown>[]> = { Commands: [], Completed: [], Failed: [], NotNow: [] };
  for (const q of entries) {
    const list =
      q.status === 'acknowledged' ? lists.Completed
      : q.status === 'error' || q.status === 'format_error' ? lists.Failed
      : q.status !== 'queued' ? null
      : q.notNowTally > 0 ? lists.NotNow
      : lists.Commands;
    if (!list) continue;
    const [detail] = await store.getCommand(q.uuid, udid);
    list.push(microCommand(q, detail));
  }
  return { DeviceUDID: udid, ...lists };
}
