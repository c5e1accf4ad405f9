import vader from 'vader-sentiment';
const a = 'It looks good overall but a few numbers are off.';
for (const n of [1, 4, 16]) { const s = Array(n).fill(a).join(' '); const t=performance.now(); for(let i=0;i<2000;i++) vader.SentimentIntensityAnalyzer.polarity_scores(s); console.log(n, ((performance.now()-t)/2000*1000).toFixed(1),'us'); }
