import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_HOST } from '../config.ts';
import { readBodyDraining, signedRequestOf } from '../http-request.ts';
import type { AccessCheck } from '../iam/types.ts';
import type { StepFunctionsEngine } from './engine.ts';
import { SfnApiError, StoreClosedError, serviceUnavailable } from './errors.ts';
import { isObject, type Json, type JsonObject, parseJson } from './json.ts';

/**
 * The Step Functions API over HTTP (awsJson1_0: `POST /`, `X-Amz-Target: AWSStepFunctions.<Op>`),
 * so the unchanged `@aws-sdk/client-sfn` talks to the local engine. Errors carry AWS's exception
 * name in `__type`. `RecertLocal.GetBilling` (not an AWS operation) returns billed transitions.
 */

const MAX_BODY_BYTES = 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const AWS_TARGET_PREFIX = 'AWSStepFunctions.';

type Operation = (engine: StepFunctionsEngine, input: JsonObject) => JsonObject | Promise<JsonObject>;

const OPERATIONS: Record<string, Operation> = {
  'AWSStepFunctions.CreateStateMachine': (e, i) => e.createStateMachine(i),
  'AWSStepFunctions.UpdateStateMachine': (e, i) => e.updateStateMachine(i),
  'AWSStepFunctions.DescribeStateMachine': (e, i) => e.describeStateMachine(i),
  'AWSStepFunctions.DescribeStateMachineForExecution': (e, i) => e.describeStateMachineForExecution(i),
  'AWSStepFunctions.ListStateMachines': (e, i) => e.listStateMachines(i),
  'AWSStepFunctions.DeleteStateMachine': (e, i) => e.deleteStateMachine(i),
  'AWSStepFunctions.StartExecution': (e, i) => e.startExecution(i),
  'AWSStepFunctions.DescribeExecution': (e, i) => e.describeExecution(i),
  'AWSStepFunctions.ListExecutions': (e, i) => e.listExecutions(i),
  'AWSStepFunctions.GetExecutionHistory': (e, i) => e.getExecutionHistory(i),
  'AWSStepFunctions.StopExecution': (e, i) => e.stopExecution(i),
  'AWSStepFunctions.RedriveExecution': (e, i) => e.redriveExecution(i),
  'AWSStepFunctions.SendTaskSuccess': (e, i) => e.sendTaskSuccess(i),
  'AWSStepFunctions.SendTaskFailure': (e, i) => e.sendTaskFailure(i),
  'AWSStepFunctions.SendTaskHeartbeat': (e, i) => e.sendTaskHeartbeat(i),
  'RecertLocal.GetBilling': (e, i) => e.billing(i),
};

export interface StepFunctionsServerOptions {
  /**
   * Asked before each AWS operation runs, with its bare name (`StartExecution`) and JSON body; a
   * refusal is answered as `{"__type", "message"}`. `RecertLocal.*` is local tooling, never checked.
   */
  readonly accessCheck?: AccessCheck;
}

export class StepFunctionsServer {
  private server: Server | undefined;

  constructor(
    private readonly engine: StepFunctionsEngine,
    private readonly options: StepFunctionsServerOptions = {},
  ) {}

  /** Listens on loopback; resolves with the bound port (pass 0 for any free one). */
  async start(options: { port: number; host?: string }): Promise<number> {
    const host = options.host ?? LOCAL_HOST;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        send(res, 500, { __type: 'InternalFailure', message: `Internal failure: ${String(error)}` });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => resolve());
    });
    const address: AddressInfo | string | null = server.address();
    return typeof address === 'object' && address ? address.port : options.port;
  }

  get endpoint(): string {
    const address = this.server?.address();
    if (!address || typeof address === 'string')
      throw new Error('the Step Functions server is not listening');
    return `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      send(res, 405, {
        __type: 'UnknownOperationException',
        message: `Method ${req.method ?? ''} is not supported`,
      });
      return;
    }
    const target = header(req, 'x-amz-target');
    const operation = target ? OPERATIONS[target] : undefined;
    const body = await readBodyDraining(req, MAX_BODY_BYTES);
    if (body === undefined) {
      send(res, 413, {
        __type: 'ValidationException',
        message: `The request body is larger than ${MAX_BODY_BYTES} bytes`,
      });
      return;
    }
    if (!operation) {
      send(res, 400, {
        __type: 'UnknownOperationException',
        message: `Unknown operation ${target ?? '(no X-Amz-Target)'}`,
      });
      return;
    }
    let input: Json;
    try {
      input = body.length === 0 ? {} : parseJson(body.toString('utf8'));
    } catch (error) {
      send(res, 400, {
        __type: 'SerializationException',
        message: `The request body is not valid JSON: ${String(error)}`,
      });
      return;
    }
    if (!isObject(input)) {
      send(res, 400, { __type: 'SerializationException', message: 'The request body must be a JSON object' });
      return;
    }
    const refusal = this.accessCheck(req, target ?? '', body, input);
    if (refusal) {
      send(res, refusal.status, { __type: refusal.code, message: refusal.message });
      return;
    }
    try {
      // Once the engine closed, nothing it answers would be kept: the caller is told to come back.
      if (this.engine.closed) throw serviceUnavailable();
      // A request that arrives while the engine is still loading its state directory waits for it.
      await this.engine.open();
      send(res, 200, await operation(this.engine, input));
    } catch (caught) {
      const error = caught instanceof StoreClosedError ? serviceUnavailable() : caught;
      if (error instanceof SfnApiError) {
        send(res, error.httpStatus, { __type: error.type, message: error.message });
        return;
      }
      send(res, 500, {
        __type: 'InternalFailure',
        message: `Internal failure: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /** The check's refusal for an AWS operation; `RecertLocal.*` targets are not AWS's, so never checked. */
  private accessCheck(req: IncomingMessage, target: string, body: Buffer, input: JsonObject) {
    const check = this.options.accessCheck;
    if (!check || !target.startsWith(AWS_TARGET_PREFIX)) return undefined;
    return check(signedRequestOf(req, body), target.slice(AWS_TARGET_PREFIX.length), input);
  }
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const send = (res: ServerResponse, status: number, body: JsonObject): void => {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  const type = typeof body.__type === 'string' ? body.__type : undefined;
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
    ...(type ? { 'x-amzn-errortype': type } : {}),
  });
  res.end(text);
};
