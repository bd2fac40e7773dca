import { Module } from '@nestjs/common';
import { UpstreamClient } from './upstream.client.js';

/** The pooled HTTP client to the backends, shared by the proxy and the health probes. */
@Module({
  providers: [UpstreamClient],
  exports: [UpstreamClient],
})
export class UpstreamModule {}
