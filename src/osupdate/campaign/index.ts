// OS update campaigns, wired: the engine over the store, push, DDM and the catalogs; an observer that
// hands it device results and DDM status; and the timer that moves due devices.
import type { Logger } from 'pino';
import { toJSONSafe } from '../../plist/index.js';
import type { Observer } from '../../service/observers.js';
import { periodic } from '../../service/periodic.js';
import { WORKING } from './device.js';
import type { CampaignEngine, EngineDeps } from './engine.js';
import { TERMINAL } from './types.js';

export { createCampaignEngine, CampaignInputError, CampaignStateError, type CampaignEngine } from './engine.js';
export type { CampaignSpec, Plan } from './types.js';

export const DEFAULT_CAMPAIGN_POLL_SECONDS = 300;

/** Every state a campaign device can be in: waiting, the working steps of both paths, the terminal ones. */
export const DEVICE_STATES: readonly string[] = ['pending', ...WORKING, ...TERMINAL];

/** The observer that feeds device-channel results and DDM status to the engine. */
export function campaignObserver(engine: CampaignEngine): Observer {
  return {
    async result(e) {
      if (e.enrollmentId !== e.deviceId) return;
      await engine.result({ deviceId: e.deviceId, uuid: e.uuid, requestType: e.requestType, status: e.status, body: toJSONSafe(e.dict) as Record<string, unknown> }, e.wakes);
    },
    async status(e) {
      if (e.enrollmentId !== e.deviceId) return;
      await engine.status({ deviceId: e.deviceId, items: e.items }, e.wakes);
    },
  };
}

/** The timer: a pass every few seconds (at most the poll interval), never two at once. */
export function startCampaignTimer(engine: CampaignEngine, opts: { pollMs: number; tickMs?: number; logger?: Logger }): { stop(): Promise<void> } {
  const every = opts.tickMs ?? Math.max(100, Math.min(5000, Math.floor(opts.pollMs / 2)));
  const timer = periodic(() => engine.tick(), every, (err) => opts.logger?.error({ err }, 'campaign timer pass failed'));
  return { stop: () => timer.stop() };
}

export type { EngineDeps };
