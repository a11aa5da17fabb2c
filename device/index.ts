/**
 * The device side as other folders use it: the `recert device` command, and the simulated fleet that
 * the main job (`npm start`) rotates on the local AWS.
 */
export { runDeviceCommand } from './cli.ts';
export { type BehaviourMix, BehaviourMixError, parseBehaviourMix } from './fleet/behaviour-mix.ts';
export { type BehaviourName, MALICIOUS_BEHAVIOURS } from './fleet/behaviours.ts';
export { type FleetDeviceSpec, FleetSimulator, planFleet } from './fleet/fleet-simulator.ts';
export { LocalIotProvisioner } from './fleet/local-iot-provisioner.ts';
