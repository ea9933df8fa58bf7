/**
 * The rules in other languages than English (rules.ts runs them with the others): per language, an
 * instruction override, a system-prompt extraction and a role switch to an assistant without
 * limits. As in English, an override fires only when its object is the assistant's instructions,
 * rules, prompt, guidelines or persona ("ignore the error message", "forget the umbrella", "don't
 * forget the lab's safety rules" are not one): the object carries a second-person possessive
 * ("your rules") or a word that places it before the conversation ("previous", "original",
 * "system", "the ones you were given"), or ends the clause ("ignore all the instructions."),
 * never a topic of its own ("the rules of chess", "diet rules"). Extraction asks to show, repeat
 * or tell the system prompt or the initial / hidden instructions; a role switch says the assistant
 * is from now on an AI without restrictions, filters or rules.
 *
 * Written from knowledge of each language and tuned on rule-dev-set.ts only. Each rule's hints are
 * the lower-cased verbs and terms one of which its pattern needs, so text in other languages (and
 * English) runs none of them. Word edges are `(?<!\p{L})` / `(?!\p{L})`: `\b` knows ASCII only.
 */
import type { Rule } from "./rules.ts";

export const LANGUAGE_RULES: Rule[] = [
  // Spanish.
  {
    name: "override_multilingual",
    hints: [
      "ignora",
      "ignore todas",
      "ignore todos",
      "ignore las",
      "ignore los",
      "ignore el",
      "ignore la",
      "ignore tus",
      "ignore sus",
      "ignore su",
      "ignore tu",
      "ignore cualquier",
      "ignoren",
      "ignorad",
      "ignorar",
      "olvid",
      "olvíd",
      "descart",
      "desatiend",
      "desobedec",
      "omite",
      "omita",
      "anula",
      "anule",
      "elude",
      "sáltate",
      "saltate",
      "pasa por alto",
      "pase por alto",
      "caso omiso",
      "no hagas caso",
      "no haga caso",
      "no sigas",
      "no siga",
      "no obedezcas",
      "no respetes",
      "no cumplas",
      "no tengas en cuenta",
      "no tomes en cuenta",
      "deja de",
      "deje de",
      "ya no tienes que",
      "ya no tiene que",
      "ya no debes",
      "ya no debe",
      "ya no necesitas",
      "ya no necesita",
      "ya no hace falta",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?<!no )(?:ignora|ignore|ignoren|ignorad|ignorar|olvida|olvide|olviden|olvidad|olvidar|olv[ií]date de|olv[ií]dese de|descarta|descarte|descartar|desatiende|desobedece|omite|omita|anula|anule|elude|s[aá]ltate|pasa por alto|pase por alto|(?:haz|haga|hagan|no hagas|no haga) caso (?:omiso )?(?:a|de|al|del)|no (?:sigas|siga|sigan|obedezcas|respetes|cumplas|tengas en cuenta|tomes en cuenta)(?: m[aá]s)?|dej[ae] de (?:seguir|obedecer|respetar|cumplir)|ya no (?:tienes que|tiene que|debes|debe|necesitas|necesita|hace falta) (?:seguir|obedecer|respetar|cumplir))\s+(?:(?:todas|todos|las|los|el|la|cualquier|cualquiera de|esas|estas|ya|a)\s+){0,2}(?:(?:tus|tu|sus|su|vuestras|vuestros)\s+(?:\p{L}+\s+)?(?:instrucci[oó]n|instrucciones|indicaciones|reglas|normas|directrices|directivas|pautas|consignas|[oó]rdenes|restricciones|limitaciones|filtros|prompt|programaci[oó]n)(?!\p{L})|(?:instrucciones|indicaciones|reglas|normas|directrices|directivas|pautas|consignas|[oó]rdenes|restricciones|limitaciones|prompt|programaci[oó]n)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:y|e|pero|anteriores|previas|previos|iniciales|originales|de arriba|del sistema|de sistema|ocultas|secretas|de antes|recibidas|que (?:te|le|os|se te)|que has recibido)(?!\p{L}))|todo lo (?:anterior|que (?:te|se te|le) (?:dijeron|han dicho|indicaron|ordenaron|programaron|dieron)))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["sistema", "instrucciones", "prompt"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:mu[eé]strame|mu[eé]stranos|muestra|muestre|ens[eé][ñn]ame|dime|revela|rev[eé]lame|imprime|escribe|repite|rep[ií]telas|rep[ií]telo|copia|dame|cu[aá]l es|cu[aá]les son|cu[aá]les eran)(?!\p{L})[^.\n]{0,40}?(?:prompt (?:del|de) sistema|mensaje (?:del|de) sistema|instrucciones (?:del sistema|de sistema|iniciales|originales|ocultas|secretas)|prompt (?:inicial|original|oculto|secreto))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "a partir de ahora",
      "desde ahora",
      "de ahora en adelante",
      "desde este momento",
      "eres ",
      "actúa",
      "actua",
      "compórtate",
      "comportate",
      "finge",
      "ya no eres",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:a partir de ahora|desde ahora|de ahora en adelante|desde este momento|eres|act[uú]a como|comp[oó]rtate como|finge ser)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ia|inteligencia artificial|asistente|modelo|chatbot|bot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})sin (?:ning[uú]n |ninguna |ni )?(?:restricci|filtro|censura|l[ií]mite|regla|limitaci|[eé]tica|moral)|ya no eres (?:un |una )?(?:asistente|ia|modelo))/iu,
  },

  // French.
  {
    name: "override_multilingual",
    hints: [
      "ignore toutes",
      "ignore tous",
      "ignore les",
      "ignore la",
      "ignore le",
      "ignore l'",
      "ignore tes",
      "ignore vos",
      "ignore ton",
      "ignore ta",
      "ignore votre",
      "ignore ces",
      "ignore tout",
      "ignorez",
      "ignorer",
      "oubli",
      "néglig",
      "abstraction",
      "fais fi",
      "faites fi",
      "compte d",
      "ne suis plus",
      "ne suivez plus",
      "ne respecte",
      "cesse de",
      "cessez de",
      "arrête",
      "arrete",
      "contourn",
      "outrepass",
      "passe outre",
      "passez outre",
      "de côté",
      "de cote",
      "écart",
      "ecart",
      "n'as plus",
      "n'avez plus",
      "ne dois plus",
      "ne devez plus",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|n[eé]glige|n[eé]gligez|(?:fais|faites) (?:abstraction|fi) (?:de|des|du|d')|ne (?:tiens|tenez) (?:plus |pas )?compte (?:de|des|du|d')|ne (?:suis|suivez|respecte|respectez) plus|(?:cesse|cessez|arr[eê]te|arr[eê]tez) de (?:suivre|respecter|tenir compte (?:de|des|du))|contourne|contournez|outrepasse|outrepassez|(?:passe|passez) outre (?:à|aux|a)|(?:mets|mettez) de c[oô]t[eé]|[eé]carte|[eé]cartez|(?:tu n'as|vous n'avez) plus (?:besoin de|à|a) (?:suivre|respecter)|(?:tu ne dois|vous ne devez) plus (?:suivre|respecter))\s*(?:(?:toutes|tous|les|la|le|ces|l')\s*){0,2}(?:(?:tes|vos|ton|ta|votre)\s+(?:\p{L}+\s+)?(?:instructions?|consignes?|r[eè]gles|directives|indications|ordres|restrictions|limitations|filtres|prompt|programmation|garde-fous)(?!\p{L})|(?:instructions|consignes|r[eè]gles|directives|indications|ordres|restrictions|prompt|programmation)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:et|mais|puis|pr[eé]c[eé]dentes|pr[eé]c[eé]dents|ant[eé]rieures|initiales|originales|originelles|ci-dessus|du syst[eè]me|syst[eè]me|cach[eé]es|secr[eè]tes|qu'on t'a|qu'on vous a|qui t'ont|qui vous ont|re[çc]ues|donn[eé]es)(?!\p{L}))|tout ce qu(?:'on t'a|'on vous a|i pr[eé]c[eè]de|i est au-dessus))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["système", "systeme", "instructions", "consignes", "prompt"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:affiche|affichez|montre|montrez|r[eé]v[eè]le|r[eé]v[eé]lez|donne-moi|donnez-moi|dis-moi|dites-moi|[eé]cris|[eé]crivez|r[eé]p[eè]te|r[eé]p[eé]tez|recopie|recopiez|imprime|imprimez|cite|citez|quel est|quelle est|quelles sont|quels sont|quelles [eé]taient)(?!\p{L})[^.\n]{0,40}?(?:prompt (?:du |de )?syst[eè]me|message (?:du |de )?syst[eè]me|(?:instructions|consignes) (?:initiales|originales|cach[eé]es|secr[eè]tes|syst[eè]me|du syst[eè]me)|prompt (?:initial|original|cach[eé]|secret))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "partir de maintenant",
      "désormais",
      "desormais",
      "dorénavant",
      "dorenavant",
      "dès maintenant",
      "des maintenant",
      "tu es",
      "vous êtes",
      "vous etes",
      "agis",
      "comporte",
      "fais semblant",
      "n'es plus",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:[àa] partir de maintenant|d[eé]sormais|dor[eé]navant|d[eè]s maintenant|tu es|vous [eê]tes|agis comme|agissez comme|comporte-toi comme|comportez-vous comme|fais semblant d'[eê]tre)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ia|intelligence artificielle|assistant|mod[eè]le|chatbot|bot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})sans (?:aucune |aucun )?(?:restriction|filtre|censure|limite|r[eè]gle|[eé]thique|morale)|tu n'es plus (?:un |une )?(?:assistant|ia|mod[eè]le))/iu,
  },

  // German.
  {
    name: "override_multilingual",
    hints: [
      "ignorier",
      "vergiss",
      "vergesst",
      "vergessen sie",
      "missacht",
      "übergeh",
      "ubergeh",
      "umgeh",
      "verwirf",
      "beachte",
      "befolge",
      "folge",
      "berücksichtige",
      "beruecksichtige",
      "berucksichtige",
      "nicht mehr",
      "nicht länger",
      "nicht langer",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:(?:ignoriere|ignorier|ignoriert|ignorieren sie|vergiss|vergesst|vergessen sie|missachte|missachtet|missachten sie|[uü]bergehe|[uü]bergeh|umgehe|umgeh|verwirf|verwerfen sie)\s+(?:(?:alle|die|den|der|s[aä]mtliche|jegliche|jede)\s+){0,2}(?:(?:deine|deinen|deiner|dein|eure|euren|ihre|ihren)\s+(?:\p{L}+\s+)?(?:anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|richtlinien|vorschriften|einschr[aä]nkungen|beschr[aä]nkungen|filter|prompt|systemprompt|programmierung|leitlinien|direktiven)|(?:vorherigen|vorigen|bisherigen|fr[uü]heren|urspr[uü]nglichen|obigen|anf[aä]nglichen|ersten|alten|geltenden|internen|versteckten|geheimen|vorgegebenen|festgelegten)\s+(?:anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|richtlinien|vorschriften|einschr[aä]nkungen|beschr[aä]nkungen|prompt|programmierung|leitlinien|direktiven)|(?:systemanweisungen|systemprompt|systemregeln)|(?:anweisungen|instruktionen|befehle|regeln|vorgaben|richtlinien|programmierung)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:und|aber|oben|von oben|des systems|die (?:dir|man dir|ihnen) (?:\p{L}+\s+)?(?:gegeben|gesagt|vorgegeben|aufgetragen))(?!\p{L})))(?!\p{L})|(?:vergiss|vergessen sie|ignoriere|ignorieren sie)\s+alles,?\s+(?:was (?:dir|ihnen|man dir) (?:\p{L}+\s+){0,2}(?:gesagt|befohlen|aufgetragen|vorgegeben)|(?:bisherige|vorherige|obige|davor|zuvor|oben)(?!\p{L}))|(?:du musst|sie m[uü]ssen|du brauchst|sie brauchen)\s+(?:dich\s+|sich\s+)?(?:nicht mehr|nicht l[aä]nger)\s+(?:an\s+)?(?:deine|ihre|eure)\s+(?:\p{L}+\s+)?(?:anweisungen|instruktionen|regeln|vorgaben|richtlinien|vorschriften)(?!\p{L})|(?:beachte|befolge|folge|ber[uü]cksichtige|beachten sie|befolgen sie)\s+(?:deine|deinen|deiner|dein|ihre|eure)\s+(?:\p{L}+\s+)?(?:anweisungen|instruktionen|regeln|vorgaben|richtlinien|vorschriften|einschr[aä]nkungen|programmierung)\s+(?:\p{L}+\s+)?nicht(?: mehr)?(?!\p{L}))/iu,
  },
  {
    name: "prompt_extraction",
    hints: [
      "systemprompt",
      "system-prompt",
      "systemnachricht",
      "systemanweisung",
      "anweisungen",
      "instruktionen",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:zeig|zeige|zeigen sie|gib|geben sie|verrate|verraten sie|nenne|nennen sie|wiederhole|wiederholen sie|drucke|schreib|schreibe|was ist|was sind|wie lautet|wie lauten|welche sind)(?!\p{L})[^.\n]{0,40}?(?:system-?prompt|systemnachricht|systemanweisung|(?:urspr[uü]nglichen|anf[aä]nglichen|versteckten|geheimen|ersten|internen) (?:anweisungen|instruktionen|vorgaben|prompt))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "ab sofort",
      "ab jetzt",
      "von nun an",
      "ab diesem moment",
      "du bist",
      "bist du",
      "verhalte",
      "verhalten sie",
      "tu so",
      "kein assistent",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:ab sofort|ab jetzt|von nun an|ab diesem moment|du bist|bist du|verhalte dich (?:wie|als)|verhalten sie sich (?:wie|als)|tu so,? als w[aä]rst du)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ki|ai|k[uü]nstliche intelligenz|assistent|modell|chatbot|bot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})ohne (?:jede |jegliche |irgendwelche )?(?:einschr[aä]nkung|filter|zensur|regeln|grenzen|beschr[aä]nkung|moral|ethik)|du bist (?:jetzt |nun )?kein (?:ki-)?assistent mehr)/iu,
  },

  // Portuguese.
  {
    name: "override_multilingual",
    hints: [
      "ignora",
      "ignore todas",
      "ignore todos",
      "ignore as",
      "ignore os",
      "ignore a",
      "ignore o",
      "ignore suas",
      "ignore seus",
      "ignore sua",
      "ignore seu",
      "ignore quaisquer",
      "ignore qualquer",
      "ignorem",
      "ignorar",
      "esqueç",
      "esquec",
      "desconsider",
      "descart",
      "despre",
      "não siga",
      "nao siga",
      "não obede",
      "nao obede",
      "não respeit",
      "nao respeit",
      "não consider",
      "nao consider",
      "deixe de",
      "pare de",
      "contorne",
      "burle",
      "precisa mais",
      "precisas mais",
      "tem que mais",
      "não tem que",
      "nao tem que",
      "deve mais",
      "deves mais",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?<!n[aã]o )(?:ignore|ignora|ignorem|ignorar|esque[çc]a|esque[çc]am|esquece|desconsidere|desconsidera|desconsiderem|descarte|descarta|despreze|despreza|n[aã]o (?:siga|sigas|sigam|obede[çc]a|obede[çc]as|respeite|respeites|considere)(?: mais)?|(?:deixe|pare) de (?:seguir|obedecer|respeitar|cumprir)|(?:voc[eê] )?n[aã]o (?:precisa|precisas|tem que|tens que|deve|deves) mais (?:seguir|obedecer|respeitar|cumprir)|contorne|burle)\s+(?:(?:todas|todos|as|os|a|o|quaisquer|qualquer|essas|estas|mais)\s+){0,2}(?:(?:suas|seus|tuas|teus|sua|seu|tua|teu)\s+(?:\p{L}+\s+)?(?:instru[çc][õo]es|instru[çc][ãa]o|regras|normas|diretrizes|diretivas|orienta[çc][õo]es|ordens|restri[çc][õo]es|limita[çc][õo]es|filtros|prompt|programa[çc][ãa]o|comandos)(?!\p{L})|(?:instru[çc][õo]es|regras|normas|diretrizes|diretivas|orienta[çc][õo]es|ordens|restri[çc][õo]es|prompt|programa[çc][ãa]o|comandos)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:e|mas|anteriores|pr[eé]vias|iniciais|originais|acima|do sistema|ocultas|secretas|que (?:te|lhe|voc[eê]) (?:deram|foram dadas|recebeu)|recebidas|dadas)(?!\p{L}))|tudo (?:o )?que (?:te|lhe) (?:disseram|foi dito|mandaram))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["sistema", "instruções", "instrucoes", "prompt"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:mostre|mostra|me mostre|mostre-me|revele|revela|diga|diga-me|me diga|imprima|escreva|repita|copie|me d[eê]|qual [eé]|quais s[aã]o|quais eram)(?!\p{L})[^.\n]{0,40}?(?:prompt do sistema|mensagem do sistema|instru[çc][õo]es (?:do sistema|iniciais|originais|ocultas|secretas)|prompt (?:inicial|original|oculto|secreto))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "a partir de agora",
      "de agora em diante",
      "daqui",
      "você",
      "voce",
      "vc é",
      "vc e",
      "tu és",
      "tu es",
      "aja como",
      "atue como",
      "comporte-se",
      "finja",
      "não é mais",
      "nao é mais",
      "nao e mais",
      "não e mais",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:a partir de agora|de agora em diante|daqui (?:em|pra|para) (?:diante|frente)|voc[eê] [eé]|vc [eé]|tu [eé]s|aja como|atue como|comporte-se como|finja ser)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ia|intelig[eê]ncia artificial|assistente|modelo|chatbot|bot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})sem (?:nenhuma |nenhum |qualquer )?(?:restri[çc]|filtro|censura|limite|regra|[eé]tica|moral)|voc[eê] n[aã]o [eé] mais (?:um |uma )?(?:assistente|ia|modelo))/iu,
  },

  // Italian.
  {
    name: "override_multilingual",
    hints: [
      "ignora",
      "ignori",
      "dimentic",
      "trascur",
      "tralasci",
      "tenere conto",
      "tenete conto",
      "tener conto",
      "non seguire",
      "non segui",
      "non rispett",
      "non obbedire",
      "smetti di",
      "bypassa",
      "aggira",
      "scavalca",
      "metti da parte",
      "accantona",
      "devi più",
      "devi piu",
      "deve più",
      "deve piu",
      "bisogno di più",
      "tenuto a più",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:ignora|ignori|ignorate|ignorare|dimentica|dimentichi|dimenticate|dimenticare|trascura|trascurate|tralascia|tralasciate|non (?:tenere|tenete|tener) conto (?:di|delle|dei|degli|del|della)|non (?:seguire|segui|seguite|rispettare|rispettate|obbedire)(?: pi[uù])?(?: (?:a|alle|ai|agli))?|smetti di (?:seguire|rispettare|obbedire (?:a|alle|ai))|non (?:devi|deve|hai bisogno di|sei tenuto a) pi[uù] (?:seguire|rispettare|obbedire a)|bypassa|aggira|scavalca|metti da parte|accantona)\s*(?:(?:tutte|tutti|le|la|il|i|gli|queste|quelle|qualsiasi|ogni|l')\s*){0,2}(?:(?:tue|tuoi|tua|tuo|vostre|vostri|sue|suoi)\s+(?:\p{L}+\s+)?(?:istruzioni|istruzione|regole|norme|direttive|indicazioni|linee guida|restrizioni|limitazioni|filtri|prompt|programmazione|ordini|consegne)(?!\p{L})|(?:istruzioni|regole|norme|direttive|indicazioni|linee guida|restrizioni|prompt|programmazione|ordini|consegne)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:e|ma|precedenti|iniziali|originali|originarie|di sistema|del sistema|sopra|qui sopra|nascoste|segrete|ricevute|che ti (?:sono state date|hanno dato)|date)(?!\p{L}))|tutto (?:quello|ci[oò]) che ti (?:hanno detto|[eè] stato detto))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["sistema", "istruzioni", "prompt"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:mostrami|mostra|mostrate|rivela|rivelami|dimmi|ditemi|stampa|scrivi|ripeti|ripetimi|dammi|copia|qual [eè]|quali sono|quali erano)(?!\p{L})[^.\n]{0,40}?(?:prompt (?:di|del) sistema|messaggio (?:di|del) sistema|istruzioni (?:di sistema|del sistema|iniziali|originali|nascoste|segrete)|prompt (?:iniziale|originale|nascosto|segreto))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "da ora in poi",
      "d'ora in poi",
      "d'ora in avanti",
      "da adesso in poi",
      "da questo momento",
      "sei ",
      "siete",
      "comportati",
      "agisci",
      "fingi",
      "non sei più",
      "non sei piu",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:da ora in poi|d'ora in poi|d'ora in avanti|da adesso in poi|da questo momento|sei|siete|comportati come|agisci come|fingi di essere)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ia|ai|intelligenza artificiale|assistente|modello|chatbot|bot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})senza (?:alcun |alcuna |nessun |nessuna )?(?:restrizion|filtr|censura|limit|regol|etica|morale)|non sei pi[uù] (?:un |una |un')?(?:assistente|ia|modello))/iu,
  },

  // Dutch.
  {
    name: "override_multilingual",
    hints: [
      "negeer",
      "vergeet",
      "geen rekening",
      "houd je niet",
      "hou je niet",
      "volg niet",
      "omzeil",
      "je hoeft",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?<!niet )(?:negeer|negeert|vergeet|(?:houd|hou) geen rekening met|(?:houd|hou) je niet (?:meer )?aan|volg niet(?: meer)?|omzeil)\s+(?:(?:alle|al|de|het|elke|deze)\s+){0,2}(?:(?:je|jouw|uw)\s+(?:\p{L}+\s+)?(?:instructies|instructie|regels|richtlijnen|aanwijzingen|opdrachten|voorschriften|beperkingen|filters|prompt|systeemprompt|programmering)(?!\p{L})|(?:vorige|eerdere|voorgaande|oorspronkelijke|originele|bovenstaande|eerste|interne|verborgen|geheime)\s+(?:instructies|instructie|regels|richtlijnen|aanwijzingen|opdrachten|voorschriften|beperkingen|prompt|programmering)(?!\p{L})|(?:instructies|regels|richtlijnen|aanwijzingen|opdrachten|prompt|systeemprompt)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:en|maar|van het systeem|hierboven|die je (?:hebt )?(?:gekregen|kreeg))(?!\p{L}))|alles wat (?:je|jou|u) (?:\p{L}+\s+){0,2}(?:verteld|gezegd|opgedragen))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["systeemprompt", "systeem-prompt", "systeembericht", "systeeminstructie", "instructies"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:toon|laat|geef|herhaal|vertel|print|schrijf|wat is|wat zijn|wat waren)(?!\p{L})[^.\n]{0,40}?(?:systeem-?prompt|systeembericht|systeeminstructies|(?:oorspronkelijke|eerste|verborgen|geheime|originele) instructies)/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "vanaf nu",
      "van nu af aan",
      "voortaan",
      "je bent",
      "jij bent",
      "ben je",
      "gedraag",
      "doe alsof",
      "geen assistent",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:vanaf nu|van nu af aan|voortaan|je bent|jij bent|ben je|gedraag je als|doe alsof je)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ai|ki|kunstmatige intelligentie|assistent|model|chatbot|bot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})zonder (?:enige |enkele )?(?:beperking|filter|censuur|regel|grens|ethiek|moraal)|je bent geen assistent meer)/iu,
  },

  {
    name: "override_multilingual",
    hints: ["je hoeft"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})je hoeft\s+(?:je|jouw)\s+(?:\p{L}+\s+)?(?:instructies|regels|richtlijnen|opdrachten)\s+niet (?:meer|langer) te (?:volgen|gehoorzamen)/iu,
  },

  // Swedish.
  {
    name: "override_multilingual",
    hints: ["ignorera", "glöm", "strunta", "bortse", "följ inte", "sluta följa", "kringgå"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:ignorera|gl[oö]m|strunta i|bortse fr[aå]n|f[oö]lj inte(?: l[aä]ngre)?|sluta f[oö]lja|kringg[aå])\s+(?:(?:alla|de|den|det)\s+){0,2}(?:(?:dina|din|ditt)\s+(?:\p{L}+\s+)?(?:instruktioner|instruktionerna|regler|reglerna|riktlinjer|riktlinjerna|direktiv|anvisningar|begr[aä]nsningar|filter|prompt|systemprompt|programmering)(?!\p{L})|(?:tidigare|f[oö]reg[aå]ende|ursprungliga|ovanst[aå]ende|f[oö]rsta|dolda|hemliga)\s+(?:instruktioner|instruktionerna|regler|reglerna|riktlinjer|riktlinjerna|direktiv|anvisningar|begr[aä]nsningar|prompt)(?!\p{L})|(?:instruktioner|instruktionerna|regler|reglerna|riktlinjer|riktlinjerna|systemprompt)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:och|men|ovan|som du (?:har )?f[aå]tt)(?!\p{L})))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["systemprompt", "systemmeddelande", "systeminstruktion", "instruktion"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:visa|ge mig|ber[aä]tta|upprepa|skriv ut|skriv|vad [aä]r|vilka [aä]r|vad var)(?!\p{L})[^.\n]{0,40}?(?:systemprompt|systemmeddelande|systeminstruktion|(?:ursprungliga|dolda|hemliga|f[oö]rsta) instruktion)/iu,
  },

  // Russian.
  {
    name: "override_multilingual",
    hints: [
      "игнор",
      "забудь",
      "забыть",
      "не обращай",
      "не слушай",
      "не следуй",
      "не соблюдай",
      "не выполняй",
      "отбрось",
      "отмени",
      "пренебре",
      "обойди",
      "перестань",
      "больше не следуй",
      "больше не нужно",
      "больше не надо",
      "больше не обязательно",
    ],
    weight: 0.85,
    pattern:
      /(?<![\p{L}])(?<!не )(?:игнорируй|игнорируйте|игнорировать|проигнорируй|проигнорируйте|забудь|забудьте|забыть|не обращай(?:те)? внимания на|не слушай(?:те)?|не следуй(?:те)?|не соблюдай(?:те)?|не выполняй(?:те)?|отбрось|отбросьте|отмени|отмените|пренебреги|пренебрегите|обойди|обойдите|перестань(?:те)? (?:следовать|соблюдать|подчиняться|выполнять)|больше не следуй(?:те)?|(?:тебе|вам) больше не (?:нужно|надо|обязательно) (?:следовать|соблюдать|подчиняться|выполнять))\s+(?:(?:все|всё|эти|любые|о|про|всех|всем)\s+){0,2}(?:(?:свои|твои|ваши|свой|твой|ваш|своих|твоих|ваших|своим|твоим|вашим|предыдущие|предыдущих|предыдущим|прежние|прежних|прошлые|прошлых|изначальные|изначальных|исходные|исходных|первоначальные|первоначальных|системные|системных|вышеуказанные|вышеприведённые|вышеприведенные|скрытые|секретные|старые|заданные|данные тебе|данные вам)\s+(?:\p{L}+\s+)?(?:инструкции|инструкций|инструкциям|указания|указаний|указаниям|правила|правил|правилам|установки|установок|установкам|директивы|директив|директивам|ограничения|ограничений|ограничениям|фильтры|промпт|подсказки|команды|команд|командам)|(?:инструкции|инструкций|указания|указаний|правила|правил|установки|директивы|промпт)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:и|а|но|выше|системы|которые (?:тебе|вам) (?:дали|были даны|задали))(?![\p{L}])))(?![\p{L}])/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["системн", "исходн", "первоначальн", "скрыт", "секретн", "изначальн"],
    weight: 0.85,
    pattern:
      /(?<![\p{L}])(?:покажи|покажите|выведи|выведите|напиши|напишите|повтори|повторите|раскрой|раскройте|скажи|скажите|дай|дайте|распечатай|процитируй|какой|какие|каков|каковы|что такое)(?![\p{L}])[^.\n]{0,40}?(?:системн\p{L}{0,4} (?:промпт|подсказк|инструкци|сообщени|запрос)|(?:исходн|первоначальн|скрыт|секретн|изначальн)\p{L}{0,4} (?:инструкци|указани|промпт))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "с этого момента",
      "отныне",
      "теперь ты",
      "теперь вы",
      "ты ",
      "вы ",
      "будь",
      "веди себя",
      "притворись",
      "больше не",
    ],
    weight: 0.8,
    pattern:
      /(?<![\p{L}])(?:(?:с этого момента|отныне|теперь ты|теперь вы|ты|вы|будь|веди себя как|притворись)(?![\p{L}])[^.\n]{0,50}?(?<![\p{L}])(?:ии|ai|искусственн\p{L}{0,4} интеллект|ассистент|модель|чат-?бот|бот)(?![\p{L}])[^.\n]{0,20}?(?<![\p{L}])без (?:каких-либо |всяких |любых )?(?:ограничени|фильтр|цензур|правил|морал|этик)|ты больше не (?:ассистент|помощник|ии))/iu,
  },

  // Ukrainian.
  {
    name: "override_multilingual",
    hints: [
      "ігнор",
      "забудь",
      "не зважай",
      "не звертай",
      "не дотримуй",
      "не виконуй",
      "відкинь",
      "обійди",
      "перестань",
    ],
    weight: 0.85,
    pattern:
      /(?<![\p{L}])(?<!не )(?:ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|не зважай(?:те)? на|не звертай(?:те)? уваги на|не дотримуйся|не дотримуйтесь|не виконуй(?:те)?|відкинь|відкиньте|обійди|обійдіть|перестань(?:те)? (?:дотримуватися|виконувати))\s+(?:(?:усі|всі|ці|будь-які|про)\s+){0,2}(?:(?:свої|твої|ваші|своїх|твоїх|ваших|попередні|попередніх|початкові|системні|вищенаведені|приховані|секретні|старі)\s+(?:\p{L}+\s+)?(?:інструкції|інструкцій|вказівки|вказівок|правила|правил|настанови|директиви|обмеження|фільтри|промпт|команди)|(?:інструкції|інструкцій|вказівки|правила|настанови|промпт)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:і|й|та|але|вище|системи)(?![\p{L}])))(?![\p{L}])/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["системн", "початков", "прихован", "секретн", "оригінальн"],
    weight: 0.85,
    pattern:
      /(?<![\p{L}])(?:покажи|покажіть|виведи|виведіть|напиши|повтори|розкрий|скажи|дай|який|яка|які)(?![\p{L}])[^.\n]{0,40}?(?:системн\p{L}{0,4} (?:промпт|підказк|інструкці|повідомлен)|(?:початков|прихован|секретн|оригінальн)\p{L}{0,4} (?:інструкці|вказівк|промпт))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "відтепер",
      "від цього моменту",
      "тепер ти",
      "ти штучн",
      "ти ші",
      "ти ai",
      "ти асистент",
      "ти модель",
      "ти бот",
      "ти чат",
      "будь ",
      "поводься",
      "удавай",
      "більше не",
    ],
    weight: 0.8,
    pattern:
      /(?<![\p{L}])(?:(?:відтепер|від цього моменту|тепер ти|ти|будь|поводься як|удавай)(?![\p{L}])[^.\n]{0,50}?(?<![\p{L}])(?:ші|ai|штучн\p{L}{0,4} інтелект|асистент|модель|чат-?бот|бот)(?![\p{L}])[^.\n]{0,20}?(?<![\p{L}])без (?:жодних |будь-яких )?(?:обмежен|фільтр|цензур|правил|морал|етик)|ти більше не (?:асистент|помічник))/iu,
  },

  // Polish.
  {
    name: "override_multilingual",
    hints: [
      "ignoruj",
      "zapomnij",
      "pomiń",
      "pomin",
      "nie przestrzegaj",
      "nie stosuj",
      "nie słuchaj",
      "nie sluchaj",
      "przestań",
      "przestan",
      "odrzuć",
      "odrzuc",
      "obejdź",
      "obejdz",
      "nie zwracaj uwagi",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?<!nie )(?:zignoruj|zignorujcie|ignoruj|ignorujcie|zapomnij|zapomnijcie|pomi[ńn]|nie przestrzegaj|nie stosuj si[ęe] do|nie s[łl]uchaj|przesta[ńn] (?:przestrzega[ćc]|stosowa[ćc] si[ęe] do|s[łl]ucha[ćc])|odrzu[ćc]|obejd[źz]|nie zwracaj uwagi na)\s+(?:(?:wszystkie|wszystkich|o|te|tych)\s+){0,2}(?:(?:swoje|twoje|wasze|swoich|twoich|waszych|poprzednie|poprzednich|wcze[śs]niejsze|wcze[śs]niejszych|pocz[ąa]tkowe|oryginalne|systemowe|powy[żz]sze|ukryte|tajne|dotychczasowe|dotychczasowych)\s+(?:\p{L}+\s+)?(?:instrukcje|instrukcji|instrukcjach|polecenia|polece[ńn]|zasady|zasadach|zasad|regu[łl]y|regu[łl]ach|regu[łl]|wytyczne|wytycznych|ograniczenia|ogranicze[ńn]|filtry|prompt|prompta|promptu)|(?:instrukcje|polecenia|zasady|regu[łl]y|wytyczne|prompt)(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:i|a|ale|powy[żz]ej|systemu|kt[óo]re (?:ci|wam) (?:dano|podano))(?!\p{L})))(?!\p{L})/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["systemow", "instrukcje"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:poka[żz]|wy[śs]wietl|podaj|napisz|powt[óo]rz|ujawnij|wypisz|jaki jest|jakie s[ąa]|zdrad[źz])(?!\p{L})[^.\n]{0,40}?(?:prompt\p{L}{0,2} systemow\p{L}{0,3}|systemow\p{L}{0,3} prompt|(?:pocz[ąa]tkowe|oryginalne|ukryte|tajne|systemowe) instrukcje|instrukcje systemowe)/iu,
  },
  {
    name: "jailbreak",
    hints: ["od teraz", "od tej chwili", "od tego momentu", "odtąd", "jesteś", "bądź", "zachowuj", "udawaj"],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:od teraz|od tej chwili|od tego momentu|odt[ąa]d|jeste[śs]|b[ąa]d[źz]|zachowuj si[ęe] jak|udawaj)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ai|si|sztuczn\p{L}{0,3} inteligencj\p{L}{0,2}|asystent\p{L}{0,3}|model\p{L}{0,3}|chatbot\p{L}{0,3}|bot\p{L}{0,3})(?!\p{L})[^.\n]{0,20}?(?<!\p{L})bez (?:[żz]adnych |jakichkolwiek )?(?:ogranicze|filtr|cenzur|zasad|regu|etyk|moraln)|nie jeste[śs] ju[żz] asystentem)/iu,
  },

  // Turkish: the object comes first, the verb (imperative) last.
  {
    name: "override_multilingual",
    hints: [
      "yok say",
      "görmezden",
      "unut",
      "dikkate alma",
      "umursama",
      "uyma",
      "boş ver",
      "boşver",
      "geçersiz say",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:(?:önceki|yukarıdaki|sana verilen|verilen|orijinal|ilk|sistem|tüm|bütün|gizli|mevcut|eski)\s+(?:\p{L}+\s+)?(?:talimat|kural|yönerge|komut|direktif|kısıtlama|filtre|istem|ilke)\p{L}{0,8}|(?:talimat|kural|yönerge|komut|direktif|kısıtlama|filtre|istem|ilke)(?:lar|ler)?(?:ını|ini|unu|ünü|ına|ine|a|e))\s+(?:\p{L}+\s+){0,2}?(?:yok say|görmezden gel|unut|dikkate alma|umursama|uyma|boş ?ver|geçersiz say)(?:ın|in|un|ün|yın|yin)?(?!\p{L})/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["sistem", "talimat", "istem"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:sistem (?:istem|komut|talimat|mesaj|prompt)|(?:ilk|orijinal|gizli|başlangıç) (?:talimat|istem|prompt))\p{L}{0,8}[^.\n]{0,40}?(?<!\p{L})(?:göster|yaz|söyle|paylaş|tekrarla|ver|açıkla|ifşa et|nedir|neydi|nelerdir)/iu,
  },
  {
    name: "jailbreak",
    hints: ["kısıtlama", "sınır", "filtre", "kural", "sansür"],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:bundan sonra|bundan böyle|şu andan itibaren|artık|sen)(?!\p{L})[^.\n]{0,40}?(?:(?:kısıtlama|sınır|filtre|kural|sansür|etik)\p{L}{0,4}\s+(?:olmayan|yok)|(?:kısıtlama|sınır|filtre|kural|sansür)s[ıi]z)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})(?:yapay zeka|ai|asistan|model|bot)/iu,
  },

  // Arabic.
  {
    name: "override_multilingual",
    hints: ["تجاهل", "انس", "لا تتبع", "لا تلتزم", "تخط", "تجاوز", "أهمل", "اهمل"],
    weight: 0.85,
    pattern:
      /(?<![\p{L}\p{M}])(?:و|ف)?(?:تجاهل|تجاهلي|تجاهلوا|انس|انسَ|انسى|انسي|لا تتبع|لا تلتزم ب|لا تلتزمي ب|تخطَّ|تخط|تجاوز|أهمل|اهمل)\s+(?:(?:جميع|كل|هذه)\s+)?(?:(?:تعليماتك|قواعدك|إرشاداتك|ارشاداتك|أوامرك|قيودك|توجيهاتك)|(?:التعليمات|تعليمات|القواعد|الإرشادات|الارشادات|الأوامر|القيود|التوجيهات|موجه النظام)(?=\s*(?:[.,،؛:!?؟\n]|$)|\s+(?:و|السابقة|الأصلية|الأولية|أعلاه|الخاصة بك|النظام|السرية|المخفية|التي (?:أعطيت|تلقيت|أعطيتها))))/u,
  },
  {
    name: "prompt_extraction",
    hints: ["النظام", "تعليماتك"],
    weight: 0.85,
    pattern:
      /(?<![\p{L}\p{M}])(?:اعرض|أعرض|أظهر|اظهر|اكتب|كرر|اكشف|أعطني|اعطني|ما هو|ما هي|أرني|ارني|اطبع)[^.\n]{0,40}?(?:موجه النظام|موجّه النظام|تعليمات النظام|رسالة النظام|(?:تعليماتك|التعليمات) (?:الأصلية|الأولية|السرية|المخفية))/u,
  },
  {
    name: "jailbreak",
    hints: ["من الآن", "ابتداء", "أنت", "انت", "تصرف", "تظاهر"],
    weight: 0.8,
    pattern:
      /(?<![\p{L}\p{M}])(?:من الآن|ابتداء من الآن|أنت|انت|تصرف ك|تظاهر)[^.\n]{0,50}?(?:ذكاء اصطناعي|مساعد|نموذج|روبوت|بوت|ai)[^.\n]{0,20}?(?:بلا|بدون|دون) (?:أي )?(?:قيود|حدود|فلاتر|رقابة|قواعد|فلتر)/iu,
  },

  // Chinese (simplified and traditional): the assistant's instructions (previous, above, all, yours,
  // the system's) as the object of ignore / forget / stop following; "don't forget" is no override.
  {
    name: "override_multilingual",
    hints: [
      "忽略",
      "无视",
      "無視",
      "忘记",
      "忘記",
      "忘掉",
      "不要理",
      "不要遵守",
      "不再遵守",
      "别管",
      "別管",
      "抛开",
      "拋開",
      "跳过",
      "跳過",
      "绕过",
      "繞過",
      "放弃",
      "放棄",
      "丢弃",
      "不用遵守",
      "无需遵守",
      "不必遵守",
    ],
    weight: 0.85,
    pattern:
      /(?<!不要|不|别|別|勿|莫)(?:忽略|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不要遵守|不再遵守|别管|別管|抛开|拋開|跳过|跳過|绕过|繞過|放弃|放棄|丢弃|不用遵守|无需遵守|不必遵守)[^。！？\n]{0,8}?(?:之前|以前|先前|上面|上述|以上|所有|全部|一切|你的|您的|你|系统|系統|原始|原来|原來|初始|最初|给你的|給你的|安全)[^。！？\n]{0,8}?(?:指令|指示|说明|說明|提示词|提示詞|提示|规则|規則|规定|規定|限制|准则|準則|约束|約束|命令|守则|守則|设定|設定)/u,
  },
  {
    name: "prompt_extraction",
    hints: [
      "系统提示",
      "系統提示",
      "系统指令",
      "系統指令",
      "系统消息",
      "系統訊息",
      "初始指令",
      "原始指令",
      "隐藏指令",
      "隱藏指令",
      "初始提示",
      "系统设定",
      "系統設定",
    ],
    weight: 0.85,
    pattern:
      /(?:显示|顯示|展示|输出|輸出|告诉我|告訴我|打印|重复|重複|给我看|給我看|透露|泄露|洩露|说出|說出|列出)[^。！？\n]{0,15}?(?:系统提示|系統提示|系统指令|系統指令|系统消息|系統訊息|初始指令|原始指令|隐藏指令|隱藏指令|初始提示|系统设定|系統設定)|(?:系统提示|系統提示|系统指令|系統指令|系统消息|系統訊息|初始指令|原始指令|隐藏指令|隱藏指令|初始提示|系统设定|系統設定)[^。！？\n]{0,15}?(?:显示|顯示|输出|輸出|告诉|告訴|是什么|是什麼|打印|透露|泄露|洩露|写出|寫出|说出|說出|发给|發給)/u,
  },
  {
    name: "jailbreak",
    hints: [
      "从现在",
      "從現在",
      "今后",
      "今後",
      "你现在",
      "你現在",
      "你是",
      "您是",
      "扮演",
      "假装",
      "假裝",
      "成为",
      "成為",
    ],
    weight: 0.8,
    pattern:
      /(?:从现在|從現在|今后|今後|你现在|你現在|你是|您是|扮演|假装|假裝|成为|成為)[^。！？\n]{0,20}?(?:没有任何限制|沒有任何限制|没有限制|沒有限制|不受任何限制|不受限制|无限制|無限制|没有任何过滤|沒有任何過濾|没有过滤|不受约束|不受約束|没有任何规则|沒有任何規則|没有规则|沒有規則|无审查|無審查|没有道德|沒有道德)/u,
  },

  // Japanese.
  {
    name: "override_multilingual",
    hints: ["無視", "忘れ", "破棄", "従わな", "守らな"],
    weight: 0.85,
    pattern:
      /(?:以前|前|上記|これまで|最初|元|既存|全て|すべて|あなた|システム|初期|今まで)の?[^。！？\n]{0,10}?(?:指示|命令|ルール|規則|指令|制約|制限|プロンプト|ガイドライン)[^。！？\n]{0,10}?(?:無視して|無視しろ|無視せよ|無視しなさい|無視する|忘れて(?!しまい)|忘れろ|忘れなさい|破棄して|従わないで|守らないで)/u,
  },
  {
    name: "prompt_extraction",
    hints: ["システムプロンプト", "システムメッセージ", "指示"],
    weight: 0.85,
    pattern:
      /(?:システムプロンプト|システムメッセージ|初期の?指示|元の指示|最初の指示|隠された指示|秘密の指示|あなたへの指示)[^。！？\n]{0,20}?(?:表示|教えて|見せて|出力|繰り返|書いて|開示|暴露|言って|示して|は何)/u,
  },
  {
    name: "jailbreak",
    hints: ["今から", "これから", "今後", "以後", "あなた", "君は", "君が", "お前"],
    weight: 0.8,
    pattern:
      /(?:今から|これから|今後|以後)[^。！？\n]{0,20}?(?:制限|フィルター|ルール|規則|検閲|倫理)(?:の|が)?(?:一切)?(?:ない|なし|無い|無し|から解放)|(?:あなた|君|お前)[^。！？\n]{0,20}?(?:制限|フィルター|ルール|規則|検閲|倫理)(?:の|が)?(?:一切)?(?:ない|なし|無い|無し|から解放)[^。！？\n]{0,6}?(?:ai|ＡＩ|人工知能|アシスタント|モデル|ボット|存在)/iu,
  },

  // Korean.
  {
    name: "override_multilingual",
    hints: ["무시", "잊어", "잊고", "잊으", "따르지 마", "따르지 말"],
    weight: 0.85,
    pattern:
      /(?:이전|앞의|위의|기존|원래|초기|모든|너의|당신의|시스템)[^.!?\n]{0,10}?(?:지시|지침|명령|규칙|규정|프롬프트|제한|가이드라인)[^.!?\n]{0,10}?(?:무시|잊어|잊고|잊으|따르지 마|따르지 말)/u,
  },
  {
    name: "prompt_extraction",
    hints: ["시스템", "지시"],
    weight: 0.85,
    pattern:
      /(?:시스템 ?프롬프트|시스템 ?메시지|초기 ?지시|원래 ?지시|숨겨진 ?지시|비밀 ?지시)[^.!?\n]{0,20}?(?:보여|알려|출력|반복|공개|말해|적어|써)/u,
  },
  {
    name: "jailbreak",
    hints: ["지금부터", "이제부터", "앞으로", "너는", "너의", "넌 ", "당신"],
    weight: 0.8,
    pattern:
      /(?:지금부터|이제부터|앞으로)[^.!?\n]{0,25}?(?:제한|필터|규칙|검열|윤리)(?:이|가)? ?(?:전혀 |아무런 |하나도 )?(?:없는|없이|없어)|(?:너는|넌|당신은|너의)[^.!?\n]{0,25}?(?:제한|필터|규칙|검열|윤리)(?:이|가)? ?(?:전혀 |아무런 |하나도 )?(?:없는|없이|없어)[^.!?\n]{0,6}?(?:ai|인공지능|어시스턴트|비서|모델|봇|챗봇)/iu,
  },

  // Hindi.
  {
    name: "override_multilingual",
    hints: ["अनदेखा", "नज़रअंदाज़", "नजरअंदाज", "भूल जा", "मत मानो", "न मानें", "पालन मत", "पालन न"],
    weight: 0.85,
    pattern:
      /(?:पिछले|पिछली|पहले के|ऊपर के|ऊपर दिए|सभी|सारे|अपने|अपनी|तुम्हारे|तुम्हारी|आपके|आपकी|मूल|सिस्टम)[^।.\n]{0,20}?(?:निर्देश|नियम|आदेश|दिशानिर्देश|दिशा-निर्देश|प्रतिबंध|प्रॉम्प्ट|हिदायत)[^।.\n]{0,15}?(?:अनदेखा कर|नज़रअंदाज़|नजरअंदाज|भूल जा|मत मानो|न मानें|का पालन मत|का पालन न)/u,
  },
  {
    name: "prompt_extraction",
    hints: ["सिस्टम", "निर्देश"],
    weight: 0.85,
    pattern:
      /(?:सिस्टम प्रॉम्प्ट|सिस्टम प्रोम्प्ट|सिस्टम संदेश|सिस्टम निर्देश|मूल निर्देश|प्रारंभिक निर्देश|छिपे हुए निर्देश|गुप्त निर्देश)[^।\n]{0,25}?(?:दिखा|बता|लिख|दोहरा|प्रकट|साझा)/u,
  },
  {
    name: "jailbreak",
    hints: ["अब से", "आज से", "तुम", "आप"],
    weight: 0.8,
    pattern:
      /(?:अब से|आज से)[^।\n]{0,40}?(?:बिना (?:किसी )?(?:प्रतिबंध|नियम|फ़िल्टर|फिल्टर|सीमा|रोक)|(?:प्रतिबंधों|नियमों|प्रतिबंध|नियम) से मुक्त)|(?:तुम|आप)[^।\n]{0,40}?(?:बिना (?:किसी )?(?:प्रतिबंध|नियम|फ़िल्टर|फिल्टर|सीमा|रोक)|(?:प्रतिबंधों|नियमों|प्रतिबंध|नियम) से मुक्त)[^।\n]{0,30}?(?:ai|एआई|सहायक|मॉडल|बॉट)/iu,
  },

  // Vietnamese.
  {
    name: "override_multilingual",
    hints: [
      "bỏ qua",
      "phớt lờ",
      "lờ đi",
      "quên",
      "đừng làm theo",
      "đừng tuân",
      "làm theo nữa",
      "tuân theo nữa",
      "tuân thủ nữa",
      "ngừng",
      "bất chấp",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?<!đừng |không )(?:bỏ qua|phớt lờ|lờ đi|quên đi|quên|đừng (?:làm theo|tuân theo|tuân thủ)|ngừng (?:làm theo|tuân theo|tuân thủ)|bất chấp)\s+(?:(?:tất cả|mọi|toàn bộ|hết|các|những)\s+){0,3}(?:hướng dẫn|chỉ dẫn|chỉ thị|quy tắc|luật lệ|nguyên tắc|mệnh lệnh|giới hạn|hạn chế|bộ lọc|lời nhắc|prompt|quy định)(?=\s+(?:trước đó|trước(?! khi)|ở trên|phía trên|ban đầu|gốc|của bạn|của hệ thống|hệ thống|được giao|đã được|cũ)(?!\p{L})|\s*(?:[.,;:!?\n]|$)|\s+(?:và|rồi|đi)(?!\p{L}))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["hệ thống", "ban đầu", "bí mật"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:hiển thị|cho (?:tôi|mình) (?:xem|biết)|in ra|viết ra|lặp lại|tiết lộ|nói|đưa|cung cấp)(?!\p{L})[^.\n]{0,40}?(?:lời nhắc hệ thống|prompt hệ thống|chỉ dẫn hệ thống|hướng dẫn hệ thống|thông điệp hệ thống|(?:hướng dẫn|chỉ dẫn|chỉ thị) (?:ban đầu|gốc|ẩn|bí mật))/iu,
  },
  {
    name: "jailbreak",
    hints: ["bạn", "mày", "cậu"],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:bạn|mày|cậu)(?!\p{L})[^.\n]{0,30}?(?<!\p{L})(?:ai|trí tuệ nhân tạo|trợ lý|mô hình|bot|chatbot)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})(?:không (?:có |còn )?(?:bất kỳ |bất cứ |một )?(?:giới hạn|bộ lọc|hạn chế|quy tắc|kiểm duyệt|ràng buộc)|vô hạn chế)/iu,
  },

  // Indonesian (and Malay).
  {
    name: "override_multilingual",
    hints: [
      "abaikan",
      "acuhkan",
      "lupakan",
      "jangan ikuti",
      "jangan patuhi",
      "jangan taati",
      "usah mengikuti",
      "perlu mengikuti",
      "usah mematuhi",
      "perlu mematuhi",
      "berhenti mengikuti",
      "berhenti mematuhi",
      "langgar",
      "lewati",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?<!jangan |tidak )(?:abaikan|acuhkan|lupakan|jangan (?:ikuti|patuhi|taati)|tidak (?:usah|perlu) (?:mengikuti|mematuhi)|berhenti (?:mengikuti|mematuhi)|langgar|lewati)\s+(?:(?:semua|seluruh|segala|setiap)\s+){0,2}(?:(?:instruksi|petunjuk|aturan|peraturan|perintah|pedoman|arahan|batasan|prompt)mu|(?:instruksi|petunjuk|aturan|peraturan|perintah|pedoman|arahan|batasan|prompt)(?=\s*(?:[.,;:!?\n]|$)|\s+(?:sebelumnya|di atas|awal|asli|sistem|kamu|anda|yang (?:diberikan|telah|sudah)|dan|kemudian)(?!\p{L})))/iu,
  },
  {
    name: "prompt_extraction",
    hints: ["sistem", "instruksi", "petunjuk", "perintah"],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:tampilkan|tunjukkan|perlihatkan|berikan|beri tahu|beritahu|ulangi|cetak|tuliskan|ungkapkan|apa)(?!\p{L})[^.\n]{0,40}?(?:prompt sistem|pesan sistem|instruksi sistem|(?:instruksi|petunjuk|perintah) (?:awal|asli|tersembunyi|rahasia))/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "mulai sekarang",
      "mulai saat",
      "mulai detik",
      "mulai dari",
      "kamu adalah",
      "anda adalah",
      "bertindaklah",
      "berpura",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:mulai (?:sekarang|saat ini|detik ini)|mulai dari sekarang|kamu adalah|anda adalah|bertindaklah sebagai|berpura-puralah)(?!\p{L})[^.\n]{0,50}?(?<!\p{L})(?:ai|asisten|model|bot|kecerdasan buatan)(?!\p{L})[^.\n]{0,20}?(?<!\p{L})(?:tanpa (?:ada )?(?:batasan|filter|sensor|aturan|batas|etika|moral)|tidak (?:punya|memiliki|ada) (?:batasan|filter|aturan))/iu,
  },

  // Role play without limits ("pretend you have no rules"), a developer mode said to be on, and
  // "repeat the text above", in the languages above (the second batch of rule-dev-set.ts). The
  // rules' noun must end the clause or be followed by a conjunction: "imagine you have no budget
  // limits", "pretend you are not scared" are not one.
  {
    name: "jailbreak",
    hints: [
      "finge",
      "finja",
      "imagina",
      "imagine",
      "haz como si",
      "haga como si",
      "como si",
      "comme si",
      "fais semblant",
      "tu so",
      "tun sie so",
      "stell dir vor",
      "stellen sie sich vor",
      "faça de conta",
      "fai finta",
      "fate finta",
      "immagina",
      "fingi",
      "doe alsof",
      "stel je voor",
      "beeld je in",
      "udawaj",
      "wyobraź",
      "wyobraz",
      "yokmuş gibi",
      "giả vờ",
      "giả sử",
      "tưởng tượng",
      "coi như",
      "berpura",
      "bayangkan",
      "anggap",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:finge|finja|imagina|imagine|haz como si|haga como si|act[uú]a como si)\s+(?:que\s+)?(?:tu\s+|t[uú]\s+|voc[eê]\s+|usted\s+)?(?:no|n[aã]o)\s+(?:tienes|tiene|tuvieras|tuviera|tem|tens|tivesse|tivesses|hay|h[aá])\s+(?:ning[uú]n[ao]?\s+|nenhum[ao]?\s+|ni\s+)?(?:reglas|regras|restricciones|restri[çc][õo]es|filtros|l[ií]mites|limites|normas|instrucciones|instru[çc][õo]es|directrices|diretrizes|censura|limitaciones|pautas)|(?:fais|faites|imagine|imaginez|agis|agissez)\s+(?:comme si|que)\s+(?:tu|vous)\s+(?:n'avais|n'aviez|n'as|n'avez)\s+(?:aucune?|pas de|plus de)\s+(?:r[eè]gles?|restrictions?|filtres?|limites?|consignes?|instructions?|censure)|(?:tu so|tun sie so|stell dir vor|stellen sie sich vor),?\s+(?:als\s+|dass\s+)?(?:h[aä]ttest du|h[aä]tten sie|du h[aä]ttest|sie h[aä]tten|du hast|sie haben)\s+keine\s+(?:regeln|einschr[aä]nkungen|filter|grenzen|anweisungen|vorgaben|zensur|richtlinien)|(?:fai finta|fate finta|immagina|immaginate|fingi)\s+(?:di\s+non\s+avere|che\s+non\s+(?:hai|abbia|avessi|ci siano))\s+(?:nessuna?\s+|alcuna?\s+)?(?:regole|restrizioni|filtri|limiti|istruzioni|linee guida|censura)|(?:doe alsof|stel je voor dat|beeld je in dat)\s+(?:je|jij|u)\s+geen\s+(?:regels|beperkingen|filters|grenzen|instructies|richtlijnen|censuur)(?:\s+(?:hebt|heeft|hebben|had))?|(?:udawaj|wyobra[źz] sobie),?\s+(?:[żz]e\s+)?nie\s+masz\s+(?:[żz]adnych\s+)?(?:zasad|ogranicze[ńn]|filtr[óo]w|regu[łl]|instrukcji|cenzury)|(?:giả vờ|giả sử|tưởng tượng|hãy coi như)\s+(?:rằng\s+|là\s+)?(?:bạn|mày|cậu)\s+không\s+(?:có|còn)\s+(?:bất kỳ\s+|một\s+|chút\s+)?(?:quy tắc|giới hạn|hạn chế|bộ lọc|ràng buộc|kiểm duyệt|chỉ dẫn)(?:\s+nào)?|(?:berpura-puralah|berpura-pura|bayangkan|anggap(?:lah)?)\s+(?:bahwa\s+)?(?:kamu|anda)\s+(?:tidak|tak)\s+(?:punya|memiliki|mempunyai|ada)\s+(?:satu\s+pun\s+)?(?:aturan|batasan|filter|larangan|instruksi|sensor))(?=\s*(?:[.,;:!?)\n]|$)|\s+(?:y|e|ni|et|ni|und|oder|e|ed|en|i|ve|và|dan|né|nor|para|pour|um|per|om|aby|để|untuk|che|que|dass)(?!\p{L}))|(?<!\p{L})(?:hiçbir\s+)?(?:kural|kısıtlama|sınır|filtre|talimat|sansür)\p{L}{0,6}\s+yokmuş\s+gibi\s+(?:davran|yap|düşün|cevap ver)/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "представь",
      "притворись",
      "вообрази",
      "сделай вид",
      "уяви",
      "вдавай",
      "вдай",
      "удавай",
      "зроби вигляд",
    ],
    weight: 0.8,
    pattern:
      /(?<![\p{L}])(?:(?:представь|представьте|притворись|притворитесь|вообрази|сделай вид),?\s+(?:что\s+)?(?:у\s+(?:тебя|вас)\s+)?(?:больше\s+)?нет\s+(?:никаких\s+|каких-либо\s+)?(?:правил|ограничений|фильтров|инструкций|цензуры|запретов)|(?:уяви|уявіть|вдавай|вдай|удавай|зроби вигляд),?\s+(?:що\s+)?(?:в|у)\s+(?:тебе|вас)\s+(?:більше\s+)?немає\s+(?:жодних\s+|ніяких\s+)?(?:правил|обмежень|фільтрів|інструкцій|цензури))(?![\p{L}])/iu,
  },
  {
    name: "jailbreak",
    hints: [
      "تظاهر",
      "تخيل",
      "افترض",
      "ふり",
      "フリ",
      "想像",
      "仮定",
      "척하",
      "없는 척",
      "없다고",
      "상상",
      "가정",
      "नाटक",
      "मान लो",
      "मान लीजिए",
      "कल्पना",
    ],
    weight: 0.8,
    pattern:
      /(?:تظاهر|تخيل|افترض)\s+(?:(?:بأنه|أنه|بأنك|أنك)\s+)?(?:ليس لديك|لا تملك|لا توجد لديك|بلا)\s+(?:أي\s+)?(?:قواعد|قيود|حدود|فلاتر|تعليمات|رقابة)|(?:ルール|規則|制限|フィルター|制約|検閲)(?:が|は|の)?(?:一切)?(?:ない|無い|なし)(?:ふり|フリ|と(?:想像|仮定))|(?:규칙|제한|필터|제약|검열)(?:이|가)?\s?(?:전혀\s|아무런\s)?(?:없는\s?척|없다고\s?(?:상상|가정))|(?:नाटक करो|नाटक करें|मान लो|मान लीजिए|कल्पना करो|कल्पना करें)\s+(?:कि\s+)?(?:तुम्हारे|तुम्हारा|आपके|आपका)\s+(?:पास\s+)?(?:कोई\s+)?(?:नियम|प्रतिबंध|फ़िल्टर|फिल्टर|सीमा|निर्देश)\s+नहीं/u,
  },
  {
    name: "jailbreak",
    hints: [
      "desarrollador",
      "développeur",
      "developpeur",
      "entwicklermodus",
      "desenvolvedor",
      "sviluppatore",
      "ontwikkelaarsmodus",
      "utvecklarläge",
      "режим разработчика",
      "режим розробника",
      "tryb dewelop",
      "geliştirici modu",
      "开发者模式",
      "開發者模式",
      "開発者モード",
      "개발자 모드",
      "개발자모드",
    ],
    weight: 0.85,
    pattern:
      /(?<!\p{L})(?:modo (?:de )?desarrollador|mode d[eé]veloppeur|entwicklermodus|modo (?:de )?desenvolvedor|modalit[aà] sviluppatore|ontwikkelaarsmodus|utvecklarl[aä]ge|режим разработчика|режим розробника|tryb deweloper(?:ski|a)|geliştirici modu)\s*(?:est |ist |è |é |está |esta |jest |is |är |теперь |зараз )?(?:activad[oa]|habilitad[oa]|activ[eé]|aktiviert|aktiv|an|ativad[oa]|habilitad[oa]|attivat[ao]|geactiveerd|aan|aktiverat|på|включ[её]н|активирован|увімкнено|активовано|w[łl][aą]czony|aktywowany|etkinleştirildi|açık|etkin)(?!\p{L})|(?:开发者模式|開發者模式|開発者モード|개발자 ?모드)(?:已|が|이|가)?\s?(?:启用|啟用|开启|開啟|激活|有効|オン|활성화)/iu,
  },
  {
    name: "prompt_extraction",
    hints: [
      "repite",
      "repita",
      "repíte",
      "répète",
      "repete",
      "répétez",
      "repetez",
      "wiederhole",
      "ripeti",
      "herhaal",
      "upprepa",
      "повтори",
      "powtórz",
      "powtorz",
      "tekrarla",
      "كرر",
      "重复",
      "重複",
      "繰り返",
      "くりかえ",
      "반복",
      "दोहरा",
      "lặp lại",
      "ulangi",
    ],
    weight: 0.8,
    pattern:
      /(?<!\p{L})(?:(?:repite|repita|rep[ií]teme|r[eé]p[eè]te|r[eé]p[eé]tez|repete|wiederhole|wiederholen sie|ripeti|ripetete|herhaal|upprepa|повтори|повторите|powt[óo]rz)\s+(?:\p{L}+\s+){0,2}?(?:texto|texte|text|testo|tekst|текст|tekstu|textul)\s+(?:de arriba|anterior|ci-dessus|pr[eé]c[eé]dent|oben|davor|acima|qui sopra|sopra|precedente|hierboven|ovan|выше|вище|powy[żz]ej)|wiederhole\s+den\s+obigen\s+text|(?:repite|repita)\s+todo lo anterior|r[eé]p[eè]te\s+tout ce qui pr[eé]c[eè]de|yukarıdaki\s+(?:metni|yazıyı|metinleri)\s+(?:\p{L}+\s+){0,3}?tekrarla|ulangi\s+(?:semua\s+)?(?:teks|tulisan)\s+(?:di\s+)?atas|lặp lại\s+(?:toàn bộ\s+)?(?:văn bản|đoạn văn|nội dung)\s+(?:ở\s+)?(?:trên|phía trên))(?!\p{L})|كرر\s+(?:النص|الكلام)\s+(?:أعلاه|السابق)|重[复複](?:一遍)?(?:上面|上述|以上)的?(?:文字|内容|內容|文本|话|話)|(?:上記|上)の(?:テキスト|文章|内容)を(?:そのまま)?(?:繰り返|くりかえ)|위의?\s?(?:텍스트|내용|글)(?:을|를)\s?(?:그대로\s?)?반복|ऊपर\s+(?:का|के|की)\s+(?:पाठ|टेक्स्ट|संदेश)\s+(?:\S+\s+)?दोहरा/iu,
  },
];
