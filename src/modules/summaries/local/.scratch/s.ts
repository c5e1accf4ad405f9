import { readFileSync } from 'node:fs';
import { compoundScore, prepareForVader } from '../sentiment.ts';
import vader from 'vader-sentiment';
const dir='/work/shared/eval/';
const texts=readFileSync(dir+'tweeteval-sentiment-val-text.txt','utf8').split('\n').filter((_, i, a)=> true);
const labels=readFileSync(dir+'tweeteval-sentiment-val-labels.txt','utf8').trim().split('\n').map(Number);
texts.length=labels.length;
const mode=process.argv[2]??'ours';
const scores=texts.map(t=> mode==='raw'? vader.SentimentIntensityAnalyzer.polarity_scores(t).compound : compoundScore(t));
function mr(p:number,n:number){const rec=[0,0,0],cnt=[0,0,0];scores.forEach((s,i)=>{const pred=s>=p?2:s<=n?0:1;cnt[labels[i]]++;if(pred===labels[i])rec[labels[i]]++;});return rec.map((r,i)=>r/cnt[i]);}
let best:any=null;
for(let p=0;p<=0.8;p+=0.025)for(let n=-0.6;n<=0;n+=0.025){const r=mr(p,n);const m=(r[0]+r[1]+r[2])/3;if(!best||m>best.m)best={p,n,m,r};}
console.log(mode,'default', mr(0.05,-0.05), (mr(0.05,-0.05).reduce((a,b)=>a+b)/3));
console.log(best);
