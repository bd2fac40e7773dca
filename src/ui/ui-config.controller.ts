import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/public.decorator.js';
import { VERSION } from '../common/version.js';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';

export class UiConfigDto {
  @ApiProperty({ type: 'boolean', description: 'STORE_MODEL_IN_DB: whether /model/new and /model/update can work' }) store_model_in_db: boolean;
  @ApiProperty({ type: 'string' }) version: string;
}

/** What the UI must know before it offers an action, so a form that cannot work says so before it is filled. */
@ApiTags('ui')
@Controller('ui')
export class UiConfigController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('config')
  @AdminOnly()
  @ApiOperation({ summary: "The proxy's settings the admin UI adapts to (no secrets)" })
  @ApiOkResponse({ type: UiConfigDto })
  get(): UiConfigDto {
    return { store_model_in_db: this.config.storeModelInDb, version: VERSION };
  }
}
