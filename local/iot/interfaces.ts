/**
 * The seams inside the local IoT Core: the HTTP route table that the control plane, the rules
 * engine and the audit all add their operations to, the message bus between the MQTT broker and
 * the rules engine, and the registry view the audit reads.
 */

/** One parsed restJson1 request. */
export interface RestRequest {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** Path labels from the route pattern, URI-decoded (`/things/{thingName}` gives `thingName`). */
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body parsed as JSON (undefined when empty); routes validate it with zod. */
  readonly body: unknown;
  readonly rawBody: Buffer;
}

export interface RestResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RestRoute {
  /** AWS's operation name, e.g. `DescribeThing`. */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** AWS's URI pattern with `{label}` segments, e.g. `/things/{thingName}`. */
  readonly path: string;
  /**
   * The body is the message itself (data-plane Publish), not JSON: it is not parsed and `body` is
   * undefined. Optional; JSON by default.
   */
  readonly rawPayload?: boolean;
  handle(request: RestRequest): Promise<RestResponse> | RestResponse;
}

/** One row of a service's route table. */
export function route(
  operation: string,
  method: RestRoute['method'],
  path: string,
  handle: RestRoute['handle'],
): RestRoute {
  return { operation, method, path, handle };
}

/**
 * An error answered in restJson1's shape: the status code, `x-amzn-ErrorType: <code>` and
 * `{"message": ...}`, which the SDK turns into an exception named `code`.
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
  }
}

/** A message that went through the broker, with who sent it as IoT Core's rules engine sees it. */
export interface BusMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** The MQTT client id of the publisher; undefined for data-plane and internal publishes. */
  readonly clientId?: string;
  /** The publisher's principal: the certificate id (SHA-256 hex of the DER) for a TLS client. */
  readonly principal?: string;
  /** Clock time (epoch ms) when the broker accepted the message. */
  readonly receivedAt: number;
}

export interface MessageBus {
  /** Every message the broker accepts (device publishes, data-plane publishes, lifecycle events). */
  subscribe(listener: (message: BusMessage) => void): () => void;
  /** Publishes into the broker as the service itself (data plane, rules' republish). */
  publish(message: { topic: string; payload: Buffer | string; qos?: 0 | 1; retain?: boolean }): Promise<void>;
}

export type CertificateStatus =
  | 'ACTIVE'
  | 'INACTIVE'
  | 'REVOKED'
  | 'PENDING_TRANSFER'
  | 'REGISTER_INACTIVE'
  | 'PENDING_ACTIVATION';

/** What the Device Defender audit needs to know of a certificate. */
export interface CertificateView {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly status: CertificateStatus;
  readonly creationDate: number;
  readonly notBefore: number;
  readonly notAfter: number;
  /** The registered CA that signed it, when there is one. */
  readonly caCertificateId?: string;
}

export interface CertificateSource {
  listCertificates(): Iterable<CertificateView>;
}
