/**
 * Finds the route for a request path. Labels match one path segment, compared before decoding so
 * that a label holding an encoded `/` (the data plane's topic) stays one segment, as on AWS.
 */
import { namedError } from '../../../lib/named-error.ts';
import type { RestRoute } from '../interfaces.ts';

interface CompiledRoute {
  readonly route: RestRoute;
  /** Literal segments as strings; labels as `{ label }`. */
  readonly segments: ReadonlyArray<string | { label: string }>;
}

export type RouteLookup =
  | { kind: 'found'; route: RestRoute; pathParams: Record<string, string> }
  | { kind: 'wrong-method'; allowed: string[] }
  | { kind: 'not-found' };

export class InvalidRoutePatternError extends namedError('InvalidRoutePatternError') {}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function compile(route: RestRoute): CompiledRoute {
  if (!route.path.startsWith('/')) {
    throw new InvalidRoutePatternError(`route ${route.operation}: path must start with '/': ${route.path}`);
  }
  const segments = splitPath(route.path).map((segment) => {
    const label = /^\{([A-Za-z0-9_]+)\}$/.exec(segment)?.[1];
    return label === undefined ? segment : { label };
  });
  return { route, segments };
}

function matchSegments(compiled: CompiledRoute, raw: string[]): Record<string, string> | undefined {
  if (compiled.segments.length !== raw.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < raw.length; i++) {
    const pattern = compiled.segments[i];
    const actual = raw[i];
    if (pattern === undefined || actual === undefined) return undefined;
    if (typeof pattern === 'string') {
      if (pattern !== actual) return undefined;
    } else {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      if (decoded === '') return undefined;
      params[pattern.label] = decoded;
    }
  }
  return params;
}

export class RouteTable {
  private readonly routes: CompiledRoute[] = [];

  add(routes: readonly RestRoute[]): void {
    for (const route of routes) {
      const compiled = compile(route);
      const clash = this.routes.find(
        (r) => r.route.method === route.method && sameShape(r.segments, compiled.segments),
      );
      if (clash) {
        throw new InvalidRoutePatternError(
          `route ${route.operation} (${route.method} ${route.path}) clashes with ${clash.route.operation}`,
        );
      }
      this.routes.push(compiled);
    }
  }

  /** Literal segments win over labels, so `/things/x/principals` is not read as a label. */
  lookup(method: string, rawPath: string): RouteLookup {
    const raw = splitPath(rawPath);
    const candidates: Array<{ compiled: CompiledRoute; params: Record<string, string> }> = [];
    for (const compiled of this.routes) {
      const params = matchSegments(compiled, raw);
      if (params) candidates.push({ compiled, params });
    }
    if (candidates.length === 0) return { kind: 'not-found' };
    const forMethod = candidates
      .filter((c) => c.compiled.route.method === method)
      .sort((a, b) => literalCount(b.compiled) - literalCount(a.compiled));
    const best = forMethod[0];
    if (!best)
      return { kind: 'wrong-method', allowed: [...new Set(candidates.map((c) => c.compiled.route.method))] };
    return { kind: 'found', route: best.compiled.route, pathParams: best.params };
  }
}

function literalCount(compiled: CompiledRoute): number {
  return compiled.segments.filter((s) => typeof s === 'string').length;
}

function sameShape(a: CompiledRoute['segments'], b: CompiledRoute['segments']): boolean {
  if (a.length !== b.length) return false;
  return a.every((s, i) => {
    const t = b[i];
    if (typeof s === 'string') return typeof t === 'string' && s === t;
    return typeof t !== 'string';
  });
}
