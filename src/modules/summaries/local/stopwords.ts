// Function words of a few common languages, so that topics of non-English conversations are not "die"
// and "que". Hand-written from general knowledge of each language; English lives in text.ts.
const LISTS: Record<string, string> = {
  de:
    'der die das den dem des ein eine einen einem einer eines und oder aber doch nicht kein keine ich du er sie es ' +
    'wir ihr mich dich sich mir dir uns euch ihm ihn ihnen mein dein sein unser euer ist sind war waren bin bist ' +
    'hat habe hast haben hatte wird werden wurde kann können muss müssen soll sollen will wollen mit von zu zum zur ' +
    'auf aus bei nach für über unter vor im in an am als wie wenn dass ob auch noch schon nur sehr so ja nein bitte ' +
    'danke hallo hi klar gut mal dann denn hier da was wer wo wann warum heute morgen gestern alles etwas',
  es:
    'el la los las un una unos unas y o pero no ni que de del al a en con por para sin sobre entre yo tú él ella ' +
    'nosotros vosotros ellos ellas me te se nos os le les lo mi tu su nuestro es son era eran soy eres somos está ' +
    'están estoy estás ha han he has hay fue ser estar tener tengo tiene tenemos muy más menos ya también sí hola ' +
    'gracias por favor bien como cuando donde qué quién esto eso este esta ese esa hoy mañana ayer todo nada algo',
  fr:
    'le la les un une des et ou mais ne pas non que qui de du au aux à en dans avec pour sans sur sous par je tu il ' +
    'elle nous vous ils elles me te se lui leur mon ton son ma ta sa mes tes ses notre votre est sont était suis es ' +
    'sommes êtes ai as avons avez ont fait très plus moins déjà aussi oui bonjour salut merci bien comme quand où ' +
    'quoi ce cette ces cet ça aujourd hui demain hier tout rien quelque',
  it:
    'il lo la i gli le un uno una e o ma non che di del della dei delle a al alla da in con per su tra fra io tu ' +
    'lui lei noi voi loro mi ti si ci vi gli mio tuo suo nostro è sono era erano sei siamo siete ho hai ha abbiamo ' +
    'avete hanno molto più meno già anche sì ciao grazie bene come quando dove cosa questo questa quello oggi domani ieri tutto niente',
  pt:
    'o a os as um uma uns umas e ou mas não que de do da dos das em no na nos nas com por para sem sobre eu tu ele ' +
    'ela nós vós eles elas me te se lhe meu teu seu nosso é são era eram sou és somos está estão estou tem tenho ' +
    'temos muito mais menos já também sim olá oi obrigado obrigada bem como quando onde isso isto este esta hoje amanhã ontem tudo nada',
  nl:
    'de het een en of maar niet geen dat die dit van voor met op in aan bij naar uit over om te ik jij je hij zij ' +
    'ze wij we jullie mij me hem haar ons mijn jouw zijn is ben bent was waren heb hebt heeft hebben had kan kunnen ' +
    'moet moeten wil willen zal zullen ook al nog wel heel erg ja nee hallo hoi dank bedankt goed als wanneer waar wat vandaag morgen gisteren alles niets',
};

const cache = new Map<string, Set<string>>();

export function foreignStopWords(language: string): Set<string> | undefined {
  const list = LISTS[language];
  if (!list) return undefined;
  let set = cache.get(language);
  if (!set) cache.set(language, (set = new Set(list.split(' '))));
  return set;
}
