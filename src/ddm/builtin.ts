// Updraft's own declarations, included for every DDM-enabled enrollment: a status-subscriptions
// configuration (software update, OS, model, declaration and capability items) and the activation
// that applies it. Their tokens come from their content like every other declaration's.
import { statusItemsMatching, RESERVED_PREFIX } from './catalog.js';
import { serverToken } from './tokens.js';
import type { Declaration, DeclarationItem, DeclarationKind } from './types.js';

/** What the managed subscription covers: prefixes (ending in ".") or exact status item names. */
export const SUBSCRIBED_STATUS = [
  'softwareupdate.',
  'device.operating-system.',
  'device.model.',
  'management.declarations',
  'management.client-capabilities',
] as const;

export const STATUS_SUBSCRIPTIONS_ID = `${RESERVED_PREFIX}status-subscriptions`;
export const STATUS_ACTIVATION_ID = `${RESERVED_PREFIX}status-subscriptions.activation`;

function declaration(type: string, identifier: string, payload: Record<string, unknown>): Declaration {
  return { Type: type, Identifier: identifier, ServerToken: serverToken(type, identifier, payload), Payload: payload };
}

export const BUILTIN_DECLARATIONS: ReadonlyArray<{ kind: DeclarationKind; declaration: Declaration }> = [
  {
    kind: 'configuration',
    declaration: declaration('com.apple.configuration.management.status-subscriptions', STATUS_SUBSCRIPTIONS_ID, {
      StatusItems: statusItemsMatching(SUBSCRIBED_STATUS).map((Name) => ({ Name })),
    }),
  },
  {
    kind: 'activation',
    declaration: declaration('com.apple.activation.simple', STATUS_ACTIVATION_ID, {
      StandardConfigurations: [STATUS_SUBSCRIPTIONS_ID],
    }),
  },
];

export const BUILTIN_ITEMS: readonly DeclarationItem[] = BUILTIN_DECLARATIONS.map(({ kind, declaration: d }) => ({
  identifier: d.Identifier, type: d.Type, kind, serverToken: d.ServerToken,
}));

export function builtinDeclaration(identifier: string): (typeof BUILTIN_DECLARATIONS)[number] | undefined {
  return BUILTIN_DECLARATIONS.find((b) => b.declaration.Identifier === identifier);
}
