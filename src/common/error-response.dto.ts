import { ApiProperty } from '@nestjs/swagger';

export class ErrorBodyDto {
  @ApiProperty({ type: 'string', example: 'max_budget must be a number (dollars), got "lots"' })
  message: string;

  @ApiProperty({
    type: 'string',
    example: 'invalid_request_error',
    description: 'invalid_request_error, authentication_error, permission_error, not_found_error, ...',
  })
  type: string;

  @ApiProperty({ type: 'string', nullable: true, example: 'max_budget', description: 'The field at fault, when there is one' })
  param: string | null;

  @ApiProperty({ type: 'string', example: '400', description: 'The HTTP status, as a string' })
  code: string;
}

/** OpenAI's error envelope, which every error of this proxy uses. */
export class ErrorResponse {
  @ApiProperty({ type: ErrorBodyDto })
  error: ErrorBodyDto;
}
