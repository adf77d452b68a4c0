// Webhook event bodies in MicroMDM's JSON format, with NanoMDM's additions (enrollment_id, ids,
// token_update_tally and the topics beyond MicroMDM's four). See nanomdm service/webhook event.json.
import { randomUUID } from 'node:crypto';
import type { CheckinMessage, CommandReport, Enrollment } from '../mdm/types.js';
import type { EnrollmentType } from '../storage/types.js';
import type { RequestMeta } from '../service/types.js';

/** NanoMDM's names of the enrollment types, as its `ids.type` carries them. */
const NANO_TYPE: Record<EnrollmentType, string> = {
  Device: 'Device',
  User: 'User',
  SharediPad: 'Shared iPad',
  UserEnrollmentDevice: 'User Enrollment (Device)',
  UserEnrollment: 'User Enrollment',
};

export interface EnrollmentIds {
  id: string;
  type: string;
  parent_id?: string;
}

interface EventCommon {
  udid?: string;
  enrollment_id?: string;
  ids: EnrollmentIds;
  url_params?: Record<string, string>;
  /** The request body, base64. */
  raw_payload: string;
}

export interface CheckinEventJson extends EventCommon {
  token_update_tally?: number;
}

export interface AcknowledgeEventJson extends EventCommon {
  status: string;
  command_uuid: string;
}

export interface WebhookEvent {
  topic: string;
  event_id: string;
  created_at: string;
  checkin_event?: CheckinEventJson;
  acknowledge_event?: AcknowledgeEventJson;
}

function common(e: Enrollment, meta: RequestMeta): EventCommon {
  const ids: EnrollmentIds = { id: e.id, type: NANO_TYPE[e.type] };
  if (e.deviceId !== e.id) ids.parent_id = e.deviceId;
  return {
    ...(e.udid ? { udid: e.udid } : {}),
    ...(e.enrollmentId ? { enrollment_id: e.enrollmentId } : {}),
    ids,
    ...(Object.keys(meta.urlParams).length > 0 ? { url_params: meta.urlParams } : {}),
    raw_payload: meta.raw.toString('base64'),
  };
}

/** The event of a check-in message: topic mdm.<MessageType>. */
export function checkinEvent(msg: CheckinMessage, meta: RequestMeta, tokenUpdateTally?: number): WebhookEvent {
  const ev: CheckinEventJson = common(msg.enrollment, meta);
  if (msg.messageType === 'TokenUpdate' && tokenUpdateTally !== undefined) ev.token_update_tally = tokenUpdateTally;
  return { topic: `mdm.${msg.messageType}`, event_id: randomUUID(), created_at: meta.at.toISOString(), checkin_event: ev };
}

/** The event of a command-channel report (Idle or a result): topic mdm.Connect. */
export function acknowledgeEvent(report: CommandReport, meta: RequestMeta): WebhookEvent {
  return {
    topic: 'mdm.Connect',
    event_id: randomUUID(),
    created_at: meta.at.toISOString(),
    acknowledge_event: { ...common(report.enrollment, meta), status: report.status, command_uuid: report.commandUuid ?? '' },
  };
}
