/**
 * The OpenTelemetry side of tracing, imported only when an endpoint is set:
 * a span per invoke request (continuing the caller's W3C traceparent) with
 * children for the wait in the environment's line, the executor call and,
 * inside it, the guest call as the executor timed it. Exported in batches
 * over OTLP/HTTP (JSON).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Attributes, type Context } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { VIAL_VERSION } from "../version.ts";
import type { RequestStart, RequestTrace, Tracing } from "./index.ts";

export function createTracing(url: string, serviceName: string): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName, "service.version": VIAL_VERSION }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  const tracer = provider.getTracer("vial", VIAL_VERSION);
  const propagator = new W3CTraceContextPropagator();

  function startRequest(request: RequestStart): RequestTrace {
    const headers = { traceparent: request.header("traceparent"), tracestate: request.header("tracestate") };
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const attributes: Attributes = { "http.request.method": request.method, "http.route": request.route, "url.path": request.path, ...request.attributes };
    const span = tracer.startSpan(`${request.method} ${request.route}`, { kind: SpanKind.SERVER, startTime: request.startTime, attributes }, parent);
    const inRequest: Context = trace.setSpan(parent, span);
    return {
      waited(start, end, outcome) {
        tracer.startSpan("queue wait", { startTime: start, attributes: { "vial.queue.outcome": outcome } }, inRequest).end(end);
      },
      ran(start, end, executor, guest) {
        const call = tracer.startSpan(
          "executor call",
          { kind: SpanKind.CLIENT, startTime: start, attributes: { "vial.executor.pid": executor.pid ?? -1, "vial.version": executor.version, "vial.engine": executor.engine, "vial.outcome": executor.outcome } },
          inRequest,
        );
        if (guest) {
          // The executor's clock and the host's agree to well under a millisecond; kept inside the call regardless.
          const guestStart = Math.max(start, Math.min(guest.start, end));
          const guestEnd = Math.max(guestStart, Math.min(guest.end, end));
          tracer.startSpan("guest call", { startTime: guestStart, attributes: { "vial.guest.ms": guest.end - guest.start } }, trace.setSpan(inRequest, call)).end(guestEnd);
        }
        call.end(end);
      },
      end(status, error) {
        span.setAttribute("http.response.status_code", status);
        if (error) span.setAttributes({ "vial.error.code": error.code, "error.type": error.code });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
        span.end();
      },
    };
  }

  return { startRequest, shutdown: () => provider.shutdown() };
}
