import type { ChatMessage } from '../../contracts/messages';
import type { SessionState, SessionTurn, SessionView } from '../../contracts/session';
import type { ConversationTurn, RunningSummary } from '../context/working-context';

/** How many answered request ids a session remembers for deduplication. */
const ANSWERED_KEPT = 50;

/**
 * A session's memory of its own conversation: turns not yet summarized, the running
 * summary, and the answers of recent request ids. Pure; the workflow drives it.
 */
export class SessionMemory {
  /** @param state the current version's state (see `migrateSessionState`) */
  constructor(readonly state: SessionState) {}

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

  /** The turns not yet summarized, as the working-context planner takes them. */
  history(): ConversationTurn[] {
    return this.state.recent.map((turn) => ({
      turn: turn.turn,
      messages: [
        { role: 'user', content: turn.message },
        { role: 'assistant', content: turn.answer },
      ],
    }));
  }

  /** The running summary, or null before the first compression. */
  summary(): RunningSummary | null {
    return this.state.summary === ''
      ? null
      : { text: this.state.summary, throughTurn: this.state.summaryThroughTurn, level: this.state.summaryLevel };
  }

  /** Takes a new summary and drops the turns it now covers, so state (and continue-as-new input) stays bounded. */
  setSummary(summary: RunningSummary): void {
    this.state.summary = summary.text;
    this.state.summaryThroughTurn = summary.throughTurn;
    this.state.summaryLevel = summary.level;
    this.state.recent = this.state.recent.filter((turn) => turn.turn > summary.throughTurn);
  }

  /** Counts a posted message the session dropped as invalid. */
  countDropped(): void {
    this.state.droppedMessages++;
  }

  view(sessionId: string, queued: number, runTurns: number): SessionView {
    return {
      sessionId,
      turnCount: this.state.turnCount,
      summary: this.state.summary,
      recent: this.state.recent,
      queued,
      runTurns,
      droppedMessages: this.state.droppedMessages,
    };
  }
}

/** The planned context without its first system prompt and final instruction: what the turn's task gets as `context`. */
export function contextOf(planned: ChatMessage[]): ChatMessage[] {
  return planned.slice(1, -1);
}
