import { summarizeLocally } from '../index.ts';
const chat = `Tom: Hi Anna, did you get a chance to look at the pricing for the enterprise plan?
Anna: Yes, I did. The pricing looks a bit high for our budget though.
Tom: I understand. Could you send me the budget numbers so I can check with finance?
Anna: Sure, I'll send the budget numbers tomorrow morning.
Tom: Great. Let's schedule a demo with your team next week.
Anna: Sounds good, I'll invite Mark and Julia to the demo.`;
const wa = `12/01/2024, 10:15 - Tom: hi, are we still on for dinner tonight?
12/01/2024, 10:16 - Messages and calls are end-to-end encrypted.
12/01/2024, 10:17 - Sara: yes! I booked a table at Luigi's for 8pm
12/01/2024, 10:18 - Tom: perfect, I'll pick you up at 7:30 😊
12/01/2024, 10:20 - Sara: <Media omitted>`;
const email = `From: Laura Smith <laura@acme.com>
Sent: Monday, March 4, 2024 9:12 AM
To: Peter Jones
Subject: Re: Contract renewal

Hi Peter,

Thanks for the update. Unfortunately the delivery was late again and the invoice is wrong. Please send a corrected invoice by Friday.
I will review the renewal terms with our legal team this week.

Best regards,
Laura
Head of Procurement | Acme

On Fri, Mar 1, 2024 at 5:00 PM Peter Jones <peter@vendor.com> wrote:
> Hi Laura, the shipment is on its way and we would love to discuss the renewal of the banana contract.
> Cheers, Peter`;
const notes = `Weekly marketing sync
- Q3 campaign launch moved to September because the landing page is not ready
- Budget for paid social approved
- Action: Maria to finalize the landing page copy
- TODO: schedule a review with the design agency
- Ben will share the analytics report by Thursday`;
const es = `Hola equipo, mañana tenemos la reunión con el cliente para revisar el presupuesto. Por favor, envíen sus comentarios antes de las diez. Gracias.`;
const de = `Anna: Hallo Tom, kannst du mir bitte die Preisliste schicken?\nTom: Ja klar, ich schicke sie dir morgen früh.`;
for (const [name, content, source] of [['chat',chat],['wa',wa,'whatsapp'],['email',email,'email'],['notes',notes],['es',es],['de',de],['short','ok'],['empty','']] as const) {
  for (const style of ['concise','bullet_points','detailed'] as const) {
    if (style!=='concise' && name!=='chat') continue;
    console.log(`\n=== ${name} ${style}`); console.log(JSON.stringify(summarizeLocally({ content, source: source as any, style }), null, 1));
  }
}
