#!/usr/bin/env node
// Entry point of the `updraft` command: runs the compiled CLI (npm run build makes dist/).
import '../dist/cli/main.js';
