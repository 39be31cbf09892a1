import {
  type AdminAction,
  boardIdSchema,
  HttpError,
  invalidRequest,
  issuesToDetails,
  type PeriodName,
  periodKey,
  resetInstanceKey,
  seasonAt,
  seasonKey,
  userIdSchema,
} from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
import type { AppDeps } from './deps.js';
import { publishEvents } from './publish-events.js';
import { limitBody, parseBody, readOptionalJson } from './request-body.js';
import { auditQuerySchema, banBodySchema, removeEntryQuerySchema } from './request-schemas.js';

type AdminContext = Context<{ Variables: AuthVariables }>;

function param<T>(schema: z.ZodType<T>, c: AdminContext, name: string): T {
  const parsed = schema.safeParse(c.req.param(name));
  if (!parsed.success) throw invalidRequest(issuesToDetails(parsed.error.issues, [name]));
  return parsed.data;
}

/**
 * Moderation (admin scope): each action is an AdminEvent published to the log, keyed by the user,
 * and takes effect where the projector folds it: at its position among the user's events.
 */
export function moderationRoutes(deps: AppDeps) {
  const r = new Hono<{ Variables: AuthVariables }>();
  const admin = requireScope(deps.apiKeys, 'admin');

  async function publish(
    c: AdminContext,
    action: AdminAction,
    userId: string,
    fields: { board?: string; periodKey?: string | null; reason?: string | undefined },
  ) {
    const eventId = deps.newId();
    const event = {
      eventId,
      action,
      userId,
      board: fields.board ?? null,
      periodKey: fields.periodKey ?? null,
      actor: c.get('apiKey').name,
      reason: fields.reason ?? null,
      occurredAt: deps.now(),
    };
    const accepted = await publishEvents(deps, [{ kind: 'admin', event }]);
    const [produced] = accepted.events;
    deps.logger.info(
      { action, userId, board: event.board, periodKey: event.periodKey, actor: event.actor },
      'admin action',
    );
    return c.json(
      {
        eventId,
        action,
        userId,
        board: event.board,
        periodKey: event.periodKey,
        partition: produced?.partition,
        offset: produced?.offset,
        consistencyToken: accepted.consistencyToken,
      },
      202,
    );
  }

  r.delete('/boards/:board/users/:userId', admin, async (c) => {
    const board = param(boardIdSchema, c, 'board');
    const userId = param(userIdSchema, c, 'userId');
    const query = parseBody(removeEntryQuerySchema, c.req.query());
    if (query.at !== undefined && query.period === undefined) {
      throw invalidRequest([{ path: 'at', message: 'only applies with period' }]);
    }
    const definition = await deps.boards.get(board);
    if (!definition) throw new HttpError(404, 'board_not_found', `no board "${board}"`);
    if (query.season !== undefined && query.period !== 'season') {
      throw invalidRequest([{ path: 'season', message: 'only applies with period=season' }]);
    }
    const at = query.at === undefined ? deps.now() : /^\d+$/.test(query.at) ? Number(query.at) : Date.parse(query.at);
    if (query.period === 'season') {
      const seasonId = query.season ?? seasonAt(definition.schedule, at)?.seasonId;
      if (seasonId === undefined || !definition.schedule.seasons.some((s) => s.seasonId === seasonId)) {
        throw invalidRequest([{ path: 'season', message: `board "${board}" has no such season` }]);
      }
      return publish(c, 'remove_entry', userId, { board, periodKey: seasonKey(seasonId), reason: query.reason });
    }
    const period = query.period as PeriodName | undefined;
    if (period !== undefined && period !== 'all' && !definition.periods.includes(period)) {
      throw invalidRequest([
        { path: 'period', message: `board "${board}" keeps ${['all', ...definition.periods].join(', ')}` },
      ]);
    }
    return publish(c, 'remove_entry', userId, {
      board,
      periodKey:
        period === undefined
          ? null
          : period === 'all'
            ? 'all'
            : resetInstanceKey(periodKey(period, at, definition), at, definition.schedule.resets, definition),
      reason: query.reason,
    });
  });

  async function banBody(c: AdminContext): Promise<{ reason?: string | undefined }> {
    return parseBody(banBodySchema, await readOptionalJson(c));
  }

  for (const [method, action] of [
    ['post', 'ban'],
    ['delete', 'unban'],
  ] as const) {
    r.on(method.toUpperCase(), '/users/:userId/ban', admin, limitBody(deps.limits.maxBodyBytes), async (c) => {
      const userId = param(userIdSchema, c, 'userId');
      const { reason } = await banBody(c);
      const answer = await publish(c, action, userId, { reason });
      deps.bans.note(userId, action === 'ban' ? 'banned' : null);
      return answer;
    });
  }

  /**
   * The event first, then the key: a 503 leaves nothing changed (retry), and once the event is in
   * the log the user is erased whatever happens here, because the projector deletes the key too when
   * it folds the event. Deleting it here as well, under the profile writes' lock, stops this API from
   * sealing or recording anything more for the user at once; should that fail, the answer is still
   * the 202 (the erasure is in the log), and the projector does it.
   */
  r.delete('/users/:userId', admin, limitBody(deps.limits.maxBodyBytes), async (c) => {
    const userId = param(userIdSchema, c, 'userId');
    const { reason } = await banBody(c);
    const answer = await publish(c, 'erase', userId, { reason });
    deps.bans.note(userId, 'erased');
    await deps.userKeys.erase(userId).catch((error) => {
      deps.logger.warn({ err: error, userId }, 'could not delete the key at once; the projector will');
    });
    return answer;
  });

  r.get('/admin/audit', admin, async (c) => {
    const query = parseBody(auditQuerySchema, c.req.query());
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (limit < 1 || limit > 500) throw invalidRequest([{ path: 'limit', message: 'must be 1 to 500' }]);
    const colon = query.before?.indexOf(':') ?? -1;
    const before =
      query.before === undefined
        ? undefined
        : colon < 0
          ? { occurredAt: Number(query.before), eventId: '' }
          : { occurredAt: Number(query.before.slice(0, colon)), eventId: query.before.slice(colon + 1) };
    const entries = await deps.audit.list({
      ...(query.userId === undefined ? {} : { userId: query.userId }),
      ...(query.board === undefined ? {} : { board: query.board }),
      ...(before === undefined ? {} : { before }),
      limit,
    });
    const last = entries.length === limit ? entries.at(-1) : undefined;
    return c.json({
      entries: entries.map((e) => ({ ...e, occurredAt: new Date(e.occurredAt).toISOString() })),
      nextBefore: last ? `${last.occurredAt}:${last.eventId}` : null,
    });
  });

  r.all('/boards/:board/users/:userId', methodNotAllowed(['DELETE']));
  r.all('/users/:userId/ban', methodNotAllowed(['POST', 'DELETE']));
  r.all('/admin/audit', methodNotAllowed(['GET']));
  return r;
}
