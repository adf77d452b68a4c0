// Everything the CA side of the server needs, built once from the configuration.
import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ChallengeStore } from '../storage/types.js';
import { CA, DEFAULT_CERT_VALIDITY_DAYS, loadOrCreateCA, loadTrustAnchors } from './ca.js';
import { Challenges, loadOrCreateStaticChallenge } from './challenge.js';
import { ScepServer, type ScepRecords } from './scep/server.js';
import { loadOrCreateSigner, type SigningIdentity } from './signer.js';

export interface Pki {
  ca: CA;
  /** Our CA plus the --ca extras: device identities must chain to one of these. */
  trustAnchors: X509Certificate[];
  challenges: Challenges;
  scep: ScepServer;
  profileSigner: SigningIdentity;
}

/** `store` keeps one-time challenges and, when it can, the record of issued certificates. */
export function loadPki(config: Config, store: ChallengeStore & Partial<ScepRecords>, logger?: Logger): Pki {
  const ca = loadOrCreateCA(config.dataDir, { certFile: config.caCertFile, keyFile: config.caKeyFile });
  const challenges = new Challenges(store, loadOrCreateStaticChallenge(config.dataDir, config.scepChallenge));
  return {
    ca,
    trustAnchors: loadTrustAnchors(ca, config.caFiles),
    challenges,
    scep: new ScepServer({ ca, challenges, certValidityDays: config.certValidityDays ?? DEFAULT_CERT_VALIDITY_DAYS, records: scepRecords(store), logger }),
    profileSigner: loadOrCreateSigner(config.dataDir, ca, { certFile: config.profileSignCertFile, keyFile: config.profileSignKeyFile }),
  };
}

function scepRecords(store: Partial<ScepRecords>): ScepRecords | undefined {
  const { recordCertificate, certificateByTransaction, certificateByHash, enrollmentIdsByCertHash } = store;
  if (!recordCertificate || !certificateByTransaction || !certificateByHash || !enrollmentIdsByCertHash) return undefined;
  return store as ScepRecords;
}
