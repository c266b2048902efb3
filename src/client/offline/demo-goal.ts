import path from 'node:path';

/** The goal `chassis demo` runs; the demo script answers it. */
export const DEMO_GOAL = 'What is 17.5% of 2,340, and what time is it in UTC?';

/** The model script the offline model answers with (a test double that knows the demo goal). */
export const DEMO_SCRIPT_PATH = path.join(__dirname, '..', '..', 'testing', 'scripts', 'demo.json');
