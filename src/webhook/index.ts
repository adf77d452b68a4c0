// Webhooks: MicroMDM/NanoMDM-format events written to a durable outbox by a service middleware,
// delivered by a worker with retries. Wire both only when a webhook URL is configured.
export { webhookMiddleware, type WebhookMiddlewareOptions } from './middleware.js';
export { startWebhookWorker, backoffDelay, hmacSignature, type WebhookWorker, type WebhookWorkerOptions } from './worker.js';
export { checkinEvent, acknowledgeEvent, type WebhookEvent } from './event.js';
