/**
 * Runs the database migrations and exits: the Kubernetes migration Job's command, for operators who
 * gate a rollout on them. The services also migrate at start, under the same advisory lock.
 */
import { createLogger, logEnv, migrate, parseEnv, postgresEnv } from './runtime/index.js';

const config = parseEnv({ ...logEnv, DATABASE_URL: postgresEnv.DATABASE_URL }, process.env);
const logger = createLogger('migrate', config.LOG_LEVEL);
try {
  await migrate(config.DATABASE_URL, logger);
  logger.info('migrations applied');
} catch (error) {
  logger.error({ err: error }, 'migrations failed');
  process.exitCode = 1;
}
