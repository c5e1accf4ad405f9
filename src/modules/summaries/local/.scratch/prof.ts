import { parseConversation } from '../parse.ts';
import { buildUnits } from '../units.ts';
import { detectLanguage } from '../language.ts';
import { extractTopics } from '../topics.ts';
import { summarizeUnits } from '../summary.ts';
import { detectSentiment } from '../sentiment.ts';
import { extractActionItems } from '../actions.ts';
import { splitSentences } from '../text.ts';
const lines = ["Tom: Hi Anna, did you get a chance to look at the contract?","Anna: Yes, I did. It looks good overall but a few numbers are off.","Tom: Could you send me the updated budget tomorrow?","Anna: Sure, I'll send it next week. I'm still waiting for the final figures from finance.","Tom: I am not happy with the delays, the client has been asking about the report for two weeks :("];
let content=''; while(content.length<2048) content += lines[content.length%5] + '\n';
const N=500; const t:any={};
function time(k:string, f:()=>any){const s=performance.now(); const r=f(); t[k]=(t[k]??0)+performance.now()-s; return r;}
for(let i=0;i<N;i++){
 const conv=time('parse',()=>parseConversation(content));
 const units=time('units',()=>buildUnits(conv));
 const prose=conv.turns.map((x:any)=>x.text).join('\n');
 time('lang',()=>detectLanguage(prose));
 time('topics',()=>extractTopics(units, conv.participants));
 time('summary',()=>summarizeUnits(conv, units, 'concise'));
 time('sentiment',()=>detectSentiment(conv.turns.flatMap((x:any)=>splitSentences(x.text)), prose));
 time('actions',()=>extractActionItems(units));
}
for(const k in t) console.log(k, (t[k]/N).toFixed(3),'ms');
