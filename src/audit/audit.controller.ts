import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly } from '../common/public.decorator.js';
import { AuditListResponseDto, AuditQueryDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'Every admin change, newest first: who, when, the object before and after (secrets masked)' })
  @ApiOkResponse({ type: AuditListResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'A filter of the wrong type (the message names it)' })
  list(@Query() q: AuditQueryDto): Promise<AuditListResponseDto> {
    return this.audit.list(q);
  }
}
