#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so there is no build step to forget.
require('tsx/cjs');
void require('../src/client/cli.ts').main();
