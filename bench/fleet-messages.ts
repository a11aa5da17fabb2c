/**
 * The messages the benchmark's processes exchange over IPC (devices to connect, memory at stop), each
 * validated on receipt: a process never trusts the shape of what it receives.
 */
import { z } from 'zod';

export const HandedOverDevice = z.object({
  thingName: z.string().min(1),
  certificateId: z.string().min(1),
  certificatePem: z.string().min(1),
  privateKeyPem: z.string().min(1),
});
export type HandedOverDevice = z.infer<typeof HandedOverDevice>;

/** Stack process to fleet process. */
export const ToFleet = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('devices'),
    endpoint: z.object({ host: z.string(), port: z.number().int().positive() }),
    serverCaPem: z.string().min(1),
    devices: z.array(HandedOverDevice),
  }),
  z.object({ type: z.literal('stop') }),
]);
export type ToFleet = z.infer<typeof ToFleet>;

/** Fleet process to stack process. */
export const FromFleet = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('connected'),
    devices: z.number().int(),
    connected: z.number().int(),
    ms: z.number(),
  }),
  z.object({
    type: z.literal('stopped'),
    peakRssBytes: z.number(),
    /** CPU time from every device connected to the stop request: the fleet's share of the rotations. */
    cpuMs: z.number(),
    rotated: z.number().int(),
    withoutWorkingCredentials: z.number().int(),
  }),
  z.object({ type: z.literal('failed'), name: z.string(), message: z.string() }),
]);
export type FromFleet = z.infer<typeof FromFleet>;

/** Orchestrator to the stack process of one fleet size. */
export const ToStack = z.object({ type: z.literal('run'), size: z.number().int().positive() });
