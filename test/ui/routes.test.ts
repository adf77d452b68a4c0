// The dashboard's route table (registered at startup) names exactly the routes its pages register
// when they are loaded on the first request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UI_ROUTES, loadPageHandlers } from '../../src/ui/routes.js';
import type { UiContext } from '../../src/ui/index.js';

test('UI_ROUTES is what the pages register', async () => {
  const ctx = { deps: { store: {}, campaigns: {} }, sessions: {}, now: () => new Date(), clock: () => new Date() } as unknown as UiContext;
  const registered = [...(await loadPageHandlers(ctx)).keys()].sort();
  assert.deepEqual(registered, UI_ROUTES.map(([m, u]) => `${m} ${u}`).sort());
});
