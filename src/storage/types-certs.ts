// The storage interface for certificates the CA issued over SCEP (kept for CertPoll, audit and revocation).

export interface IssuedCertificateInput {
  /** Serial number, upper-case hex as X509Certificate prints it. */
  serial: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate DER, lower-case hex (what enrollments keep as cert_hash). */
  sha256: string;
  transactionId: string;
  /** The enrollment the certificate is for, when known at issue time (renewals); else null. */
  enrollmentId: string | null;
  der: Buffer;
  issuedAt: Date;
}

export interface IssuedCertificateRecord extends IssuedCertificateInput {
  revokedAt: Date | null;
}

export interface CertificateFilter {
  /** Certificates recorded for this enrollment, or the one it currently authenticates with. */
  enrollmentId?: string;
  limit?: number;
  offset?: number;
}

export interface CertificateStore {
  /**
   * Records a certificate; answers false (recording nothing) when its transactionID already has one:
   * transactionIDs are unique, so of two concurrent requests of one transaction only one is recorded.
   */
  recordCertificate(cert: IssuedCertificateInput): Promise<boolean>;
  /** The certificate issued for a SCEP transactionID, or null. */
  certificateByTransaction(transactionId: string): Promise<IssuedCertificateRecord | null>;
  /** Newest first; enrollmentId is filled from the enrollment authenticating with the certificate when it was not known at issue time. */
  listCertificates(filter?: CertificateFilter): Promise<IssuedCertificateRecord[]>;
  /** The certificate with this serial (upper-case hex, no leading zeros), or null. */
  certificateBySerial(serial: string): Promise<IssuedCertificateRecord | null>;
  /** The certificate with this SHA-256 fingerprint (lower-case hex), or null. */
  certificateByHash(sha256: string): Promise<IssuedCertificateRecord | null>;
  /**
   * Marks a certificate revoked at `at` (an already revoked one keeps its first revocation time).
   * Answers the record as it now is, or null for an unknown serial.
   */
  revokeCertificate(serial: string, at: Date): Promise<IssuedCertificateRecord | null>;
  /** SHA-256 fingerprints of the revoked certificates that have not expired at `at` (the set identity checks). */
  revokedCertificateHashes(at: Date): Promise<string[]>;
}
