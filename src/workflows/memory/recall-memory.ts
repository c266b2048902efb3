import { ActivityFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ChatMessage } from '../../contracts/messages';
import { activityCallFailure } from '../activity-failures';
import { memoryRead } from '../activity-options';

const { recall } = proxyActivities<Activities>(memoryRead);
const { recall: recallLocally } = proxyLocalActivities<Activities>(memoryRead);

/** Longest excerpt of one recalled item; keeps the memory message and history bounded. */
const MAX_ITEM_CHARS = 500;
const MAX_ITEMS = 8;

/** What recall gave the task: a message to put before the goal, or a note on why not. */
export interface RecalledMemory {
  message?: ChatMessage;
  items: number;
  note?: string;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ITEM_CHARS ? `${flat.slice(0, MAX_ITEM_CHARS)}…` : flat;
}

/**
 * Recalls what may help with a goal: relevant episodes of the session and semantic
 * knowledge. Memory is degradable (docs/architecture.md, decision 5): if MongoDB is unreachable the task
 * goes on without it and its result says so. `local` reads it in a local activity (inside
 * the workflow task, no round trip through the server); `activity` as a normal activity.
 */
export async function recallMemory(
  goal: string,
  sessionId: string,
  namespace: string,
  mode: 'local' | 'activity' = 'activity',
): Promise<RecalledMemory> {
  let result;
  try {
    const read = mode === 'local' ? recallLocally : recall;
    result = await read({ sessionId, goal, recentLimit: 0, relevantLimit: 4, knowledge: { namespace, k: 4 } });
  } catch (error) {
    // The activity path keeps its recorded behaviour (any ActivityFailure, even a cancelled one, is a note).
    const failure =
      mode === 'local'
        ? activityCallFailure(error)
        : error instanceof ActivityFailure
          ? { message: error.cause?.message ?? error.message }
          : undefined;
    if (failure === undefined) throw error;
    return { items: 0, note: `memory was unavailable (${failure.message}); answered without recalled memory` };
  }
  const lines = [
    ...result.relevant.map(
      (scored) => `- (earlier, ${scored.episode.occurredAt.slice(0, 10)}) ${excerpt(scored.episode.content)}`,
    ),
    ...result.knowledge.map((hit) => `- (${hit.chunk.kind} from ${hit.chunk.source}) ${excerpt(hit.chunk.text)}`),
  ].slice(0, MAX_ITEMS);
  if (lines.length === 0) return { items: 0 };
  return {
    items: lines.length,
    message: {
      role: 'system',
      content: `What you remember that may be relevant (use it if it helps, it may be outdated):\n${lines.join('\n')}`,
    },
  };
}
