/**
 * The rotation record: its schema (workflows/rotate-device/record.ts), its store and the writer that
 * makes the writes of workflows/rotate-device/record-transitions.ts (the files of ./rotation-record/).
 */
export {
  CopiedPolicies,
  CorruptRecordError,
  csrRequestMark,
  type Fence,
  RotationRecord,
} from '../../workflows/rotate-device/record.ts';
export { acceptedReplyMark } from '../../workflows/rotate-device/record-transitions.ts';
export { RecordWriter, type WriteOutcome, type WriteRequest } from './rotation-record/record-writer.ts';
export {
  type AcceptPendingReplyParams,
  type AcceptReadReplyParams,
  type AwaitReplyParams,
  RotationRecordStore,
  type WaitOutcome,
} from './rotation-record/store.ts';
