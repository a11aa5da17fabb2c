import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'recert_console';

/** Whether two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The console's one session: a random token the printed URL carries once (then a cookie), and a
 * CSRF token every state-changing request must repeat in its form body.
 */
export class ConsoleSession {
  readonly token = randomBytes(24).toString('base64url');
  readonly csrf = randomBytes(24).toString('base64url');

  /** The cookie that stands for the token after the first visit; never readable by scripts. */
  cookie(): string {
    return `${SESSION_COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Whether a request carries the session cookie. */
  authenticated(req: IncomingMessage): boolean {
    return sameSecret(cookieValue(req.headers.cookie, SESSION_COOKIE), this.token);
  }

  tokenMatches(given: string | undefined): boolean {
    return sameSecret(given, this.token);
  }

  csrfMatches(given: string | undefined): boolean {
    return sameSecret(given, this.csrf);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/**
 * A request addressed to this server by a loopback name. Anything else (a DNS name that resolves to
 * 127.0.0.1 from a hostile page) is refused, so another site cannot read the console through DNS rebinding.
 */
export function loopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** A cross-site request: its Origin, when the browser sends one, must be this server's. */
export function sameOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}
