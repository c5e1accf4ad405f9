import { readFileSync } from 'node:fs';
import { summarizeWith } from '../index.ts';
import { DEFAULT_TUNING } from '../summary.ts';
import { rougeN, rougeTokens, rougeL } from '../eval/rouge.ts';
const data = JSON.parse(readFileSync('/work/shared/eval/samsum-validation.json','utf8'));
const refs = data.map((d:any)=>rougeTokens(d.summary));
function run(t:any){ let r1=0,r2=0,rl=0,len=0; data.forEach((d:any,i:number)=>{const c=rougeTokens(summarizeWith({content:d.dialogue}, t).content); r1+=rougeN(refs[i],c,1).f; r2+=rougeN(refs[i],c,2).f; rl+=rougeL(refs[i],c).f; len+=c.length;}); const n=data.length; return `${(100*r1/n).toFixed(2)} ${(100*r2/n).toFixed(2)} ${(100*rl/n).toFixed(2)} len ${(len/n).toFixed(1)}`; }
const grid = JSON.parse(process.argv[2] ?? '{}');
const keys = Object.keys(grid);
function rec(i:number, t:any){ if(i===keys.length){ console.log(JSON.stringify(Object.fromEntries(keys.map(k=>[k,t[k]]))), run(t)); return; } for(const v of grid[keys[i]]) rec(i+1,{...t,[keys[i]]:v}); }
rec(0, {...DEFAULT_TUNING});
