// Service composition: middlewares listed outermost first, so a request meets them in the order given
// before it reaches the core. compose(core, certauth, webhook) = certauth(webhook(core)).
import type { MdmMiddleware, MdmService } from './types.js';

export function compose(core: MdmService, ...middlewares: MdmMiddleware[]): MdmService {
  return middlewares.reduceRight((next, mw) => mw(next), core);
}
