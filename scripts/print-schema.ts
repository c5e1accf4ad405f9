// Writes the committed schema.graphql (sorted). A test fails when it drifts from the code.
import fs from 'node:fs';
import { printedSchema } from '../src/graphql/schema.js';

fs.writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
process.stderr.write('schema.graphql written\n');
