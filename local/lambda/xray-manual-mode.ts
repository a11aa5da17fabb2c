/**
 * The functions run in this process with tracing off, yet the tracer still loads the X-Ray SDK, whose
 * default automatic mode installs an async hook that tracks every promise of the process: about a
 * tenth of the local AWS's CPU time under load, for traces nobody sends. Manual mode skips the hook.
 * Imported first by the local AWS, before anything loads the SDK; on Lambda it changes nothing.
 */
if (!process.env.AWS_LAMBDA_FUNCTION_NAME) process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
