import { readFileSync } from 'node:fs';
import { compoundScore } from '../sentiment.ts';
const dir='/work/shared/eval/';
const texts=readFileSync(dir+'tweeteval-sentiment-val-text.txt','utf8').split('\n');
const labels=readFileSync(dir+'tweeteval-sentiment-val-labels.txt','utf8').trim().split('\n').map(Number);
let shown=[0,0,0,0,0,0];
labels.forEach((l,i)=>{const s=compoundScore(texts[i]);const pred=s>=0.35?2:s<=-0.1?0:1; if(pred!==l){const k=l*2+(pred>l?1:0); if(shown[k]++<12) console.log(l,pred,s.toFixed(2),texts[i].slice(0,150));}});
