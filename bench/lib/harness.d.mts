// Types of harness.mjs, for test/bench/bench-cases.test.ts.

export interface BenchCase {
  name: string;
  /** The row label in the table. */
  label: string;
  /** Needs Redis (connect-redis on REDIS_URL). */
  redis?: boolean;
  /** Sends a distinct token on every request. */
  cold?: boolean;
  /** Sends the tokens of 10,000 users in turn. */
  wide?: boolean;
  /** Seconds of warm-up this case needs at least. */
  warmup?: number;
}

export declare const CASES: readonly BenchCase[];
export declare const ISSUER: string;

export interface LegacySession {
  sid: string;
  userId: string;
  /** The `Cookie` header a browser sends back. */
  cookie: string;
}

export interface ClientFixture {
  tokens: string[];
  coldTokens?: string[];
  sessions: LegacySession[];
  invalidCookies: { unknownSession: string; badSignature: string };
}

export interface Fixture {
  pool: { key: { kid: string; pem: string }; tokens: string[]; cached: boolean };
  jwks: { keys: Record<string, unknown>[] };
  client: ClientFixture;
  sessions: Array<{ sid: string; userId: string }>;
}

export declare function createFixture(options?: {
  tokenCount?: number;
  cache?: boolean;
  log?: (message: string) => void;
}): Promise<Fixture>;

/** A request of a case and the exact answer it must get. */
export interface ExpectedExchange {
  headers: Record<string, string>;
  status: number;
  body: string;
}

export declare function sampleRequests(name: string, fixture: ClientFixture): ExpectedExchange[];

export declare function startJwksServer(
  jwks: unknown,
  options?: { core?: number; issuer?: string },
): Promise<{ jwksUri: string; close(): Promise<void> }>;

export interface CaseServer {
  port: number;
  pid: number;
  pinned: boolean;
  cpu(): Promise<{ cpu: NodeJS.CpuUsage; requests: number }>;
  close(): Promise<void>;
}

export declare function startCaseServer(
  name: string,
  ctx: { jwksUri: string; sessions: Array<{ sid: string; userId: string }>; redisUrl: string },
  options?: { core?: number; nodeArgs?: string[]; wrapper?: string[]; timeoutMs?: number },
): Promise<CaseServer>;

/** Instructions per function name in one valgrind cachegrind output file (cachegrind.mjs). */
export declare function instructionsByFunction(file: string): Map<string, number>;

/** Per-request instructions by function: (run with n2 requests − run with n1) ÷ (n2 − n1). */
export declare function perRequestByFunction(
  file1: string,
  file2: string,
  n1: number,
  n2: number,
): Map<string, number>;

/** Where `kase` adds instructions per request over `base`: the total, by area, and the top functions. */
export declare function addedInstructions(
  base: Map<string, number>,
  kase: Map<string, number>,
  options?: { top?: number },
): {
  total: number;
  areas: Array<{ area: string; added: number }>;
  functions: Array<{ fn: string; added: number }>;
};
