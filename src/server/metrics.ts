/** Prometheus metrics of the service: requests, latencies, batch sizes, errors, tensors alive. */
import * as tf from '@tensorflow/tfjs-core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'latentkit_requests_total', help: 'requests answered, by route and status', labelNames: ['route', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'latentkit_request_duration_seconds',
    help: 'time from request to answer, by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly batchRows = new Histogram({ name: 'latentkit_batch_rows', help: 'rows per dynamic batch run, by model and operation', labelNames: ['model', 'op'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [this.registry] });
  readonly errors = new Counter({ name: 'latentkit_errors_total', help: 'answers with status 4xx or 5xx, by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly rejected = new Counter({ name: 'latentkit_rejected_total', help: 'requests refused because the queue was full', registers: [this.registry] });

  constructor() {
    new Gauge({
      name: 'latentkit_tensors',
      help: 'TensorFlow.js tensors alive (flat under steady load: nothing leaks)',
      registers: [this.registry],
      collect() {
        this.set(tf.memory().numTensors);
      },
    });
    new Gauge({
      name: 'latentkit_heap_bytes',
      help: 'JavaScript heap in use',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
  }
}
