import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class NewModelDto {
  @ApiProperty({ description: 'The alias clients send as `model`', example: 'gemma-4-31b' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  model_name: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'model (openai/<vLLM id> or hosted_vllm/<id>), api_base, optional api_key, timeout, rpm, tpm',
    example: { model: 'openai/google/gemma-4-31b', api_base: 'http://127.0.0.1:8125/v1', api_key: 'os.environ/VLLM_KEY' },
  })
  @IsObject()
  litellm_params: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { input_cost_per_token: 2e-7, output_cost_per_token: 8e-7 } })
  @IsOptional()
  @IsObject()
  model_info?: Record<string, unknown>;
}

export class UpdateModelDto {
  @ApiPropertyOptional({ description: 'The model id (or give model_info.id)' })
  @IsOptional()
  @IsString()
  model_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  model_name?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Merged into the stored litellm_params' })
  @IsOptional()
  @IsObject()
  litellm_params?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Merged into the stored model_info' })
  @IsOptional()
  @IsObject()
  model_info?: Record<string, unknown>;
}

export class DeleteModelDto {
  @ApiProperty({ description: 'model_info.id of a database model' })
  @IsString()
  id: string;
}
