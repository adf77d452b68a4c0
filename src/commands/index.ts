// The command catalog (generated from Apple's device-management schema), payload validation,
// wire-command building, and MicroMDM JSON compatibility.
export type {
  CommandSpec, CommandText, KeySpec, KeyType, OsName, OsSupport, EnrollmentMode, KeyAvailability, VersionSpan,
} from './types.js';
export { SCHEMA_RELEASE } from './catalog.generated.js';
export {
  commandSpec, listCommands, osSupport, schemaOs, compareVersions, unsupportedReason, unsupportedKeys, variantOf,
  type CommandTarget,
} from './catalog.js';
export { CommandValidationError } from './errors.js';
export { buildCommand, commandKeys, parseRawCommand, type WireCommand, type PayloadInput } from './build.js';
export { fromMicroMDMJson, toMicroMDMJson, microMDMName, type MicroMDMCommand } from './micromdm.js';
export { typedResult, typedResultOf, explainErrorChain, type TypedResult, type ExplainedError, type ResultTarget } from './results.js';
export { looksLikeBuild, type AvailableOsUpdate, type OsUpdateStatusItem, type UpdateResult } from './os-update-results.js';
export { explainError, knownErrors, type ErrorAdvice, type ErrorSource } from './error-codes.js';
