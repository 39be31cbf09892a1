import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  acceptedSchema,
  adminAcceptedSchema,
  auditQuerySchema,
  auditSchema,
  banBodySchema,
  boardPutSchema,
  boardSchema,
  errorSchema,
  removeEntryQuerySchema,
  resetPostSchema,
  resetSchema,
  scoreBatchSchema,
  scoreItemSchema,
  seasonListSchema,
  seasonPostSchema,
  seasonSchema,
  userAcceptedSchema,
  userPostSchema,
  userPutSchema,
} from './request-schemas.js';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(errorSchema) });
const common = {
  400: error('Invalid request: `details` names every offending field (`events.3.value`)'),
  401: error('Missing or invalid API key'),
  403: error('The key lacks the scope'),
};
const writes = {
  ...common,
  403: error(
    'The key lacks the scope; or `user_banned` (a score event of a banned user) / `user_erased` (any write for an erased one): `details` names each userId',
  ),
  404: error('Unknown board while STRICT_BOARDS=true'),
  413: error('Body larger than MAX_BODY_BYTES'),
  429: error(
    "Over the per-key event rate (`rate_limited`), or a player past the board's maxEventsPerMinute (`player_rate_limited`, `details` names each userId); see Retry-After",
  ),
  503: error('Kafka unavailable or slower than the deadline; retry with the same eventIds after Retry-After'),
};
const boardParam = z.object({ board: z.string().meta({ example: 'global' }) });
const userParam = z.object({ userId: z.string() });

/** The OpenAPI document is generated from the same zod schemas that validate the requests. */
export function documentRoutes(app: OpenAPIHono<any>): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const security = [{ bearer: [] }];
  registry.registerPath({
    method: 'post',
    path: '/v1/events',
    summary: 'Submit one score event or a batch of 1 to 1000, all or nothing',
    security,
    request: { body: { required: true, ...json(z.union([scoreBatchSchema, scoreItemSchema])) } },
    responses: {
      202: { description: 'Every event acknowledged by Kafka (acks=all)', ...json(acceptedSchema) },
      ...writes,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/boards/{board}',
    summary: "A board's definition (ingest or admin scope)",
    security,
    request: { params: boardParam },
    responses: { 200: { description: 'The board', ...json(boardSchema) }, ...common, 404: error('No such board') },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/boards/{board}',
    summary: 'Create or change a board (admin scope); omitted fields keep their value',
    security,
    request: { params: boardParam, body: { required: true, ...json(boardPutSchema) } },
    responses: {
      200: { description: 'Updated', ...json(boardSchema) },
      201: { description: 'Created', ...json(boardSchema) },
      ...common,
      409: error(
        '`order_immutable`: the board exists with the other order; `calendar_immutable`: it has kept periods, and another timeZone or weekStartsOn was asked for',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/boards/{board}/seasons',
    summary: "A board's seasons and resets (ingest or admin scope); the query API lists them with players and leaders",
    security,
    request: { params: boardParam },
    responses: {
      200: { description: 'The schedule', ...json(seasonListSchema) },
      ...common,
      404: error('No such board'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/boards/{board}/seasons',
    summary:
      'Add a season (admin scope): events whose occurredAt is in [startsAt, endsAt) count toward it; once a board has seasons, an event in none is refused',
    security,
    request: { params: boardParam, body: { required: true, ...json(seasonPostSchema) } },
    responses: {
      200: { description: 'The same season existed already', ...json(seasonSchema) },
      201: { description: 'Logged to every partition, then recorded', ...json(seasonSchema) },
      ...common,
      400: error(
        'Invalid request, `details` naming the field; `season_overlaps`: another season of the board overlaps it (`startsAt`); `season_exists`: the id names a season with another interval (`seasonId`)',
      ),
      404: error('No such board (define it with PUT first)'),
      503: error('Kafka unavailable; retry later'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/boards/{board}/reset',
    summary:
      'Reset now (admin scope): the current daily/weekly/monthly instances and the current season end at this instant; events that occurred before it still count toward them. An optional season starts at the reset.',
    security,
    request: { params: boardParam, body: { required: false, ...json(resetPostSchema) } },
    responses: {
      200: { description: 'Logged to every partition, then recorded', ...json(resetSchema) },
      ...common,
      400: error(
        'Invalid request, `details` naming the field; `season_overlaps` / `season_exists`: the season to start does not fit',
      ),
      404: error('No such board'),
      503: error('Kafka unavailable; retry later'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/users',
    summary: 'Create a profile (and optionally an initial score); 409 if the user has one',
    security,
    request: { body: { required: true, ...json(userPostSchema) } },
    responses: {
      202: { description: 'Published: the profile event first', ...json(userAcceptedSchema) },
      ...writes,
      409: error('`user_exists`'),
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/users/{userId}',
    summary: 'Upsert a profile: omitted fields keep their value, null clears one',
    security,
    request: { params: userParam, body: { required: true, ...json(userPutSchema) } },
    responses: { 202: { description: 'Published: the profile event first', ...json(userAcceptedSchema) }, ...writes },
  });
  const adminWrites = {
    202: {
      description: 'Published to the log; the projector applies it at its position',
      ...json(adminAcceptedSchema),
    },
    ...common,
    403: error('The key lacks the admin scope'),
    503: error('Kafka unavailable; retry after Retry-After'),
  };
  registry.registerPath({
    method: 'delete',
    path: '/v1/boards/{board}/users/{userId}',
    summary: "Remove a user's entry from a board (admin scope): every instance, or one with `period`",
    description:
      'Later events count again unless the user is banned. The removal is an event in the log, so a replay keeps it.',
    security,
    request: { params: boardParam.extend(userParam.shape), query: removeEntryQuerySchema },
    responses: { ...adminWrites, 404: error('No such board') },
  });
  for (const [method, summary] of [
    ['post', 'Ban a user (admin scope): their score events are refused with 403 and ignored from here on in the log'],
    ['delete', 'Lift a ban (admin scope)'],
  ] as const) {
    registry.registerPath({
      method,
      path: '/v1/users/{userId}/ban',
      summary,
      security,
      request: { params: userParam, body: { required: false, ...json(banBodySchema) } },
      responses: adminWrites,
    });
  }
  registry.registerPath({
    method: 'delete',
    path: '/v1/users/{userId}',
    summary: 'Erase a user for good (admin scope): GDPR/CCPA erasure',
    description:
      'Deletes the key their personal text in the log is sealed with, then publishes an erase event: the projector ' +
      'removes them from every board, period and the profile store, and ignores their events from then on, also ' +
      'after a replay. Their events are refused with 403 `user_erased`. What remains is the pseudonymous userId ' +
      'and the numeric scores in the log. A 503 is safe to retry.',
    security,
    request: { params: userParam, body: { required: false, ...json(banBodySchema) } },
    responses: adminWrites,
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/audit',
    summary: 'Admin actions as the projector applied them, newest first (admin scope)',
    security,
    request: { query: auditQuerySchema },
    responses: { 200: { description: 'The actions', ...json(auditSchema) }, ...common },
  });
}
