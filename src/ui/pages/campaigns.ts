import type { FastifyInstance } from 'fastify';
import type { UiContext } from '../index.js';

export function registerCampaigns(_app: FastifyInstance, _ctx: UiContext): void {}
