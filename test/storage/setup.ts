// Shared builders for the storage tests: enrolled devices and commands at fixed times.
import { randomUUID } from 'node:crypto';
import type { CommandResultInput, Store } from '../../src/storage/types.js';
import { fixture } from '../helpers/fixtures.js';

export const T0 = new Date('2026-01-01T00:00:00Z');
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** A real command plist (mdmb's DeviceInformation, queued through NanoMDM). */
export const commandPlist = fixture('mdmb/commands-sent/devinfo.plist');

let n = 0;
/** A fresh device id per test, so tests sharing one database never see each other's rows. */
export function newId(prefix = 'DEV'): string {
  return `${prefix}-${++n}-${randomUUID().slice(0, 8).toUpperCase()}`;
}

/** Authenticate + TokenUpdate: an enabled, pushable device channel. */
export async function enrollDevice(store: Store, id = newId(), when = T0): Promise<string> {
  await store.authenticate({
    id,
    type: 'Device',
    deviceId: id,
    udid: id,
    topic: 'com.apple.mgmt.External.test',
    inventory: { serialNumber: `SN${id}`, osVersion: '14.4', platform: 'macOS' },
    at: when,
  });
  await store.tokenUpdate({
    id,
    type: 'Device',
    deviceId: id,
    udid: id,
    topic: 'com.apple.mgmt.External.test',
    pushToken: 'aa'.repeat(32),
    pushMagic: 'magic-' + id,
    at: when,
  });
  return id;
}

export async function enqueueOne(
  store: Store,
  ids: string[],
  opts: { uuid?: string; priority?: number; expiresAt?: Date; when?: Date; requestType?: string } = {},
) {
  const uuid = opts.uuid ?? randomUUID().toUpperCase();
  const outcomes = await store.enqueue(
    {
      uuid,
      requestType: opts.requestType ?? 'DeviceInformation',
      raw: commandPlist,
      priority: opts.priority,
      expiresAt: opts.expiresAt ?? null,
      at: opts.when ?? T0,
    },
    ids,
  );
  return { uuid, outcomes };
}

export const ack = (enrollmentId: string, uuid: string, when = at(10)) => ({
  enrollmentId,
  uuid,
  status: 'Acknowledged' as const,
  raw: fixture('nanocmd/workflow_certprof_testdata_resp-ack.plist'),
  json: { Status: 'Acknowledged', CommandUUID: uuid },
  at: when,
});

/** An Idle poll: the next command handed out (sentAt stamped), or null. */
export async function nextCommand(store: Pick<Store, 'reportAndNext'>, id: string, opts: { skipNotNow: boolean; at: Date }) {
  return (await store.reportAndNext({ enrollmentId: id, at: opts.at, result: null, skipNotNow: opts.skipNotNow })).next;
}

/** A result report; whether it matched a queued command. */
export async function recordResult(
  store: Pick<Store, 'reportAndNext'>,
  { enrollmentId, at, ...result }: CommandResultInput & { enrollmentId: string; at: Date },
): Promise<boolean> {
  return (await store.reportAndNext({ enrollmentId, at, result, skipNotNow: false })).matched === true;
}
