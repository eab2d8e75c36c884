/**
 * Traces of invoke requests, exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set.
 * Unset, nothing here loads the OpenTelemetry SDK and no request pays for it:
 * the app registers no tracing middleware at all.
 */
import type { CallObserver } from "../../supervision/collaborators.ts";

export type { CallObserver };

export interface RequestTrace extends CallObserver {
  end(status: number, error?: { code: string; message: string }): void;
}

export interface RequestStart {
  method: string;
  /** The route's template: the span's name. */
  route: string;
  path: string;
  /** ms since the epoch. */
  startTime: number;
  header(name: string): string | undefined;
  attributes: Record<string, string>;
}

export interface Tracing {
  startRequest(request: RequestStart): RequestTrace;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

export function tracesEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  return undefined;
}

/** The tracer when an endpoint is configured (the SDK imported then, and only then); undefined otherwise. */
export function loadTracing(env: NodeJS.ProcessEnv, onError: (error: Error) => void): Promise<Tracing | undefined> | undefined {
  const endpoint = tracesEndpoint(env);
  if (!endpoint) return undefined;
  return import("./otel.ts").then(
    ({ createTracing }) => createTracing(endpoint, env.OTEL_SERVICE_NAME ?? "vial"),
    (error: Error) => {
      onError(error);
      return undefined;
    },
  );
}
