import { readFileSync } from 'node:fs';
import { prepareForVader } from '../sentiment.ts';
import vader from 'vader-sentiment';
const dir='/work/shared/eval/';
const texts=readFileSync(dir+'tweeteval-sentiment-val-text.txt','utf8').split('\n');
const labels=readFileSync(dir+'tweeteval-sentiment-val-labels.txt','utf8').trim().split('\n').map(Number);
texts.length=labels.length;
const ps=texts.map(t=>vader.SentimentIntensityAnalyzer.polarity_scores(prepareForVader(t)));
function evalScores(name:string, scores:number[]){
function mr(p:number,n:number){const rec=[0,0,0],cnt=[0,0,0];scores.forEach((s,i)=>{const pred=s>=p?2:s<=n?0:1;cnt[labels[i]]++;if(pred===labels[i])rec[labels[i]]++;});return rec.map((r,i)=>r/cnt[i]);}
let best:any=null;
for(let p=-0.2;p<=0.8;p+=0.0125)for(let n=-0.6;n<=p;n+=0.0125){const r=mr(p,n);const m=(r[0]+r[1]+r[2])/3;if(!best||m>best.m)best={p,n,m,r};}
console.log(name, best.p.toFixed(3), best.n.toFixed(3), best.m.toFixed(4), best.r.map((x:number)=>x.toFixed(3)).join(' '));
}
evalScores('compound', ps.map(p=>p.compound));
evalScores('pos-neg', ps.map(p=>p.pos-p.neg));
for (const a of [0.5,1,2]) evalScores('comp+a(pos-neg) '+a, ps.map(p=>p.compound+a*(p.pos-p.neg)));
evalScores('q-damp', ps.map((p,i)=>p.compound*(/\?\s*"?$/.test(texts[i].trim())?0.7:1)));
