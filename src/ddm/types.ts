// Shapes of Declarative Device Management: the declaration catalog generated from Apple's schema
// (catalog.generated.ts), declarations as stored and served, and parsed status reports.
import type { KeySpec, OsName, VersionSpan } from '../commands/types.js';

/** The four kinds of declaration; also the path segment of `declaration/<kind>/<identifier>`. */
export type DeclarationKind = 'activation' | 'configuration' | 'asset' | 'management';

export const DECLARATION_KINDS: readonly DeclarationKind[] = ['activation', 'configuration', 'asset', 'management'];

export interface DeclarationSpec {
  /** e.g. com.apple.configuration.softwareupdate.enforcement.specific */
  type: string;
  kind: DeclarationKind;
  title: string;
  /** Supported OSs (an OS missing here does not support the declaration). */
  os: Partial<Record<OsName, VersionSpan>>;
  /** How several declarations of this type combine on the device. */
  apply?: 'single' | 'multiple' | 'combined';
  payload: readonly KeySpec[];
}

export interface StatusItemSpec {
  /** Dotted name, e.g. softwareupdate.install-state */
  name: string;
  /** The value's schema type (string, dictionary, array, boolean, integer…). */
  type: KeySpec['type'];
  os: Partial<Record<OsName, VersionSpan>>;
}

/** A declaration as Apple's protocol carries it (the JSON a device fetches). */
export interface Declaration {
  Type: string;
  Identifier: string;
  ServerToken: string;
  Payload: Record<string, unknown>;
}

/** One entry of an enrollment's effective declaration set. */
export interface DeclarationItem {
  identifier: string;
  type: string;
  kind: DeclarationKind;
  serverToken: string;
}
