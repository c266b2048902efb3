import type { ChatMessage } from '../../contracts/messages';
import {
  SESSION_STATE_SCHEMA_VERSION,
  type SessionState,
  type SessionTurn,
  type SessionView,
} from '../../contracts/session';

/** How many answered request ids a session remembers for deduplication. */
const ANSWERED_KEPT = 50;

/** A fresh session state. */
export function newSessionState(): SessionState {
  return { schemaVersion: SESSION_STATE_SCHEMA_VERSION, turnCount: 0, summary: '', recent: [], answered: [] };
}

/**
 * A session's working memory: recent turns verbatim, older turns as a running summary,
 * and the answers of recent request ids. Pure; the workflow drives it.
 */
export class SessionMemory {
  readonly state: SessionState;

  constructor(carried: SessionState | undefined) {
    if (carried !== undefined && carried.schemaVersion !== SESSION_STATE_SCHEMA_VERSION) {
      throw new Error(`session state version ${carried.schemaVersion} is not ${SESSION_STATE_SCHEMA_VERSION}`);
    }
    this.state = carried ?? newSessionState();
  }

  /** The earlier answer to a request id, if it was already handled. */
  answerOf(requestId: string): SessionTurn | undefined {
    return this.state.answered.find((turn) => turn.requestId === requestId);
  }

  /** Records a finished turn. */
  record(turn: SessionTurn): void {
    this.state.turnCount = Math.max(this.state.turnCount, turn.turn);
    this.state.recent.push(turn);
    this.state.answered.push(turn);
    if (this.state.answered.length > ANSWERED_KEPT)
      this.state.answered.splice(0, this.state.answered.length - ANSWERED_KEPT);
  }

  /** Removes and returns the turns beyond the `keep` most recent ones, for summarizing. */
  takeOverflow(keep: number): SessionTurn[] {
    const excess = this.state.recent.length - keep;
    return excess > 0 ? this.state.recent.splice(0, excess) : [];
  }

  /** The context a new turn's task gets: the summary, then the recent turns as messages. */
  contextMessages(): ChatMessage[] {
    const messages: ChatMessage[] = [];
    if (this.state.summary !== '') {
      messages.push({ role: 'system', content: `Summary of the conversation so far:\n${this.state.summary}` });
    }
    for (const turn of this.state.recent) {
      messages.push({ role: 'user', content: turn.message }, { role: 'assistant', content: turn.answer });
    }
    return messages;
  }

  view(sessionId: string, queued: number, runTurns: number): SessionView {
    return {
      sessionId,
      turnCount: this.state.turnCount,
      summary: this.state.summary,
      recent: this.state.recent,
      queued,
      runTurns,
    };
  }
}

/** Renders turns for the summarizer. */
export function turnsAsText(turns: SessionTurn[]): string {
  return turns.map((turn) => `User: ${turn.message}\nAssistant: ${turn.answer}`).join('\n\n');
}
