/**
 * The rotation record's phases and the writes that move it, as one table. Each write lists the
 * requirements the record must meet; the same list renders the write's DynamoDB ConditionExpression
 * (`conditionExpression`) and checks a record in memory (`failedRequirements`), so a refused write
 * is explained from the item DynamoDB returns with the refusal, by the rules that refused it.
 */
import type { DeviceReplyKind } from './protocol.ts';
import type { RotationPhase, RotationStatus } from './table.ts';

/**
 * Where one attempt (one rotationId) goes from each phase. A new attempt (a new rotationId: the CSR
 * was rejected, or the certificate revoked) starts again at AWAITING_CSR, from any phase.
 */
export const ATTEMPT_FLOW: Readonly<Record<RotationPhase, readonly RotationPhase[]>> = {
  CLAIMED: ['AWAITING_CSR'],
  AWAITING_CSR: ['AWAITING_CSR', 'CSR_RECEIVED'],
  CSR_RECEIVED: ['ISSUING'],
  ISSUING: ['ISSUING', 'ISSUED'],
  ISSUED: ['ISSUED', 'AWAITING_ACK', 'REVOKED'],
  AWAITING_ACK: ['AWAITING_ACK', 'PROVEN', 'DEVICE_ERROR', 'REVOKED'],
  PROVEN: ['RETIRED', 'DONE'],
  DEVICE_ERROR: ['REVOKED'],
  REVOKED: [],
  RETIRED: ['DONE'],
  DONE: [],
};

/** True when an attempt in `phase` has gone past `earlier` (reached it by at least one move). */
export function isPast(phase: RotationPhase, earlier: RotationPhase): boolean {
  const seen = new Set<RotationPhase>();
  const queue: RotationPhase[] = ATTEMPT_FLOW[earlier].filter((p) => p !== earlier);
  while (queue.length > 0) {
    const next = queue.shift() as RotationPhase;
    if (next === phase) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...ATTEMPT_FLOW[next].filter((p) => p !== earlier));
  }
  return false;
}

/** A value a requirement compares an attribute with: one of the write's parameters, or a constant. */
export type Operand = { readonly param: string } | { readonly constant: string };

/** One thing a write requires of the record; `name` says which, when it does not hold. */
export type Requirement = {
  readonly name: string;
  /** Left out when its parameter is not given. */
  readonly optional?: boolean;
} & (
  | { readonly test: 'present' | 'absent'; readonly attribute: string }
  | { readonly test: 'equals' | 'absentOrDiffers'; readonly attribute: string; readonly operand: Operand }
  | { readonly test: 'oneOf'; readonly attribute: string; readonly operands: readonly Operand[] }
  /** Holds when any of these does. */
  | { readonly test: 'anyOf'; readonly requirements: readonly Requirement[] }
);

export type WriteParams = Readonly<Record<string, string | undefined>>;

export interface RecordWrite {
  /** The phase it sets; none: the phase stays. */
  readonly to?: RotationPhase;
  /** The status it sets (and statusSince with it); 'given': the caller's. */
  readonly toStatus?: RotationStatus | 'given';
  /**
   * Made on an IN_PROGRESS record without touching status; on a record a redriven execution left
   * FAILED / TIMED_OUT / ABORTED, made again as its resumption, which sets IN_PROGRESS.
   */
  readonly resumes?: boolean;
  readonly requires: readonly Requirement[];
}

const param = (name: string): Operand => ({ param: name });
const equals = (name: string, attribute: string, operand: Operand): Requirement => ({
  name,
  attribute,
  test: 'equals',
  operand,
});
/** The record's phase is one of these. */
export const phaseIn = (...phases: RotationPhase[]): Requirement => ({
  name: 'phase',
  attribute: 'phase',
  test: 'oneOf',
  operands: phases.map((constant) => ({ constant })),
});

const EXECUTION = equals('execution', 'executionArn', param('executionArn'));
const ROTATION = equals('rotation', 'rotationId', param('rotationId'));
/** The record is this execution's, in this attempt: the fence of most writes. */
const FENCE = [EXECUTION, ROTATION];
export const IN_PROGRESS = equals('inProgress', 'status', { constant: 'IN_PROGRESS' });
/** No rotation is in flight: what a claim by another execution requires. */
export const NOT_IN_PROGRESS: Requirement = {
  name: 'notInProgress',
  attribute: 'status',
  test: 'absentOrDiffers',
  operand: { constant: 'IN_PROGRESS' },
};
/**
 * What the resumption of a redriven execution requires instead of IN_PROGRESS: an end Step Functions
 * can redrive. Never ABANDONED or SUCCEEDED, which a late step of a stopped execution must not undo.
 */
export const RESUMABLE: Requirement = {
  name: 'resumable',
  attribute: 'status',
  test: 'oneOf',
  operands: [{ constant: 'FAILED' }, { constant: 'TIMED_OUT' }, { constant: 'ABORTED' }],
};
const ISSUING = equals('issuing', 'issuingRotationId', param('rotationId'));
const NOT_ISSUED: Requirement = {
  name: 'notIssued',
  attribute: 'newCertificateRotationId',
  test: 'absentOrDiffers',
  operand: param('rotationId'),
};

/**
 * The wait this token stands for has no accepted reply: a step run again with the same token (Step
 * Functions calls a task at least once) after its device answered must not wait again (params: taskToken).
 */
export const TOKEN_UNANSWERED: Requirement = {
  name: 'tokenUnanswered',
  test: 'anyOf',
  requirements: [
    { name: 'otherToken', attribute: 'taskToken', test: 'absentOrDiffers', operand: param('taskToken') },
    { name: 'noReply', attribute: 'acceptedReply', test: 'absent' },
  ],
};

/** Each reply kind: the wait it answers, the phase it leads to, the certificate it must come over. */
export const REPLY_TRANSITIONS: Readonly<
  Record<
    DeviceReplyKind,
    {
      readonly wait: 'AWAITING_CSR' | 'AWAITING_ACK';
      readonly next: RotationPhase;
      readonly principal: 'oldCertificateId' | 'newCertificateId';
    }
  >
> = {
  csr_res: { wait: 'AWAITING_CSR', next: 'CSR_RECEIVED', principal: 'oldCertificateId' },
  crt_ack: { wait: 'AWAITING_ACK', next: 'PROVEN', principal: 'newCertificateId' },
  crt_err: { wait: 'AWAITING_ACK', next: 'DEVICE_ERROR', principal: 'oldCertificateId' },
};

/** device-reply's mark of the reply accepted for a wait (params: `acceptedReply`). */
export const acceptedReplyMark = (rotationId: string, kind: string): string => `${rotationId}/${kind}`;

/**
 * Accepting a reply to the pending wait in one write (params: rotationId, principal): the rotation is
 * in progress in this attempt, waits for this kind with a token and no reply accepted yet, and the
 * reply came over the expected certificate.
 */
export function acceptPendingReply(kind: DeviceReplyKind): RecordWrite {
  const t = REPLY_TRANSITIONS[kind];
  return {
    to: t.next,
    requires: [
      IN_PROGRESS,
      ROTATION,
      phaseIn(t.wait),
      { name: 'waiting', attribute: 'taskToken', test: 'present' },
      { name: 'unanswered', attribute: 'acceptedReply', test: 'absent' },
      equals('principal', t.principal, param('principal')),
    ],
  };
}

/** Accepting a reply after a read (params: rotationId, taskToken): the wait is the one read. */
export function acceptReadReply(kind: DeviceReplyKind): RecordWrite {
  const t = REPLY_TRANSITIONS[kind];
  return {
    to: t.next,
    requires: [phaseIn(t.wait), ROTATION, equals('token', 'taskToken', param('taskToken'))],
  };
}

/**
 * A reply of this kind was accepted for the current wait and the workflow has not moved on (params:
 * acceptedReply): Step Functions may not have heard the answer, so it is sent again.
 */
export function acceptedUnanswered(kind: DeviceReplyKind): readonly Requirement[] {
  return [
    equals('accepted', 'acceptedReply', param('acceptedReply')),
    phaseIn(REPLY_TRANSITIONS[kind].next),
    { name: 'waiting', attribute: 'taskToken', test: 'present' },
  ];
}

/** The store's other writes; params are named after the attributes they compare with. */
export const RECORD_WRITES = {
  /**
   * The state machine's claim (ClaimThing, invariant 6): no other execution's rotation of the thing
   * is in flight; the same execution may claim again (a retried or redriven claim).
   */
  claim: {
    to: 'CLAIMED',
    toStatus: 'IN_PROGRESS',
    requires: [{ name: 'claimable', test: 'anyOf', requirements: [NOT_IN_PROGRESS, EXECUTION] }],
  },
  /** A new CSR wait: any phase (a repeat, a new attempt, a redrive) of this execution. */
  awaitCsr: { to: 'AWAITING_CSR', resumes: true, requires: [EXECUTION, TOKEN_UNANSWERED] },
  /** A new ack wait: the record holds this attempt's certificate. */
  awaitAck: {
    to: 'AWAITING_ACK',
    resumes: true,
    requires: [
      ...FENCE,
      equals('certificateOfRotation', 'newCertificateRotationId', param('rotationId')),
      TOKEN_UNANSWERED,
    ],
  },
  markParked: { requires: FENCE },
  markCsrRequestUnsent: { requires: FENCE },
  /** The issuance marker: once per attempt, of the expected old certificate when one is given. */
  markIssuing: {
    to: 'ISSUING',
    resumes: true,
    requires: [
      ...FENCE,
      {
        name: 'notIssuing',
        attribute: 'issuingRotationId',
        test: 'absentOrDiffers',
        operand: param('rotationId'),
      },
      { ...equals('oldCertificate', 'oldCertificateId', param('oldCertificateId')), optional: true },
    ],
  },
  clearIssuing: { requires: [EXECUTION, ISSUING, NOT_ISSUED] },
  recordIssued: { to: 'ISSUED', requires: [EXECUTION, ISSUING, NOT_ISSUED] },
  /** A phase the caller names (params: phase); the fence alone decides. */
  setPhase: { resumes: true, requires: FENCE },
  recordError: { requires: FENCE },
  recordRevoked: {
    to: 'REVOKED',
    requires: [...FENCE, equals('certificate', 'newCertificateId', param('certificateId'))],
  },
  recordOutcome: { toStatus: 'given', requires: [EXECUTION, IN_PROGRESS] },
  markEscalated: {
    requires: [EXECUTION, { name: 'notEscalated', attribute: 'escalatedAt', test: 'absent' }],
  },
  /** The retire step's last write: SUCCEEDED and DONE. */
  complete: { to: 'DONE', toStatus: 'SUCCEEDED', requires: FENCE },
} as const satisfies Record<string, RecordWrite>;

/** Placeholders for attribute names and values (functions/shared/update-expression.ts). */
export interface Placeholders {
  name(attribute: string): string;
  value(value: unknown): string;
}

function operandValue(operand: Operand, params: WriteParams): string | undefined {
  return 'constant' in operand ? operand.constant : params[operand.param];
}

/** Every operand a requirement compares with, those of the requirements it combines included. */
function operandsOf(r: Requirement): readonly Operand[] {
  if (r.test === 'anyOf') return r.requirements.flatMap(operandsOf);
  return r.test === 'oneOf' ? r.operands : 'operand' in r ? [r.operand] : [];
}

/** The parameters a list of requirements compares with, by name. */
export function paramsOf(requirements: readonly Requirement[]): string[] {
  const names = requirements.flatMap(operandsOf).flatMap((o) => ('param' in o ? [o.param] : []));
  return [...new Set(names)];
}

/** The requirements that apply with these params; a required param missing is an error. */
function applying(requirements: readonly Requirement[], params: WriteParams): Requirement[] {
  return requirements.filter((r) => {
    const missing = operandsOf(r).find((o) => operandValue(o, params) === undefined);
    if (missing === undefined) return true;
    if (r.optional) return false;
    throw new Error(`requirement ${r.name} needs the parameter ${'param' in missing ? missing.param : '?'}`);
  });
}

/** The DynamoDB ConditionExpression that holds exactly when every requirement does. */
export function conditionExpression(
  requirements: readonly Requirement[],
  params: WriteParams,
  p: Placeholders,
): string {
  const clauses = applying(requirements, params).map((r) => clause(r, params, p));
  if (clauses.length === 0) throw new Error('a condition with no requirement');
  return clauses.join(' AND ');
}

/**
 * The names of the requirements a record does not meet, in the table's order; none when the write's
 * condition holds. A missing record is an empty item, as DynamoDB evaluates it.
 */
export function failedRequirements(
  requirements: readonly Requirement[],
  record: Readonly<Record<string, unknown>> | undefined,
  params: WriteParams,
): string[] {
  const item = record ?? {};
  return applying(requirements, params)
    .filter((r) => !holds(r, item, params))
    .map((r) => r.name);
}

function clause(r: Requirement, params: WriteParams, p: Placeholders): string {
  if (r.test === 'anyOf') return `(${r.requirements.map((each) => clause(each, params, p)).join(' OR ')})`;
  const name = p.name(r.attribute);
  const value = (o: Operand): string => p.value(operandValue(o, params));
  if (r.test === 'oneOf') {
    const [only, ...more] = r.operands;
    if (only !== undefined && more.length === 0) return `${name} = ${value(only)}`;
    return `${name} IN (${r.operands.map(value).join(', ')})`;
  }
  if (r.test === 'equals') return `${name} = ${value(r.operand)}`;
  if (r.test === 'absentOrDiffers') {
    return `(attribute_not_exists(${name}) OR ${name} <> ${value(r.operand)})`;
  }
  return r.test === 'present' ? `attribute_exists(${name})` : `attribute_not_exists(${name})`;
}

function holds(r: Requirement, item: Readonly<Record<string, unknown>>, params: WriteParams): boolean {
  if (r.test === 'anyOf') return r.requirements.some((each) => holds(each, item, params));
  const actual = item[r.attribute];
  if (r.test === 'oneOf') {
    return actual !== undefined && r.operands.some((o) => actual === operandValue(o, params));
  }
  if (r.test === 'equals') return actual !== undefined && actual === operandValue(r.operand, params);
  if (r.test === 'absentOrDiffers') return actual === undefined || actual !== operandValue(r.operand, params);
  return r.test === 'present' ? actual !== undefined : actual === undefined;
}
