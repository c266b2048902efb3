import { isAnswerLabel, taskIdOf, type PublishedTaskEvent } from '../contracts/task-events';

/** Where {@link LivePrinter} writes: the answer's text, and whole lines about the steps. */
export interface LivePrinterOutput {
  /** The answer as it is generated (stdout). */
  text(chunk: string): void;
  /** One line about a step, a tool or a subtask (stderr). */
  line(line: string): void;
}

function oneLine(text: string, limit: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

/**
 * Shows a task's events on a terminal as they come: the answer's tokens on stdout (the
 * task's own answer-producing calls), and a line on stderr for each step, tool call, tool
 * result and subtask. A model call retried after a failure says so, and its answer starts
 * over. {@link finish} prints the task's answer when the stream did not already show it all.
 */
export class LivePrinter {
  private readonly labels = new Map<string, string>();
  private readonly attempts = new Map<string, number>();
  /** Text shown per call attempt (`callId#attempt`). */
  private readonly shown = new Map<string, string>();
  private midLine = false;
  private lastAnswer: { key: string; text: string } | undefined;

  constructor(private readonly output: LivePrinterOutput) {}

  /** Shows one event. */
  handle(event: PublishedTaskEvent): void {
    const where = taskIdOf(event.workflowId) === event.workflowId ? '' : `[${event.workflowId.split('/').at(-1)}] `;
    switch (event.type) {
      case 'step': {
        const previous = this.attempts.get(event.callId);
        this.labels.set(event.callId, event.label);
        this.attempts.set(event.callId, event.attempt);
        if (previous !== undefined && previous < event.attempt) {
          const cut = this.shown.has(`${event.callId}#${previous}`) ? ': its answer starts over' : '';
          this.say(`  ↻ ${where}${event.label} retried (attempt ${event.attempt})${cut}`);
        } else {
          this.say(`  · ${where}${event.label} · ${event.model}${event.tier === undefined ? '' : ` (${event.tier})`}`);
        }
        return;
      }
      case 'token': {
        const label = this.labels.get(event.callId);
        const isAnswer = where === '' && (label === undefined || isAnswerLabel(label));
        // A late token of an attempt already superseded is not shown.
        if (!isAnswer || (this.attempts.get(event.callId) ?? event.attempt) > event.attempt) return;
        const key = `${event.callId}#${event.attempt}`;
        this.shown.set(key, (this.shown.get(key) ?? '') + event.text);
        this.output.text(event.text);
        this.midLine = !event.text.endsWith('\n');
        return;
      }
      case 'tool':
        if (event.phase === 'call') this.say(`  · ${where}${event.name} ${oneLine(event.arguments, 100)}`);
        else if (event.ok) this.say(`  · ${where}${event.name} → ${oneLine(event.output ?? '', 100)}`);
        else this.say(`  ✗ ${where}${event.name} failed: ${oneLine(event.error?.message ?? 'unknown error', 100)}`);
        return;
      case 'subtask':
        this.say(`  · subtask ${event.subtaskId} ${event.phase}`);
        return;
      case 'answer':
        this.lastAnswer = { key: `${event.callId}#${event.attempt}`, text: event.text };
        return;
    }
  }

  /**
   * Ends the output: a newline after the streamed answer, or the whole answer when the
   * stream did not show exactly it (a note such as "Stopped early", an answer not streamed).
   */
  finish(answer: string | null): void {
    const streamed = this.lastAnswer === undefined ? undefined : this.shown.get(this.lastAnswer.key);
    if (this.midLine) this.output.text('\n');
    this.midLine = false;
    if (answer === null) return;
    if (streamed === undefined || streamed.trim() !== answer.trim()) {
      if (streamed !== undefined) this.output.line("  (the task's answer:)");
      this.output.text(`${answer}\n`);
    }
  }

  private say(line: string): void {
    if (this.midLine) this.output.text('\n');
    this.midLine = false;
    this.output.line(line);
  }
}
