// Shapes of the command catalog (src/commands/catalog.generated.ts), generated from Apple's schema.

/** Value types of Apple's schema (`<string>`, `<integer>`, …). `any` accepts every plist value. */
export type KeyType = 'string' | 'integer' | 'real' | 'boolean' | 'data' | 'date' | 'array' | 'dictionary' | 'any';

/** The OS names Apple's schema uses (iPadOS is covered by iOS). */
export type OsName = 'iOS' | 'macOS' | 'tvOS' | 'visionOS' | 'watchOS';

/** How a command or key behaves under Shared iPad or User Enrollment. */
export type EnrollmentMode = 'allowed' | 'required' | 'forbidden' | 'ignored';

export interface VersionSpan {
  introduced?: string;
  deprecated?: string;
  removed?: string;
}

/** Per-key availability where it differs from the command's: `false` means not available on that OS. */
export type KeyAvailability = Partial<Record<OsName, false | VersionSpan>>;

export interface KeySpec {
  /** Key name; `ANY` stands for any key name (a free-form dictionary entry). */
  key: string;
  type: KeyType;
  required?: true;
  /** Allowed values (the schema's rangelist). */
  values?: ReadonlyArray<string | number>;
  range?: { min?: number; max?: number };
  default?: string | number | boolean;
  os?: KeyAvailability;
  /** Dictionary: its keys. */
  keys?: readonly KeySpec[];
  /** Array: the item type; several entries mean each item is one of them (e.g. Settings). */
  items?: readonly KeySpec[];
  /** String array items: values the schema names (DeviceInformation queries); not enforced. */
  known?: readonly string[];
}

export interface OsSupport {
  introduced: string;
  deprecated?: string;
  removed?: string;
  /** MDM access right the command needs (omitted when none). */
  accessRights?: string;
  supervised?: true;
  requiresDEP?: true;
  userApprovedMDM?: true;
  deviceChannel: boolean;
  userChannel: boolean;
  sharedIPad?: { mode: EnrollmentMode; deviceChannel: boolean; userChannel: boolean };
  userEnrollment?: EnrollmentMode;
}

export interface CommandSpec {
  requestType: string;
  title: string;
  /** Supported OSs only; an OS missing here does not support the command. */
  os: Partial<Record<OsName, OsSupport>>;
  payload: readonly KeySpec[];
  response?: readonly KeySpec[];
}

/** Apple's prose for a command and its keys (descriptions.generated.ts), by key path: `Updates`,
 * `Updates[].InstallAction`, and `Settings[Wallpaper].Image` where an array's items are one of several. */
export interface CommandText {
  description: string;
  payload: Readonly<Record<string, string>>;
  response?: Readonly<Record<string, string>>;
}
