import type { DeviceReplyKind } from '../../workflows/rotate-device/protocol.ts';

/** What a device agent reports about itself. Never carries key material or whole certificates. */
export type AgentEvent =
  | { readonly type: 'recovered'; readonly notes: readonly string[] }
  | { readonly type: 'connected'; readonly certificateId: string }
  | { readonly type: 'disconnected' }
  | { readonly type: 'connect-failed'; readonly certificateId: string; readonly reason: string }
  | { readonly type: 'offline'; readonly until: number }
  | {
      readonly type: 'published';
      readonly kind: DeviceReplyKind;
      readonly topic: string;
      readonly rotationId: string | undefined;
      /** The certificate of the connection the message went over. */
      readonly certificateId: string;
    }
  | {
      readonly type: 'csr-sent';
      readonly rotationId: string;
      readonly repeated: boolean;
      /** Why the cloud says the previous attempt ended (e.g. CsrKeyTooSmall), when it says so. */
      readonly previousError?: string;
    }
  /** The delivered certificate passed the checks and is saved; proving it comes next. */
  | { readonly type: 'certificate-accepted'; readonly rotationId: string; readonly certificateId: string }
  | { readonly type: 'certificate-rejected'; readonly rotationId: string; readonly reason: string }
  | { readonly type: 'rotated'; readonly rotationId: string; readonly certificateId: string }
  | { readonly type: 'ack-repeated'; readonly rotationId: string }
  | { readonly type: 'message-dropped'; readonly topic: string; readonly reason: string }
  | { readonly type: 'link-dropped' }
  | { readonly type: 'error'; readonly name: string; readonly message: string };

export type AgentEventListener = (event: AgentEvent) => void;
