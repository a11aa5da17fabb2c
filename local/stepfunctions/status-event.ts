import type { ExecutionStatus } from './model.ts';

/** The EventBridge "Step Functions Execution Status Change" event. */
export interface StatusChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly source: 'aws.states';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: ExecutionStatus;
    readonly startDate: number;
    readonly stopDate: number | null;
    readonly input: string;
    readonly inputDetails: { readonly included: boolean };
    readonly output: string | null;
    readonly outputDetails: { readonly included: boolean } | null;
    readonly error: string | null;
    readonly cause: string | null;
    readonly redriveCount: number;
    readonly redriveDate: number | null;
    readonly redriveStatus: string;
    readonly redriveStatusReason: string;
    /** Versions and aliases are not implemented locally: always null. */
    readonly stateMachineVersionArn?: null;
    readonly stateMachineAliasArn?: null;
  };
}

export type StatusListener = (event: StatusChangeEvent) => void;
