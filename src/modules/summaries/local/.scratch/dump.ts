import { readFileSync, writeFileSync } from 'node:fs';
import { summarizeLocally } from '../index.ts';
const data = JSON.parse(readFileSync('/work/shared/eval/samsum-validation.json','utf8'));
writeFileSync('/tmp/samsum-out.json', JSON.stringify(data.map((d:any)=>({ref:d.summary, out: summarizeLocally({content:d.dialogue}).content}))));
