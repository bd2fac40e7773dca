import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { expects, says, OptionalString } from '../common/validation.js';

export class NewModelDto {
  @ApiProperty({ type: 'string', description: 'The alias clients send as `model`', example: 'gemma-4-31b' })
  @IsString(expects('a string'))
  @MinLength(1, says('must not be empty'))
  @MaxLength(255, says('must be at most 255 characters'))
  model_name: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'model (openai/<vLLM id> or hosted_vllm/<id>), api_base, optional api_key, timeout, rpm, tpm',
    example: { model: 'openai/google/gemma-4-31b', api_base: 'http://127.0.0.1:8125/v1', api_key: 'os.environ/VLLM_KEY' },
  })
  @IsObject(expects('an object'))
  litellm_params: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { input_cost_per_token: 2e-7, output_cost_per_token: 8e-7 } })
  @IsOptional()
  @IsObject(expects('an object'))
  model_info?: Record<string, unknown>;
}

export class UpdateModelDto {
  @OptionalString({ description: 'The model id (or give model_info.id)' })
  model_id?: string;

  @OptionalString()
  @MinLength(1, says('must not be empty'))
  model_name?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Merged into the stored litellm_params' })
  @IsOptional()
  @IsObject(expects('an object'))
  litellm_params?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Merged into the stored model_info' })
  @IsOptional()
  @IsObject(expects('an object'))
  model_info?: Record<string, unknown>;
}

export class DeleteModelDto {
  @ApiProperty({ type: 'string', description: 'model_info.id of a database model' })
  @IsString(expects('a string (the model id)'))
  id: string;
}
