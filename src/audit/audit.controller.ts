import { Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminGet, BadRequest } from '../common/admin-route.decorator.js';
import { AuditListResponseDto, AuditQueryDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @AdminGet(
    '',
    'Every admin change, newest first: who, when, the object before and after (secrets masked)',
    AuditListResponseDto,
    BadRequest('A filter of the wrong type (the message names it)'),
  )
  list(@Query() q: AuditQueryDto): Promise<AuditListResponseDto> {
    return this.audit.list(q);
  }
}
