/**
 * Policies and their targets: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, AttachPolicy,
 * DetachPolicy, ListAttachedPolicies, ListTargetsForPolicy. Parsed documents are cached for the broker.
 */
import { createHash } from 'node:crypto';
import {
  DeleteConflictException,
  InvalidRequestException,
  ResourceAlreadyExistsException,
} from '../errors.ts';
import { type ParsedPolicy, parsePolicyDocument } from '../policy/document.ts';
import { certificateArn, certificateIdFromArn, type Partition, policyArn } from './arns.ts';
import { type Page, paginate } from './pagination.ts';
import type { PolicyRecord } from './records.ts';
import type { RegistryState } from './registry-state.ts';

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

function checkPolicyName(name: string): void {
  if (!POLICY_NAME.test(name)) {
    throw new InvalidRequestException(
      `policyName must be 1-128 characters of [A-Za-z0-9_+=,.@-], got '${name}'`,
    );
  }
}

export class PolicyOperations {
  private readonly parsed = new Map<string, ParsedPolicy>();

  constructor(
    private readonly state: RegistryState,
    private readonly partition: Partition,
    private readonly now: () => number,
  ) {}

  create(name: string, document: string): PolicyRecord {
    checkPolicyName(name);
    const existing = this.state.policies.get(name);
    if (existing) {
      throw new ResourceAlreadyExistsException(`policy ${name} already exists`, name, existing.policyArn);
    }
    const parsed = parsePolicyDocument(document);
    const now = this.now();
    const record: PolicyRecord = {
      policyName: name,
      policyArn: policyArn(this.partition, name),
      policyDocument: document,
      defaultVersionId: '1',
      creationDate: now,
      lastModifiedDate: now,
      generationId: createHash('sha256').update(`${name}\u0000${document}\u0000${now}`).digest('hex'),
    };
    this.state.policies.put(name, record);
    this.parsed.set(name, parsed);
    return record;
  }

  get(name: string): PolicyRecord {
    checkPolicyName(name);
    return this.state.policies.existing(name);
  }

  find(name: string): PolicyRecord | undefined {
    return this.state.policies.get(name);
  }

  list(marker: string | undefined, limit: number, ascending: boolean): Page<PolicyRecord> {
    const sorted = [...this.state.policies.values()].sort((a, b) => compare(a.policyName, b.policyName));
    if (!ascending) sorted.reverse();
    return paginate(sorted, (p) => p.policyName, marker, limit);
  }

  delete(name: string): void {
    this.get(name);
    const targets = this.state.policyTargets.rightsOf(name);
    if (targets.length > 0) {
      throw new DeleteConflictException(
        `policy ${name} is attached to ${targets.length} target(s); detach it first`,
      );
    }
    this.state.policies.delete(name);
    this.parsed.delete(name);
  }

  attach(name: string, target: string): void {
    this.get(name);
    const certificateId = this.targetCertificate(target);
    this.state.policyTargets.add(name, certificateId);
  }

  detach(name: string, target: string): void {
    this.get(name);
    const certificateId = this.targetCertificate(target);
    this.state.policyTargets.remove(name, certificateId);
  }

  attachedTo(target: string, marker: string | undefined, limit: number): Page<PolicyRecord> {
    const certificateId = this.targetCertificate(target);
    const policies = this.namesFor(certificateId)
      .sort(compare)
      .map((n) => this.state.policies.get(n))
      .filter((p): p is PolicyRecord => p !== undefined);
    return paginate(policies, (p) => p.policyName, marker, limit);
  }

  targets(name: string, marker: string | undefined, limit: number): Page<string> {
    this.get(name);
    const arns = this.state.policyTargets
      .rightsOf(name)
      .sort(compare)
      .map((id) => certificateArn(this.partition, id));
    return paginate(arns, (a) => a, marker, limit);
  }

  namesFor(certificateId: string): string[] {
    return this.state.policyTargets.leftsOf(certificateId);
  }

  /** The parsed documents of every policy attached to a certificate, for the broker's checks. */
  documentsFor(certificateId: string): ParsedPolicy[] {
    const documents: ParsedPolicy[] = [];
    for (const name of this.namesFor(certificateId)) {
      const document = this.document(name);
      if (document) documents.push(document);
    }
    return documents;
  }

  private document(name: string): ParsedPolicy | undefined {
    const cached = this.parsed.get(name);
    if (cached) return cached;
    const record = this.state.policies.get(name);
    if (!record) return undefined;
    const parsed = parsePolicyDocument(record.policyDocument);
    this.parsed.set(name, parsed);
    return parsed;
  }

  private targetCertificate(target: string): string {
    const certificateId = certificateIdFromArn(target, 'target');
    this.state.certificates.existing(certificateId);
    return certificateId;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
