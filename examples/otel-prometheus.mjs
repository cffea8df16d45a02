// A cache's metrics in Prometheus's text format: moka-js/otel reports the
// cache through OpenTelemetry, and the Prometheus exporter serves them (here
// serialized directly, without starting its HTTP server on :9464).
//
// Run with: node examples/otel-prometheus.mjs   (needs @opentelemetry/api,
// @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus)
//
// Prints:
//   # TYPE moka_cache_hits_total counter
//   moka_cache_hits_total{cache_name="users",otel_scope_name="app"} 2
//   # TYPE moka_cache_misses_total counter
//   moka_cache_misses_total{cache_name="users",otel_scope_name="app"} 2
//   # TYPE moka_cache_entries gauge
//   moka_cache_entries{cache_name="users",otel_scope_name="app"} 2
//   # TYPE moka_cache_weight gauge
//   moka_cache_weight{cache_name="users",otel_scope_name="app"} 2
//   # TYPE moka_cache_loads_total counter
//   moka_cache_loads_total{cache_name="users",load_outcome="success",otel_scope_name="app"} 2
//   moka_cache_loads_total{cache_name="users",load_outcome="error",otel_scope_name="app"} 0
//   # TYPE moka_cache_load_duration_total counter
//   moka_cache_load_duration_total{cache_name="users",otel_scope_name="app"} …
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { Moka } from 'moka-js'
import { instrument } from 'moka-js/otel'

const exporter = new PrometheusExporter({ preventServerStart: true })
const provider = new MeterProvider({ readers: [exporter] })

const users = new Moka({ maxCapacity: 1000 })
instrument(users, { meter: provider.getMeter('app'), name: 'users' })

const load = async (id) => ({ id, name: `user ${id}` })
for (const id of [1, 2, 1, 2]) await users.fetch(id, load) // two misses (loads), then two hits

const { resourceMetrics } = await exporter.collect()
const text = new PrometheusSerializer().serialize(resourceMetrics)
// The cache's series and their types (HELP and UNIT lines, and the SDK's target_info, left out here).
for (const line of text.split('\n')) if (/^(# TYPE )?moka_/.test(line)) console.log(line)
await provider.shutdown()
