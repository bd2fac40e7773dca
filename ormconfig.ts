import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ALL_ENTITIES } from './src/database/all-entities.js';
import { buildDataSourceOptions } from './src/database/database.options.js';

if (!process.env.DATABASE_URL) {
  throw new Error('DATABASE_URL must be set for the migration CLI (the embedded database runs only inside the proxy)');
}

export default new DataSource({ ...buildDataSourceOptions(process.env.DATABASE_URL), entities: ALL_ENTITIES });
