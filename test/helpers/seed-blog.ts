// The seed post's OS update fragments (fixtures/seed-blog) made into whole result plists, as a Mac
// would PUT them: each fragment wrapped in a dict with the report's envelope keys.
import { fixture } from './fixtures.js';

const body = (name: string): string => fixture(`seed-blog/${name}`).toString('utf8').replace(/<!--[\s\S]*?-->/g, '');

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The XML of a result plist: envelope keys, then `inner` (dict keys and values, as XML). */
export function resultXml(inner: string, envelope: { uuid: string; udid: string; status?: string }): Buffer {
  const status = envelope.status ? `<key>Status</key><string>${escape(envelope.status)}</string>` : '';
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
      `<plist version="1.0"><dict><key>CommandUUID</key><string>${escape(envelope.uuid)}</string>` +
      `<key>UDID</key><string>${escape(envelope.udid)}</string>${status}${inner}</dict></plist>\n`,
  );
}

/** AvailableOSUpdates acknowledged with the seed's two items (a config-data update, macOS Mojave). */
export const seedAvailable = (uuid: string, udid: string): Buffer =>
  resultXml(`<key>AvailableOSUpdates</key><array>${body('AvailableOSUpdates.items.fragment.xml')}</array>`, { uuid, udid, status: 'Acknowledged' });

/** OSUpdateStatus acknowledged with the seed's item. */
export const seedStatus = (uuid: string, udid: string): Buffer =>
  resultXml(`<key>OSUpdateStatus</key><array>${body('OSUpdateStatus.item.fragment.xml')}</array>`, { uuid, udid, status: 'Acknowledged' });

/** ScheduleOSUpdate acknowledged: the seed's UpdateResults (InstallASAP, Installing). */
export const seedScheduled = (uuid: string, udid: string): Buffer =>
  resultXml(body('ScheduleOSUpdate.UpdateResults.fragment.xml'), { uuid, udid, status: 'Acknowledged' });

/** ScheduleOSUpdate refused with error 74 (the fragment carries its own Status). */
export const seedError74 = (uuid: string, udid: string): Buffer => resultXml(body('ScheduleOSUpdate.error74.fragment.xml'), { uuid, udid });

/** ScheduleOSUpdate refused with error 12008. */
export const seedError12008 = (uuid: string, udid: string): Buffer =>
  resultXml(body('ScheduleOSUpdate.error12008.fragment.xml'), { uuid, udid, status: 'Error' });
