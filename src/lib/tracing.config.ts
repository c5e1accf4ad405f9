// OpenTelemetry settings (docs/operations.md, Tracing), under their standard OTEL_* names so that the
// usual deployment manifests work unchanged. Tracing is on only when an OTLP endpoint is set.
import { z } from 'zod';

const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_traceidratio',
  'always_on',
  'traceidratio',
  'always_off',
  'parentbased_always_off',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

const url = z
  .string()
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL');

/** `key=value,key2=value2`, values URL-encoded (the OTLP exporter specification's format). */
const headers = z.string().transform((s, ctx) => {
  const out: Record<string, string> = {};
  for (const pair of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!/^[!#$%&'*+.^_`|~\w-]+$/.test(key)) {
      ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of key=value pairs' });
      return z.NEVER;
    }
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `the value of ${key} is not valid URL encoding` });
      return z.NEVER;
    }
  }
  return out;
});

export const TRACING_ENV = {
  /** Base URL of an OTLP/HTTP collector; traces go to `<it>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  /** The full traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: headers.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: headers.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
};

type TracingEnv = z.output<z.ZodObject<typeof TRACING_ENV>>;

export interface TracingConfig {
  /** Where spans are sent (OTLP over HTTP, protobuf). */
  endpoint: string;
  headers: Record<string, string>;
  /** OTEL_SERVICE_NAME; unset → aimychats-api or aimychats-worker, by process. */
  serviceName?: string;
  sampler: SamplerName;
  /** The ratio of the *traceidratio samplers (1 when unset). */
  samplerRatio: number;
}

/** Undefined (tracing off) without an endpoint, or with OTEL_SDK_DISABLED=true. */
export function tracingConfig(e: TracingEnv): TracingConfig | undefined {
  const endpoint =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!endpoint || e.OTEL_SDK_DISABLED === 'true') return undefined;
  return {
    endpoint,
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: e.OTEL_SERVICE_NAME,
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
