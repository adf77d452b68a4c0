// Every dashboard page, registered at once: loaded on the first dashboard request (../routes.ts).
import type { UiContext } from '../index.js';
import type { UiRoutes } from '../routes.js';
import { registerSignin } from './signin.js';
import { registerFleet } from './fleet.js';
import { registerDevices } from './devices.js';
import { registerDevice } from './device.js';
import { registerCampaigns } from './campaigns.js';
import { registerServerPage } from './server.js';

export function registerPages(app: UiRoutes, ctx: UiContext): void {
  registerSignin(app, ctx);
  registerFleet(app, ctx);
  registerDevices(app, ctx);
  registerDevice(app, ctx);
  registerCampaigns(app, ctx);
  registerServerPage(app, ctx);
}
