/**
 * Who signs a rotation's new certificate. Either way the certificate ends up ACTIVE in AWS IoT with
 * no policy and no thing: the issue step attaches those after recording it.
 *
 * - `AwsIotIssuer`: AWS IoT's own CA (CreateCertificateFromCsr). Its certificates are valid until
 *   2049, so the age check or manual starts drive their rotation.
 * - `AcmPcaIssuer`: an ACM Private CA with the validity the deployment chose (IssueCertificate, then
 *   GetCertificate), registered in AWS IoT without its CA (RegisterCertificateWithoutCA).
 */
import { createHash, X509Certificate } from 'node:crypto';
import {
  type ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  type SigningAlgorithm,
} from '@aws-sdk/client-acm-pca';
import {
  CreateCertificateFromCsrCommand,
  type IoTClient,
  RegisterCertificateWithoutCACommand,
} from '@aws-sdk/client-iot';
import { awsCall, awsCallRejectable, isNamed } from '../../../workflows/rotate-device/aws-errors.ts';
import { describeCertificate } from '../../../workflows/rotate-device/certificates.ts';
import { RotationStateInvalid, TransientAwsError } from '../../../workflows/rotate-device/errors.ts';

export interface IssuedCertificate {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
}

export interface IssueRequest {
  readonly csrPem: string;
  /** Unique to the rotation attempt (execution and rotationId). */
  readonly attemptKey: string;
  /**
   * Run when nothing was issued: the issuing call was refused (a 4xx answer) or never made. The
   * issuance marker may then go, and a retry issues. Not run for a failure of the issuing call
   * without an answer, or after it, whose certificate may exist.
   */
  readonly onRefused: () => Promise<void>;
}

export interface CertificateIssuer {
  readonly kind: 'aws-iot' | 'acm-pca';
  issue(request: IssueRequest): Promise<IssuedCertificate>;
}

export class AwsIotIssuer implements CertificateIssuer {
  readonly kind = 'aws-iot';

  constructor(private readonly iot: IoTClient) {}

  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const created = await awsCallRejectable(
      'CreateCertificateFromCsr',
      () =>
        this.iot.send(
          new CreateCertificateFromCsrCommand({
            certificateSigningRequest: request.csrPem,
            setAsActive: true,
          }),
        ),
      request.onRefused,
    );
    const { certificateId, certificateArn, certificatePem } = created;
    if (!certificateId || !certificateArn || !certificatePem) {
      throw new RotationStateInvalid('CreateCertificateFromCsr answered without id, ARN or PEM');
    }
    return { certificateId, certificateArn, certificatePem };
  }
}

export interface AcmPcaSettings {
  readonly certificateAuthorityArn: string;
  readonly validityDays: number;
}

export interface AcmPcaIssuerDeps {
  readonly pca: ACMPCAClient;
  readonly iot: IoTClient;
  /** Waits between GetCertificate polls; setTimeout by default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The CA's key algorithm has no signing algorithm recert knows how to ask for. */
export class UnsupportedCaKeyAlgorithm extends Error {
  override readonly name = 'UnsupportedCaKeyAlgorithm';
}

/** The signing algorithm ACM PCA must be asked for, by the CA's key algorithm. */
const SIGNING_ALGORITHMS: Readonly<Record<string, SigningAlgorithm>> = {
  EC_prime256v1: 'SHA256WITHECDSA',
  EC_secp384r1: 'SHA384WITHECDSA',
  EC_secp521r1: 'SHA512WITHECDSA',
  RSA_2048: 'SHA256WITHRSA',
  RSA_3072: 'SHA256WITHRSA',
  RSA_4096: 'SHA256WITHRSA',
};

/** Waits between GetCertificate polls: ACM PCA usually has the certificate within a second. */
const POLL_DELAYS_MS = [200, 400, 800, 1_600, 3_200, 5_000, 5_000];

export class AcmPcaIssuer implements CertificateIssuer {
  readonly kind = 'acm-pca';
  private signingAlgorithm: Promise<SigningAlgorithm> | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly settings: AcmPcaSettings,
    private readonly deps: AcmPcaIssuerDeps,
  ) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const caArn = this.settings.certificateAuthorityArn;
    let signingAlgorithm: SigningAlgorithm;
    try {
      signingAlgorithm = await this.caSigningAlgorithm();
    } catch (error) {
      // Nothing was asked of the CA yet.
      await request.onRefused();
      throw error;
    }
    const issued = await awsCallRejectable(
      'IssueCertificate',
      () =>
        this.deps.pca.send(
          new IssueCertificateCommand({
            CertificateAuthorityArn: caArn,
            Csr: new TextEncoder().encode(request.csrPem),
            SigningAlgorithm: signingAlgorithm,
            Validity: { Type: 'DAYS', Value: this.settings.validityDays },
            // The same attempt asking again within ACM PCA's idempotency window gets the same one.
            IdempotencyToken: idempotencyToken(request.attemptKey),
          }),
        ),
      request.onRefused,
    );
    if (!issued.CertificateArn) throw new RotationStateInvalid('IssueCertificate answered without an ARN');
    const certificatePem = await this.fetch(caArn, issued.CertificateArn);
    return this.register(certificatePem);
  }

  /** Read once per function instance: the CA's key does not change. */
  private caSigningAlgorithm(): Promise<SigningAlgorithm> {
    this.signingAlgorithm ??= (async () => {
      const out = await awsCall('DescribeCertificateAuthority', () =>
        this.deps.pca.send(
          new DescribeCertificateAuthorityCommand({
            CertificateAuthorityArn: this.settings.certificateAuthorityArn,
          }),
        ),
      );
      const keyAlgorithm = out.CertificateAuthority?.CertificateAuthorityConfiguration?.KeyAlgorithm ?? '?';
      const algorithm = SIGNING_ALGORITHMS[keyAlgorithm];
      if (!algorithm) {
        throw new UnsupportedCaKeyAlgorithm(
          `the private CA's key algorithm ${keyAlgorithm} is not one recert signs with (${Object.keys(SIGNING_ALGORITHMS).join(', ')})`,
        );
      }
      return algorithm;
    })();
    // A failed read is read again by the next call rather than remembered.
    this.signingAlgorithm.catch(() => {
      this.signingAlgorithm = undefined;
    });
    return this.signingAlgorithm;
  }

  /** GetCertificate until the CA has signed it (RequestInProgressException until then). */
  private async fetch(caArn: string, certificateArn: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await awsCall('GetCertificate', () =>
          this.deps.pca.send(
            new GetCertificateCommand({ CertificateAuthorityArn: caArn, CertificateArn: certificateArn }),
          ),
        );
        if (!out.Certificate) throw new RotationStateInvalid('GetCertificate answered without a certificate');
        return out.Certificate;
      } catch (error) {
        const delay = POLL_DELAYS_MS[attempt];
        if (!isNamed(error, 'RequestInProgressException')) throw error;
        if (delay === undefined) {
          throw new TransientAwsError(
            `the private CA had not signed ${certificateArn} after ${attempt + 1} polls`,
            {
              cause: error,
            },
          );
        }
        await this.sleep(delay);
      }
    }
  }

  /** RegisterCertificateWithoutCA, ACTIVE; a certificate registered already is looked up by its id. */
  private async register(certificatePem: string): Promise<IssuedCertificate> {
    try {
      const out = await awsCall('RegisterCertificateWithoutCA', () =>
        this.deps.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem, status: 'ACTIVE' })),
      );
      if (!out.certificateId || !out.certificateArn) {
        throw new RotationStateInvalid('RegisterCertificateWithoutCA answered without id or ARN');
      }
      return { certificateId: out.certificateId, certificateArn: out.certificateArn, certificatePem };
    } catch (error) {
      if (!isNamed(error, 'ResourceAlreadyExistsException')) throw error;
      const certificateId = awsIotCertificateId(certificatePem);
      const known = await describeCertificate(this.deps.iot, certificateId);
      if (!known) throw error;
      return { certificateId, certificateArn: known.certificateArn, certificatePem };
    }
  }
}

/** AWS IoT names a certificate by the SHA-256 of its DER encoding, in lower-case hex. */
export function awsIotCertificateId(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

/** ACM PCA takes at most 36 characters: a digest of the attempt's key. */
export function idempotencyToken(attemptKey: string): string {
  return createHash('sha256').update(attemptKey).digest('hex').slice(0, 36);
}
