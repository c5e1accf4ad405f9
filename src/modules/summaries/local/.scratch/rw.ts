import { toThirdPerson } from '../rewrite.ts';
const cases: [string,string,string?][] = [
 ["I need to stop eating such unhealthy foods.", "Tom", "Ann"],
 ["I know I need to stop eating.", "Tom", "Ann"],
 ["Give me the address of this music shop you mentioned before.", "Robert", "Fred"],
 ["I'll bring you some tomorrow", "Amanda", "Jerry"],
 ["Can you send me the pricing sheet?", "Tom", "Anna"],
 ["We're out of milk, let's buy some", "Keith", "Megan"],
 ["I watched it yesterday and I loved it", "Keith", "Megan"],
 ["Do you have the keys?", "Keith", "Megan"],
 ["What time is the meeting?", "Keith", "Megan"],
 ["Are you coming to the party?", "Keith", undefined],
];
for (const [s, sp, ad] of cases) console.log(s, '=>', toThirdPerson(s, { speaker: sp, addressee: ad }));
