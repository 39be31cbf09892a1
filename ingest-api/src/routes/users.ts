import { HttpError, invalidRequest, issuesToDetails, userIdSchema } from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import { Hono } from 'hono';
import type { ApiKey } from '../auth/api-keys.js';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
import { seasonProblem } from '../domain/board-definition.js';
import { mergeProfile, type Profile, type ProfilePatch } from '../domain/profile-merge.js';
import { userEvents } from '../domain/user-events.js';
import { findBoards } from './board-resolution.js';
import type { AppDeps } from './deps.js';
import { erasedAsForbidden, publishEvents } from './publish-events.js';
import { takeRate } from './rate-limit.js';
import { refuseBanned } from './refuse-banned.js';
import { limitBody, parseBody, readJson } from './request-body.js';
import { userPostSchema, userPutSchema } from './request-schemas.js';

interface ProfileWrite extends ProfilePatch {
  initialScore?: number | undefined;
  board?: string | undefined;
}

export function usersRoutes(deps: AppDeps) {
  const r = new Hono<{ Variables: AuthVariables }>();
  const ingest = requireScope(deps.apiKeys, 'ingest');
  const limit = limitBody(deps.limits.maxBodyBytes);

  /**
   * Under the user's lock: decide the profile from what this API last recorded, publish the events,
   * and only then record the profile. Two concurrent requests for one user therefore publish in the
   * order they record, so the log's latest profile event is also the recorded one.
   *
   * A board of `initialScore` nobody defined yet is created only once its event is published (the
   * event is stamped with the defaults the board gets): a request refused (409, 400, 503) must leave
   * no board behind. It is created after the lock is released, not under it, so that a request never
   * holds one pooled connection while waiting for another.
   */
  async function writeProfile(
    key: ApiKey,
    userId: string,
    write: ProfileWrite,
    decide: (current: Profile | undefined) => Profile,
  ) {
    if (write.board !== undefined && write.initialScore === undefined) {
      throw invalidRequest([{ path: 'board', message: 'only applies with initialScore' }]);
    }
    await refuseBanned(deps, [{ userId, path: 'userId' }], write.initialScore !== undefined);
    await takeRate(deps, key, write.initialScore === undefined ? 1 : 2);
    const boardName = write.board ?? 'global';
    const boards =
      write.initialScore === undefined ? undefined : await findBoards(deps, [{ board: boardName, path: 'board' }]);
    const board = boards?.found.get(boardName);
    if (board && board.tiebreaks.length > 0) {
      // A score there needs a value for each tie-break column, which a profile cannot give.
      throw invalidRequest([
        { path: 'initialScore', message: `board ${boardName} ranks ties by columns: post the score as an event` },
      ]);
    }
    const outOfSeason = board && seasonProblem(boardName, board.schedule, deps.now());
    if (outOfSeason) throw invalidRequest([{ path: 'initialScore', message: outOfSeason }]);
    const accepted = await deps.profiles
      .withUser(userId, async (current) => {
        const profile = decide(current);
        const events = userEvents({
          profile,
          initialScore: board && write.initialScore !== undefined ? { value: write.initialScore, board } : undefined,
          now: deps.now(),
          newEventId: deps.newId,
        });
        return { save: profile, result: await publishEvents(deps, events) };
      })
      .catch((error) => {
        // Erased under the lock, after the ban list let the request through.
        throw erasedAsForbidden(error);
      });
    for (const name of boards?.unknown ?? []) await createPublishedBoard(name);
    return { userId, ...accepted };
  }

  /** The events are in the log: a failure here must not turn the 202 into an error (and a retry into a 409). */
  async function createPublishedBoard(name: string) {
    try {
      await deps.boards.createIfMissing(name);
    } catch (error) {
      // The projector creates a board it sees in the log with the same defaults.
      deps.logger.warn(
        { err: error, board: name },
        'could not create the board of an initialScore; the projector will',
      );
    }
  }

  r.post('/', ingest, limit, async (c) => {
    const body = parseBody(userPostSchema, await readJson(c));
    const userId = body.userId ?? deps.newId();
    const answer = await writeProfile(c.get('apiKey'), userId, body, (current) => {
      if (current)
        throw new HttpError(409, 'user_exists', `user "${userId}" already has a profile; use PUT /v1/users/${userId}`);
      return { userId, username: body.username, imageUrl: body.imageUrl ?? null, region: body.region ?? null };
    });
    return c.json(answer, 202);
  });

  r.put('/:userId', ingest, limit, async (c) => {
    const parsedId = userIdSchema.safeParse(c.req.param('userId'));
    if (!parsedId.success) throw invalidRequest(issuesToDetails(parsedId.error.issues, ['userId']));
    const userId = parsedId.data;
    const body = parseBody(userPutSchema, await readJson(c));
    const answer = await writeProfile(c.get('apiKey'), userId, body, (current) => {
      const merged = mergeProfile(userId, current, body);
      if (!merged.ok) throw invalidRequest(merged.details);
      return merged.profile;
    });
    return c.json(answer, 202);
  });

  r.all('/', methodNotAllowed(['POST']));
  r.all('/:userId', methodNotAllowed(['PUT', 'DELETE']));
  return r;
}
