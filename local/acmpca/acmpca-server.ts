/**
 * The local ACM Private CA's API on loopback (awsJson1_1), the three operations recert's issuer makes;
 * errors named in `__type`, as the SDK reads them (local/acmpca/README.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBodyUpTo } from '../../lib/http-body.ts';
import { LOCAL_HOST } from '../config.ts';
import { signedRequestOf } from '../http-request.ts';
import type { AccessCheck } from '../iam/types.ts';
import { closeListening, listenOn } from '../listen.ts';
import { AcmPcaError, type LocalPrivateCa } from './private-ca.ts';

const MAX_BODY_BYTES = 256 * 1024;
const TARGET_PREFIX = 'ACMPrivateCA.';

const Describe = z.object({ CertificateAuthorityArn: z.string() });
const Issue = z.object({
  CertificateAuthorityArn: z.string(),
  /** A blob: base64 on the wire. */
  Csr: z.string(),
  SigningAlgorithm: z.string(),
  Validity: z.object({ Type: z.string(), Value: z.number() }),
  IdempotencyToken: z.string().max(36).optional(),
});
const Get = z.object({ CertificateAuthorityArn: z.string(), CertificateArn: z.string() });

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export function handleAcmPca(ca: LocalPrivateCa, operation: string, text: string): Reply {
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    return failure('SerializationException', 'the request body is not JSON');
  }
  const parsed = <T>(schema: z.ZodType<T>): T | Reply => {
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    return failure(
      'ValidationException',
      `${operation}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  };
  try {
    switch (operation) {
      case 'DescribeCertificateAuthority': {
        const input = parsed(Describe);
        return isReply(input) ? input : ok(ca.describe(input.CertificateAuthorityArn));
      }
      case 'IssueCertificate': {
        const input = parsed(Issue);
        if (isReply(input)) return input;
        return ok(
          ca.issue({
            CertificateAuthorityArn: input.CertificateAuthorityArn,
            csrPem: Buffer.from(input.Csr, 'base64').toString('utf8'),
            SigningAlgorithm: input.SigningAlgorithm,
            Validity: input.Validity,
            IdempotencyToken: input.IdempotencyToken,
          }),
        );
      }
      case 'GetCertificate': {
        const input = parsed(Get);
        return isReply(input) ? input : ok(ca.get(input.CertificateAuthorityArn, input.CertificateArn));
      }
      default:
        return failure('UnknownOperationException', `the local ACM PCA has no operation ${operation}`);
    }
  } catch (error) {
    if (error instanceof AcmPcaError) return failure(error.type, error.message);
    throw error;
  }
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const failure = (type: string, message: string): Reply => ({ status: 400, body: { __type: type, message } });
const isReply = (value: unknown): value is Reply =>
  typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

export interface LocalAcmPcaServerOptions {
  /**
   * Asked before each `ACMPrivateCA.<Operation>` runs whose body is JSON, with the operation's name
   * and the parsed body; a refusal is answered as `{"__type", "message"}`. None: all allowed.
   */
  readonly accessCheck?: AccessCheck;
}

export class LocalAcmPcaServer {
  private readonly server: Server;

  constructor(
    private readonly ca: LocalPrivateCa,
    private readonly options: LocalAcmPcaServerOptions = {},
  ) {
    this.server = createServer((req, res) => {
      void this.serve(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            __type: 'InternalFailure',
            message: error instanceof Error ? error.message : String(error),
          }),
        );
      });
    });
  }

  /** Listens on loopback; 0 picks a free port. Returns the endpoint URL. */
  async start(port = 0): Promise<string> {
    return `http://${LOCAL_HOST}:${await listenOn(this.server, port, LOCAL_HOST)}`;
  }

  async close(): Promise<void> {
    await closeListening(this.server);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBodyUpTo(req, MAX_BODY_BYTES);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'ValidationException', message: 'request body too large' }));
      return;
    }
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : undefined;
    const reply =
      operation === undefined
        ? failure('UnknownOperationException', `expected X-Amz-Target: ${TARGET_PREFIX}<Operation>`)
        : (this.refusal(req, operation, body) ?? handleAcmPca(this.ca, operation, body.toString('utf8')));
    res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(reply.body));
  }

  /** The access check's refusal as a reply; a body that is not JSON is left to handleAcmPca to refuse. */
  private refusal(req: IncomingMessage, operation: string, body: Buffer): Reply | undefined {
    const check = this.options.accessCheck;
    if (!check) return undefined;
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    const failed = check(signedRequestOf(req, body), operation, input);
    return failed && { status: failed.status, body: { __type: failed.code, message: failed.message } };
  }
}
