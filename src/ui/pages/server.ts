import type { FastifyInstance } from 'fastify';
import type { UiContext } from '../index.js';

export function registerServerPage(_app: FastifyInstance, _ctx: UiContext): void {}
