import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RuntimeOptions } from './environment.ts';

export const SERVICE_NAME = 'recert';

/** Counts one event; dimensions (e.g. a rejection reason) make a metric per value. */
export interface Counter {
  count(metric: string, dimensions?: Readonly<Record<string, string>>): void;
}

/** The structured log lines a domain module writes; every line carries thing name and rotationId. */
export interface Log {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

export interface ObservabilityOptions {
  readonly namespace?: string;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Tracing only inside Lambda (Powertools also checks), never required. */
  readonly tracing?: boolean;
}

/** Powertools with the service named explicitly, so nothing depends on Lambda's environment. */
export function createObservability(functionId: string, options: ObservabilityOptions = {}): Observability {
  const logger = new Logger({
    serviceName: SERVICE_NAME,
    logLevel: options.logLevel ?? 'INFO',
    persistentKeys: { function: functionId },
  });
  const metrics = new Metrics({
    serviceName: SERVICE_NAME,
    namespace: options.namespace ?? 'recert',
    defaultDimensions: { function: functionId },
    // Powertools' own warnings (e.g. an invocation that emitted no metric) go through the structured log.
    logger,
  });
  const tracer = new Tracer({ serviceName: SERVICE_NAME, enabled: options.tracing ?? false });
  return { logger, metrics, tracer };
}

export function counterOf(metrics: Metrics): Counter {
  return {
    count(metric, dimensions) {
      if (dimensions && Object.keys(dimensions).length > 0) {
        const single = metrics.singleMetric();
        single.addDimensions({ ...dimensions });
        single.addMetric(metric, MetricUnit.Count, 1);
        return;
      }
      metrics.addMetric(metric, MetricUnit.Count, 1);
    },
  };
}

export function logOf(logger: Logger): Log {
  return {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
}

/** A handler's observability, at the log level and metrics namespace its options name. */
export function observabilityFor(functionId: string, options: RuntimeOptions): Observability {
  return createObservability(functionId, {
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.metricsNamespace ? { namespace: options.metricsNamespace } : {}),
  });
}

/** What a domain module logs and counts with, from the handler's observability. */
export function reportingOf(observability: Observability): { log: Log; counter: Counter } {
  return { log: logOf(observability.logger), counter: counterOf(observability.metrics) };
}

/** The middy handler with the Powertools middlewares: context in logs, metrics flushed, tracing. */
export function wrapHandler<R>(
  observability: Observability,
  run: (event: unknown, context: Context) => Promise<R>,
): middy.MiddyfiedHandler<unknown, R, Error, Context> {
  return middy<unknown, R, Error, Context>()
    .use(captureLambdaHandler(observability.tracer, { captureResponse: false }))
    .use(injectLambdaContext(observability.logger, { resetKeys: true }))
    .use(logMetrics(observability.metrics))
    .handler(run);
}

/** Builds a handler on first use, so importing a handler module has no side effect. */
export function lazyHandler<R>(
  build: () => (event: unknown, context: Context) => Promise<R>,
): (event: unknown, context: Context) => Promise<R> {
  let built: ((event: unknown, context: Context) => Promise<R>) | undefined;
  // A build that fails (a missing setting) fails the invocation, and the next one builds again.
  return async (event, context) => {
    built ??= build();
    return built(event, context);
  };
}
