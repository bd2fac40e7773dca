import { ApiProperty } from '@nestjs/swagger';

/** A deployment as /model/info shows it (LiteLLM's shape); secrets in litellm_params are masked. */
export class ModelViewDto {
  @ApiProperty({ type: 'string', description: 'The alias clients send as `model`' }) model_name: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'model, api_base, api_key (masked), timeout, rpm, tpm, ...' }) litellm_params: Record<
    string,
    unknown
  >;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'id, db_model, input_cost_per_token, output_cost_per_token, mode, ...' })
  model_info: Record<string, unknown>;
}

export class ModelInfoResponseDto {
  @ApiProperty({ type: ModelViewDto, isArray: true }) data: ModelViewDto[];
}

export class ModelGroupDto {
  @ApiProperty({ type: 'string' }) model_group: string;
  @ApiProperty({ type: 'array', items: { type: 'string' } }) providers: string[];
  @ApiProperty({ type: 'array', items: { type: 'string' }, description: 'Upstream model ids' }) models: string[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: '{id, model, db_model}' }) deployments: Array<
    Record<string, unknown>
  >;
  @ApiProperty({ type: 'number' }) input_cost_per_token: number;
  @ApiProperty({ type: 'number' }) output_cost_per_token: number;
  @ApiProperty({ type: 'integer', nullable: true }) rpm: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) tpm: number | null;
  @ApiProperty({ type: 'string', example: 'chat' }) mode: string;
}

export class ModelGroupInfoResponseDto {
  @ApiProperty({ type: ModelGroupDto, isArray: true }) data: ModelGroupDto[];
}

export class ModelDeletedDto {
  @ApiProperty({ type: 'string' }) message: string;
  @ApiProperty({ type: 'string' }) id: string;
}

export class ConfigReloadedDto {
  @ApiProperty({ type: 'string' }) message: string;
  @ApiProperty({ type: 'integer', description: 'Config deployments now serving' }) deployments: number;
}
