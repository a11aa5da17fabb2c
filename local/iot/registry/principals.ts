/** Thing <-> certificate attachments: AttachThingPrincipal, DetachThingPrincipal and their lists. */
import { certificateArn, certificateIdFromArn, type Partition } from './arns.ts';
import { type Page, paginate } from './pagination.ts';
import type { RegistryState } from './registry-state.ts';
import { checkThingName } from './things.ts';

export class PrincipalOperations {
  private readonly listeners = new Set<
    (change: { thingName: string; certificateId: string; attached: boolean }) => void
  >();

  constructor(
    private readonly state: RegistryState,
    private readonly partition: Partition,
    private readonly now: () => number = () => 0,
    /** How long a detached principal is still seen, as AWS's eventual consistency; 0 by default. */
    private readonly detachVisibleMs = 0,
  ) {}

  onChange(
    listener: (change: { thingName: string; certificateId: string; attached: boolean }) => void,
  ): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  attach(thingName: string, principal: string): void {
    const certificateId = this.resolve(thingName, principal);
    if (this.state.thingPrincipals.add(thingName, certificateId)) this.emit(thingName, certificateId, true);
  }

  detach(thingName: string, principal: string): void {
    const certificateId = this.resolve(thingName, principal);
    const visibleUntil = this.detachVisibleMs > 0 ? this.now() + this.detachVisibleMs : undefined;
    if (this.state.thingPrincipals.remove(thingName, certificateId, visibleUntil)) {
      this.emit(thingName, certificateId, false);
    }
  }

  principalsOf(thingName: string, nextToken: string | undefined, limit: number): Page<string> {
    this.requireThing(thingName);
    const arns = this.state.thingPrincipals
      .rightsOf(thingName)
      .sort()
      .map((id) => certificateArn(this.partition, id));
    return paginate(arns, (a) => a, nextToken, limit);
  }

  thingsOf(principal: string, nextToken: string | undefined, limit: number): Page<string> {
    const certificateId = certificateIdFromArn(principal, 'principal');
    this.state.certificates.existing(certificateId);
    const things = this.state.thingPrincipals.leftsOf(certificateId).sort();
    return paginate(things, (t) => t, nextToken, limit);
  }

  isAttached(thingName: string, certificateId: string): boolean {
    return this.state.thingPrincipals.has(thingName, certificateId);
  }

  private resolve(thingName: string, principal: string): string {
    this.requireThing(thingName);
    const certificateId = certificateIdFromArn(principal, 'principal');
    this.state.certificates.existing(certificateId);
    return certificateId;
  }

  private requireThing(thingName: string): void {
    checkThingName(thingName);
    this.state.things.existing(thingName);
  }

  private emit(thingName: string, certificateId: string, attached: boolean): void {
    for (const listener of this.listeners) listener({ thingName, certificateId, attached });
  }
}
