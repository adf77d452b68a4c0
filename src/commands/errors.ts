/** A command payload that does not fit Apple's schema. `field` is the offending key path as the caller
 * named it ("Updates[0].InstallAction", or "updates[0].install_action" for MicroMDM JSON). */
export class CommandValidationError extends Error {
  override readonly name = 'CommandValidationError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
  }
}
