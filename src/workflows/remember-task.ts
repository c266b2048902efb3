import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RememberTaskInput, RememberTaskResult } from '../contracts/memory';
import { factExtraction, memoryWrite } from './activity-options';

const { rememberEpisode } = proxyActivities<Activities>(memoryWrite);
const { extractFacts } = proxyActivities<Activities>(factExtraction);

/**
 * Writes a finished task to memory: its episode, then the facts a small model finds in it.
 * Started by the task as an abandoned child, so the answer never waits for MongoDB, and
 * the engine retries the writes until MongoDB is back. Ids are deterministic: no duplicates.
 */
export async function rememberTaskWorkflow(input: RememberTaskInput): Promise<RememberTaskResult> {
  const { created } = await rememberEpisode({ episode: input.episode });
  if (input.facts === undefined) return { episodeStored: created, factsStored: 0 };
  try {
    const { facts } = await extractFacts(input.facts);
    return { episodeStored: created, factsStored: facts.filter((fact) => fact.stored).length };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return {
      episodeStored: created,
      factsStored: 0,
      note: `fact extraction failed: ${error.cause?.message ?? error.message}`,
    };
  }
}
