import { ApiProperty } from '@nestjs/swagger';

export const DEPLOYMENT_STATES = ['healthy', 'cooling_down', 'unreachable'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** One deployment as the router and the last probe see it. */
export class DeploymentHealthDto {
  @ApiProperty({ type: 'string', description: 'The alias clients send' }) model_name: string;
  @ApiProperty({ type: 'string' }) model_id: string;
  @ApiProperty({ type: 'string' }) api_base: string;
  @ApiProperty({
    type: 'string',
    enum: DEPLOYMENT_STATES,
    description: 'cooling_down: the router skips it until cooldown_until; unreachable: the last probe (GET /models) failed; else healthy',
  })
  state: DeploymentState;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) cooldown_until: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: "The router's last backend fault, or the probe's error" }) last_error: string | null;
  @ApiProperty({ type: 'integer', description: 'Requests this process has in flight to it' }) in_flight: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'vLLM: requests waiting (null when not reported)' }) queue_waiting: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'vLLM: requests running' }) requests_running: number | null;
  @ApiProperty({ type: 'number', nullable: true, description: 'vLLM: KV-cache use, 0 to 1' }) kv_cache_usage: number | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'When vLLM last reported its load' }) load_updated_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', description: 'When the probe ran' }) checked_at: string;
}

export class DeploymentsHealthDto {
  @ApiProperty({ type: DeploymentHealthDto, isArray: true }) data: DeploymentHealthDto[];
}
