#!/usr/bin/env node
// `npx aimychats …`: the operator CLI (src/cli.ts), run through tsx like the server.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
