/** What middleware puts on a request's context for the handlers after it. */
import type { Logger } from "../logger.ts";
import type { CallObserver } from "../tracing/index.ts";

export interface Principal {
  /** Environments this caller may invoke: "*" for all. */
  environments: ReadonlySet<string> | "*";
  admin: boolean;
  /** Whether a token was presented (and accepted). */
  authenticated: boolean;
}

export interface HostEnv {
  Variables: {
    requestId: string;
    /** performance.now() when the request arrived: deadlines count from here. */
    arrivedAt: number;
    log: Logger;
    principal: Principal;
    /** The request's trace, when tracing is on. */
    trace?: CallObserver;
  };
}
