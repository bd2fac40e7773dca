import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class UiLoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MaxLength(256)
  username: string;

  @ApiProperty({ description: 'The master key (LITELLM_MASTER_KEY)' })
  @IsString()
  @MaxLength(4096)
  password: string;
}
