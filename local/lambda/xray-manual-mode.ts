/**
 * Even with tracing off the tracer loads the X-Ray SDK, whose automatic mode hooks every promise of the
 * process; manual mode skips the hook. Imported first by the local AWS; on Lambda it changes nothing.
 */
if (!process.env.AWS_LAMBDA_FUNCTION_NAME) process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
