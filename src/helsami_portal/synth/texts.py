"""Norwegian text pools for the synthetic data: names, places, message topics.

Everything here is invented. Names are common Norwegian, Sami and immigrant names; any
resemblance to a real person is chance. Message topics are typical of what patients write to a
GP office, a municipal service or a hospital clinic.
"""

from __future__ import annotations

from typing import Any

# --- names ------------------------------------------------------------------------------------
# (male given, female given, family) per naming tradition.
NORWEGIAN = (
    (
        "Ole",
        "Lars",
        "Knut",
        "Jon",
        "Per",
        "Hans",
        "Magnus",
        "Jakob",
        "Emil",
        "Noah",
        "Oskar",
        "Filip",
        "Henrik",
        "Sindre",
        "Øyvind",
        "Håkon",
        "Bjørn",
        "Arne",
        "Tor",
        "Erlend",
        "Geir",
        "Kjell",
        "Terje",
        "Arvid",
        "Sverre",
        "Torbjørn",
        "Eirik",
        "Steinar",
        "Odd",
        "Audun",
        "Ivar",
        "Kristoffer",
        "Sander",
        "Tobias",
        "Even",
        "Vetle",
        "Ståle",
        "Åsmund",
        "Gunnar",
        "Leif",
    ),
    (
        "Kari",
        "Ingrid",
        "Anne",
        "Marit",
        "Randi",
        "Solveig",
        "Nora",
        "Emma",
        "Ella",
        "Sofie",
        "Ingeborg",
        "Sigrid",
        "Astrid",
        "Liv",
        "Hilde",
        "Tone",
        "Gro",
        "Åse",
        "Berit",
        "Ragnhild",
        "Marte",
        "Silje",
        "Tuva",
        "Frida",
        "Maja",
        "Wenche",
        "Bodil",
        "Gunhild",
        "Synnøve",
        "Kristin",
        "Heidi",
        "Torill",
        "Guri",
        "Eli",
        "Sunniva",
        "Live",
        "Hedda",
        "Oda",
        "Bjørg",
        "Ellinor",
    ),
    (
        "Hansen",
        "Johansen",
        "Olsen",
        "Larsen",
        "Andersen",
        "Pedersen",
        "Nilsen",
        "Kristiansen",
        "Jensen",
        "Karlsen",
        "Johnsen",
        "Pettersen",
        "Eriksen",
        "Berg",
        "Haugen",
        "Hagen",
        "Johannessen",
        "Andreassen",
        "Jacobsen",
        "Dahl",
        "Jørgensen",
        "Halvorsen",
        "Henriksen",
        "Lund",
        "Sørensen",
        "Strand",
        "Moen",
        "Solberg",
        "Bakke",
        "Aune",
        "Lie",
        "Ødegård",
        "Grønli",
        "Størdal",
        "Øien",
        "Skjærvø",
        "Rønning",
        "Kvam",
        "Hårstad",
        "Sæther",
        "Brå",
        "Lian",
        "Fossum",
        "Vold",
        "Eggen",
        "Aas",
        "Krogstad",
        "Løkken",
        "Indergaard",
        "Sjøvold",
    ),
)
SAMI = (
    ("Aslak", "Ánde", "Mikkel", "Niillas", "Isak", "Máhtte", "Jovnna", "Piera", "Ante", "Nils"),
    ("Elle", "Máret", "Ánne", "Inga", "Sára", "Risten", "Gáren", "Biret", "Karen", "Elen"),
    (
        "Fjellheim",
        "Jåma",
        "Bientie",
        "Kappfjell",
        "Sara",
        "Gaup",
        "Eira",
        "Somby",
        "Hætta",
        "Utsi",
        "Bals",
        "Kuhmunen",
        "Nordfjell",
        "Toven",
    ),
)
IMMIGRANT = (
    (
        "Ahmed",
        "Mohammed",
        "Ali",
        "Omar",
        "Yusuf",
        "Piotr",
        "Tomasz",
        "Jakub",
        "Andrius",
        "Mehmet",
        "Tesfaye",
        "Abdi",
        "Huy",
        "Minh",
        "Dawit",
        "Hassan",
        "Oleksandr",
        "Jonas",
        "Karim",
        "Reza",
    ),
    (
        "Aisha",
        "Fatima",
        "Amina",
        "Maryam",
        "Zahra",
        "Agnieszka",
        "Anna",
        "Olena",
        "Marta",
        "Leila",
        "Hodan",
        "Linh",
        "Mai",
        "Senait",
        "Rahel",
        "Natalia",
        "Ewa",
        "Yasmin",
        "Sara",
        "Iryna",
    ),
    (
        "Ali",
        "Hussein",
        "Mohammed",
        "Ahmadi",
        "Nowak",
        "Kaczmarek",
        "Nguyen",
        "Tran",
        "Yilmaz",
        "Abdi",
        "Hassan",
        "Tesfay",
        "Kovalenko",
        "Petrauskas",
        "Karimi",
        "Haile",
        "Osman",
        "Rahimi",
        "Lewandowski",
        "Kaya",
    ),
)

# --- places -----------------------------------------------------------------------------------
STREETS = (
    "Storgata",
    "Kirkegata",
    "Fjordveien",
    "Skolegata",
    "Bakkeveien",
    "Lerkeveien",
    "Bjørkeveien",
    "Havnegata",
    "Solbakken",
    "Prestegårdsveien",
    "Nordre gate",
    "Elvegata",
    "Myrveien",
    "Granåsen",
    "Kongens gate",
    "Furuveien",
    "Stasjonsveien",
    "Nedre Allé",
    "Rosenborggata",
    "Øvre Møllenberg",
    "Tunga",
    "Lade allé",
    "Ringveien",
    "Sjøgata",
    "Rådhusgata",
    "Åsveien",
    "Blåbærstien",
    "Tyttebærveien",
    "Gamle Kongevei",
    "Sandbakken",
)
# (postal code, town, kommunenummer); Fjordvik is invented and weighted up (the demo municipality).
# Kommunenummer from SSB's register (Volven 3402) for the real towns (Heimdal and Hommelvik lie in
# Trondheim and Malvik); Fjordvik has 5099, a number the register does not use, since it is invented.
TOWNS = (
    ("7190", "Fjordvik", "5099"),
    ("7190", "Fjordvik", "5099"),
    ("7190", "Fjordvik", "5099"),
    ("7191", "Fjordvik", "5099"),
    ("7192", "Fjordvik", "5099"),
    ("7010", "Trondheim", "5001"),
    ("7030", "Trondheim", "5001"),
    ("7049", "Trondheim", "5001"),
    ("7500", "Stjørdal", "5035"),
    ("7300", "Orkanger", "5059"),
    ("7600", "Levanger", "5037"),
    ("7713", "Steinkjer", "5006"),
    ("7800", "Namsos", "5007"),
    ("7374", "Røros", "5025"),
    ("7080", "Heimdal", "5001"),
    ("7550", "Hommelvik", "5031"),
    ("7340", "Oppdal", "5021"),
    ("7224", "Melhus", "5028"),
)
# The kommune (municipality) of each kommunenummer above, as Address.district names it.
KOMMUNER = {
    "5099": "Fjordvik",
    "5001": "Trondheim",
    "5035": "Stjørdal",
    "5059": "Orkland",
    "5037": "Levanger",
    "5006": "Steinkjer",
    "5007": "Namsos",
    "5025": "Røros",
    "5031": "Malvik",
    "5021": "Oppdal",
    "5028": "Melhus",
}

PHARMACIES = (
    "Apotek 1 Torget",
    "Vitusapotek Sentrum",
    "Boots apotek Fjordvik",
    "Apotek 1 Amfi",
    "Vitusapotek Solsiden",
)

# --- message texts ----------------------------------------------------------------------------
GREETINGS = ("Hei!", "Hei,", "Hei.", "God dag.", "Hei igjen.", "Hallo.", "Hei, det er meg igjen.")
CLOSINGS = (
    "Takk for hjelpen!\nHilsen",
    "Mvh",
    "På forhånd takk.\nHilsen",
    "Hilsen",
    "Vennlig hilsen",
    "Takk!\n",
    "Ha en fin dag.\nMvh",
)

# A topic: family (which inboxes it suits), subject, task type, patient texts, staff replies,
# follow-ups from the patient, final words from staff. Staff texts are signed separately.
TOPICS: tuple[dict[str, Any], ...] = (
    # --- GP office ------------------------------------------------------------------------------
    dict(
        family="gp",
        subject="Fornyelse av resept",
        patient=(
            "Jeg holder på å gå tom for blodtrykksmedisinen min. Kan dere fornye resepten? Jeg har "
            "tabletter til og med søndag.",
            "Kan jeg få fornyet resepten på medisinen jeg bruker fast? Den gikk ut forrige uke.",
            "Apoteket sier at resepten min er utløpt. Kan legen se på det?",
        ),
        reply=(
            "Resepten er fornyet og ligger klar som e-resept på apoteket. Husk blodtrykkskontroll hos "
            "oss innen tre måneder.",
            "Vi har fornyet resepten for ett år. Du kan hente medisinen på et hvilket som helst apotek.",
        ),
        followup=("Tusen takk!", "Takk, det var raskt."),
        final=("Bare hyggelig.",),
    ),
    dict(
        family="gp",
        subject="Bivirkninger av ny medisin",
        patient=(
            "Jeg begynte på kolesterolmedisin for to uker siden og har fått vondt i musklene i "
            "leggene. Er det normalt? Skal jeg slutte?",
            "Etter at jeg startet med de nye tablettene er jeg svimmel når jeg reiser meg. Kan det være bivirkning?",
            "Jeg har fått tørrhoste etter at jeg byttet blodtrykksmedisin. Det er plagsomt om natta.",
        ),
        reply=(
            "Muskelsmerter kan være en bivirkning. Ta pause med tablettene i to uker, og bestill time "
            "hvis plagene ikke går over. Får du mørk urin eller blir svært slapp, ring legevakt på "
            "116 117.",
            "Svimmelhet kan komme av at blodtrykket blir litt lavt i starten. Reis deg rolig, og drikk "
            "godt. Vi tar en blodtrykkskontroll neste uke: du får innkalling.",
            "Tørrhoste er en kjent bivirkning. Legen har lagt inn en annen medisin du kan hente på "
            "apoteket i morgen. Slutt med den gamle når du starter på den nye.",
        ),
        followup=("Det har blitt litt bedre nå. Skal jeg fortsette?", "Takk for svar."),
        final=("Fortsett som nå, og gi beskjed om det forverrer seg.",),
    ),
    dict(
        family="gp",
        subject="Sykmelding",
        patient=(
            "Jeg er fortsatt dårlig etter influensaen og trenger forlengelse av sykmeldingen, som går "
            "ut på fredag. Kan jeg få det uten å komme inn?",
            "Ryggen er ikke bra nok til at jeg kan gå tilbake på jobb på mandag. Kan sykmeldingen "
            "forlenges med en uke?",
            "Arbeidsgiveren min spør etter sykmelding for de tre siste dagene. Hva gjør jeg?",
        ),
        reply=(
            "Vi kan forlenge sykmeldingen etter en telefonkonsultasjon. Legen ringer deg i morgen mellom kl. 10 og 12.",
            "Sykmeldingen er forlenget til og med neste fredag og sendt til NAV og arbeidsgiver.",
            "For de tre første dagene kan du bruke egenmelding. Sjekk med arbeidsgiveren din.",
        ),
        followup=("Det passer fint.", "Takk! Jeg gir beskjed hvis jeg blir friskere før."),
        final=("God bedring!",),
    ),
    dict(
        family="gp",
        subject="Spørsmål om blodprøvesvar",
        patient=(
            "Jeg så at langtidsblodsukkeret (HbA1c) var 58 denne gangen. Er det for høyt? Hva betyr det for meg?",
            "Jeg har sett prøvesvarene mine i HelsaMi, og noen verdier er merket som for høye. Bør jeg være bekymret?",
            "Har dere fått svar på blodprøvene jeg tok forrige tirsdag? Jeg finner dem ikke.",
            "Stoffskifteprøven var visst lav. Betyr det at jeg må endre dosen på Levaxin?",
        ),
        reply=(
            "HbA1c på 58 er litt over målet vårt på 53. Vi foreslår at vi ser på kosthold og aktivitet "
            "først, og tar ny prøve om tre måneder.",
            "Verdiene er bare litt utenfor referanseområdet og ikke noe å bekymre seg for. Vi tar nye "
            "prøver ved neste kontroll.",
            "Svarene har kommet, og legen har sett på dem. Alt er innenfor normalområdet.",
        ),
        followup=("Takk for forklaringen.", "Skal jeg bestille ny time selv?"),
        final=("Ja, bestill gjerne time om tre måneder i HelsaMi.",),
    ),
    dict(
        family="gp",
        subject="Endre time",
        patient=(
            "Jeg har time hos fastlegen på tirsdag kl. 09.30, men må dessverre jobbe. Finnes det en "
            "ledig time senere i uka?",
            "Kan jeg flytte timen min til en ettermiddag? Jeg har ikke fri fra skolen før kl. 15.",
        ),
        reply=(
            "Vi har flyttet timen din til torsdag kl. 14.15. Gi beskjed hvis det ikke passer.",
            "Ny time er satt opp onsdag kl. 15.30. Velkommen!",
        ),
        followup=("Det passer bra, takk.",),
        final=(),
    ),
    dict(
        family="gp",
        subject="Bekymret for føflekk",
        patient=(
            "Jeg har en føflekk på ryggen som har blitt mørkere og større de siste månedene. Bør jeg komme inn?",
            "Det har kommet en sår flekk på nesen som ikke vil gro. Den har vært der i to måneder.",
        ),
        reply=("Takk for at du tar kontakt. Vi vil gjerne se på føflekken. Du har fått time neste onsdag kl. 11.00.",),
        followup=("Takk, jeg kommer.",),
        final=(),
    ),
    dict(
        family="gp",
        subject="Helseattest til førerkort",
        patient=("Jeg trenger helseattest for å fornye førerkortet. Må jeg bestille en vanlig time?",),
        reply=("Ja, bestill en vanlig time på 20 minutter. Ta med briller hvis du bruker det.",),
        followup=(),
        final=(),
    ),
    dict(
        family="gp",
        subject="Vaksine før reise",
        patient=(
            "Vi skal til Thailand i mars. Hvilke vaksiner trenger vi, og kan vi ta dem hos dere?",
            "Jeg skal på jobbreise til Kenya om seks uker. Trenger jeg gulfebervaksine?",
        ),
        reply=(
            "Vi anbefaler vaksine mot hepatitt A og B og at du sjekker at grunnvaksinene er oppdatert. "
            "Bestill en sykepleiertime, så ordner vi det.",
        ),
        followup=("Takk, det gjør jeg.",),
        final=(),
    ),
    dict(
        family="gp",
        subject="Søvnproblemer",
        patient=(
            "Jeg sover dårlig og våkner flere ganger hver natt. Kan jeg få noe å sove på?",
            "Sovetablettene hjelper ikke lenger. Kan jeg få øke dosen?",
        ),
        reply=(
            "Sovemedisin er ikke første valg ved langvarige søvnvansker, og den kan gi avhengighet. "
            "Bestill en time, så snakker vi om søvn og hva som kan hjelpe.",
        ),
        followup=("Ok, jeg bestiller time.",),
        final=(),
    ),
    dict(
        family="gp",
        subject="Henvisning til fysioterapeut",
        patient=("Kan jeg få henvisning til fysioterapeut for ryggen? Jeg har hatt vondt i korsryggen i seks uker.",),
        reply=(
            "Du trenger ikke henvisning til fysioterapeut i kommunen. Du kan kontakte "
            "fysioterapitjenesten direkte via HelsaMi.",
        ),
        followup=("Så bra, takk!",),
        final=(),
    ),
    dict(
        family="gp",
        subject="Svie ved vannlating",
        patient=("Det svir når jeg tisser, og jeg må på do hele tiden. Det begynte i går. Kan jeg levere urinprøve?",),
        reply=(
            "Du kan levere urinprøve i luka mellom kl. 08 og 15. Ta morgenurin hvis mulig. Vi ringer "
            "deg når svaret er klart.",
        ),
        followup=("Har levert prøven nå.",),
        final=("Takk, vi ringer i dag.",),
    ),
    dict(
        family="gp",
        subject="Blodtrykksmålinger hjemme",
        patient=(
            "Jeg har målt blodtrykket hjemme i en uke:\n152/94\n148/90\n155/96\nHva skal jeg gjøre?",
            "Blodtrykket mitt har vært rundt 160/100 de siste dagene, selv om jeg tar medisinene. "
            "Jeg har litt hodepine.",
        ),
        reply=(
            "Takk for målingene. Blodtrykket er litt høyt. Legen vil øke dosen, og ny resept ligger "
            "klar. Mål igjen om to uker og send oss verdiene.",
        ),
        followup=("Skal jeg måle morgen eller kveld?",),
        final=("Helst både morgen og kveld, sittende etter fem minutters hvile.",),
    ),
    # --- hospital -------------------------------------------------------------------------------
    dict(
        family="hospital",
        subject="Spørsmål før koloskopi",
        patient=(
            "Jeg skal til koloskopi neste uke. Må jeg slutte med blodfortynnende (Eliquis) før undersøkelsen?",
            "Jeg har fått tømmingsmiddel før koloskopien. Kan jeg spise frokost dagen før?",
        ),
        reply=(
            "Ja, ikke ta Eliquis de to siste dagene før undersøkelsen. Vi ringer deg dagen før for å "
            "gå gjennom forberedelsene.",
            "Du kan spise en lett frokost dagen før, deretter bare klar væske. Se også brosjyren vi har sendt deg.",
        ),
        followup=("Takk, da vet jeg det.",),
        final=(),
    ),
    dict(
        family="hospital",
        subject="Svar på ultralyd",
        patient=(
            "Har dere fått svar på ultralyden av magen som ble tatt for tre uker siden? Jeg har ikke hørt noe.",
            "Jeg venter fortsatt på svar etter CT-undersøkelsen. Når kan jeg regne med å høre noe?",
        ),
        reply=("Svaret er klart, og legen vil gå gjennom det med deg på telefon. Du blir oppringt i løpet av uka.",),
        followup=("Takk.",),
        final=(),
    ),
    dict(
        family="hospital",
        subject="Hjertebank etter utskrivning",
        patient=(
            "Etter at jeg var innlagt for atrieflimmer har jeg kjent hjertebank noen ganger om "
            "kvelden. Skal jeg være bekymret?",
        ),
        reply=(
            "Litt hjertebank kan være vanlig etter atrieflimmer. Skriv gjerne ned når det skjer og "
            "hvor lenge det varer. Får du brystsmerter eller tung pust, ring 113.",
        ),
        followup=("Det har skjedd to ganger til, i ca. ti minutter.",),
        final=("Vi setter opp en kontroll med 24-timers EKG. Du får innkalling i posten.",),
    ),
    dict(
        family="hospital",
        subject="Innkalling til kontroll",
        patient=("Jeg har fått innkalling til kontroll, men er på ferie den uka. Kan jeg få ny time?",),
        reply=("Du har fått ny time om fire uker. Se innkallingen i HelsaMi.",),
        followup=(),
        final=(),
    ),
    dict(
        family="ortho",
        subject="Hevelse etter kneoperasjon",
        patient=(
            "Jeg ble operert i kneet for ti dager siden. Det er fortsatt hovent og varmt. Er det normalt?",
            "Det renner litt fra operasjonssåret på hofta. Er det farlig?",
        ),
        reply=(
            "Noe hevelse er vanlig de første ukene. Får du feber, økende rødhet eller puss fra såret, "
            "kontakt oss eller legevakt samme dag.",
        ),
        followup=("Ingen feber. Jeg følger med.",),
        final=("Bra. Ta kontakt igjen om det endrer seg.",),
    ),
    dict(
        family="ortho",
        subject="Fjerning av sting",
        patient=("Hvor skal jeg fjerne stingene etter operasjonen? Hos fastlegen eller hos dere?",),
        reply=("Stingene kan fjernes hos fastlegen etter 14 dager.",),
        followup=(),
        final=(),
    ),
    # --- municipality: physiotherapy ------------------------------------------------------------
    dict(
        family="physio",
        subject="Øvelser etter kneoperasjon",
        patient=(
            "Jeg har gjort øvelsene du viste meg, men det gjør vondt å bøye kneet mer enn 90 grader. "
            "Skal jeg fortsette?",
            "Kan du sende meg øvelsene på nytt? Jeg har mistet arket.",
        ),
        reply=(
            "Litt ubehag er forventet. Fortsett med øvelsene to ganger daglig, men stopp hvis "
            "smerten blir mer enn 5 av 10.",
            "Jeg har lagt ved øvelsesprogrammet i HelsaMi. Ta tre runder av hver øvelse.",
        ),
        followup=("Takk, det går bedre for hver dag.",),
        final=("Så fint å høre!",),
    ),
    dict(
        family="physio",
        subject="Avlyse time",
        patient=("Jeg er forkjølet og må avlyse timen i morgen. Kan jeg få en ny time neste uke?",),
        reply=("Timen er avlyst. Ny time er satt opp mandag kl. 13.00.",),
        followup=(),
        final=(),
    ),
    dict(
        family="physio",
        subject="Vondt i skulderen",
        patient=(
            "Kan jeg få time hos fysioterapeut? Jeg har hatt vondt i skulderen siden jeg falt på isen i januar.",
            "Nakken min låser seg når jeg sitter lenge foran PC-en. Kan dere hjelpe?",
        ),
        reply=("Du har fått time torsdag kl. 10.15 hos oss i Fjordvik helsehus.",),
        followup=(),
        final=(),
    ),
    # --- municipality: mental health and substance abuse ----------------------------------------
    dict(
        family="mental",
        subject="Trenger noen å snakke med",
        patient=(
            "Det har vært tungt i det siste, og jeg sover dårlig. Kan jeg få en samtale?",
            "Jeg kjenner at angsten er på vei tilbake. Er det mulig å få en time snart?",
        ),
        reply=(
            "Takk for at du sier ifra. Du har fått time på onsdag kl. 12. Får du tanker om å skade "
            "deg selv, ring 113 eller legevakt på 116 117.",
        ),
        followup=("Takk. Det hjelper å vite at det er en time.",),
        final=("Vi ses på onsdag.",),
    ),
    dict(
        family="mental",
        subject="Flytte samtalen",
        patient=("Jeg rekker ikke samtalen på torsdag. Kan vi ta den på telefon i stedet?",),
        reply=("Det går fint. Jeg ringer deg torsdag kl. 11.",),
        followup=(),
        final=(),
    ),
    dict(
        family="mental",
        subject="Nedtrapping av oppfølging",
        patient=("Jeg har vært rusfri i tre måneder nå. Kan vi snakke om å trappe ned oppfølgingen?",),
        reply=("Gratulerer, det er godt jobbet! Vi tar det opp på neste samtale.",),
        followup=(),
        final=(),
    ),
    # --- municipality: home care ----------------------------------------------------------------
    dict(
        family="homecare",
        subject="Endring i tilsynsbesøk",
        patient=("Kan dere komme litt senere om morgenen? Jeg er ikke oppe før kl. 9.",),
        reply=("Vi har endret besøket til mellom kl. 09 og 10 fra mandag.",),
        followup=(),
        final=(),
    ),
    dict(
        family="homecare",
        subject="Feil i medisindosetten",
        patient=("Det mangler en tablett i dosetten for tirsdag kveld. Hva gjør jeg?",),
        reply=("Takk for beskjed. Vi kommer innom i kveld og ordner det.",),
        followup=(),
        final=(),
    ),
    dict(
        family="homecare",
        subject="Hjelpemidler",
        patient=("Jeg trenger rullator og dusjstol. Hvem søker jeg til?",),
        reply=("Vi sender søknad til hjelpemiddelsentralen for deg. Ergoterapeuten tar kontakt.",),
        followup=(),
        final=(),
    ),
    # --- children's clinic (written by the patient: teenagers) ----------------------------------
    dict(
        family="child",
        subject="Kontroll for astma",
        patient=(
            "Astmamedisinen hjelper ikke like godt når jeg trener. Kan jeg få en kontroll?",
            "Når er neste kontroll for diabetesen min? Jeg har ikke fått innkalling.",
        ),
        reply=("Du har fått time om to uker. Ta med inhalatoren din.",),
        followup=(),
        final=(),
    ),
)

# Phone messages noted by the switchboard (registered for citizens who are not digital).
PHONE_TOPICS: tuple[dict[str, Any], ...] = (
    dict(
        subject="Telefon: ønsker oppringning fra fastlegen",
        text=(
            "Pasienten ringte kl. 10.15. Ønsker å bli oppringt av fastlegen om svaret på "
            "blodprøvene. Treffes på mobil etter kl. 14.",
            "Pasienten ringte og ber om å bli ringt opp av legen sin. Gjelder medisinene. Treffes hele dagen.",
        ),
    ),
    dict(
        subject="Telefon: avbestilling",
        text=(
            "Pasienten ringte og avbestilte timen på mandag. Ønsker ny time om to uker.",
            "Avbestiller time i morgen på grunn av sykdom. Ønsker å bli ringt opp for ny time.",
        ),
    ),
    dict(
        subject="Telefon: svimmelhet",
        text=(
            "Pasienten ringte og opplyser om svimmelhet siden i går, ingen brystsmerter. Ønsker å "
            "snakke med sykepleier i dag.",
        ),
    ),
    dict(
        subject="Telefon: får ikke logget inn på HelsaMi",
        text=("Pasienten får ikke logget inn på HelsaMi og lurer på svaret på prøvene. Ber om å bli ringt opp.",),
    ),
    dict(
        subject="Telefon: reseptfornyelse",
        text=(
            "Ringte og ber om fornyelse av Levaxin 50 mikrog. Bruker Vitusapotek Sentrum.",
            "Ber om ny resept på blodtrykksmedisinen. Har tabletter til og med fredag.",
        ),
    ),
    dict(
        subject="Telefon: pårørende ringte",
        text=(
            "Datteren ringte. Faren virker mer forvirret enn vanlig de siste dagene. Ønsker at "
            "hjemmetjenesten ringer henne tilbake.",
        ),
    ),
)

# Topics written by a proxy. Fields: {barn}/{Barn} "datteren min"/"sønnen min", {navn} the
# patient's given name, {forelder}/{Forelder} "mor"/"far", {pron}/{Pron} "hun"/"han", {obj} "henne"/"ham".
PROXY_TOPICS: dict[str, tuple[dict[str, Any], ...]] = {
    "parent": (
        dict(
            subject="Feber hos barn",
            patient=("{Barn} {navn} har hatt feber på 39,5 i tre dager og vil ikke drikke. Skal vi komme inn?",),
            reply=(
                "Gi godt med drikke og febernedsettende ved behov. Blir barnet slapt, slutter å tisse "
                "eller puster tungt, ring legevakt på 116 117 med en gang. Ellers kan dere få time i "
                "morgen kl. 08.30.",
            ),
            followup=("{Pron} drikker litt bedre nå. Vi kommer i morgen.",),
            final=("Bra, velkommen i morgen.",),
        ),
        dict(
            subject="Vaksine i 2. klasse",
            patient=("{Barn} skal ha vaksine på skolen, men er veldig redd for sprøyter. Kan vi få bedøvelseskrem?",),
            reply=("Ja, dere kan kjøpe bedøvelseskrem (EMLA) på apoteket uten resept. Smør på en time før.",),
            followup=(),
            final=(),
        ),
        dict(
            subject="Astmamedisin til barn",
            patient=("Ventolinen til {barn} er nesten tom. Kan vi få ny resept?",),
            reply=("Ny resept er sendt som e-resept.",),
            followup=("Takk!",),
            final=(),
        ),
    ),
    "teen-parent": (
        dict(
            subject="Vondt i kneet etter fotball",
            patient=(
                "{Barn} {navn} har hatt vondt i kneet etter fotballkampen på lørdag og halter. Bør {pron} undersøkes?",
            ),
            reply=("Vi vil gjerne se på kneet. Dere har fått time torsdag kl. 15.00.",),
            followup=(),
            final=(),
        ),
    ),
    "child": (
        dict(
            subject="Medisinene til mor/far",
            patient=(
                "Jeg skriver på vegne av {forelder} ({navn}). Hjemmetjenesten sier at en av "
                "medisinene er seponert, men det står fortsatt på listen i HelsaMi. Hva stemmer?",
            ),
            reply=("Takk for beskjed. Legen har oppdatert medisinlisten, og hjemmetjenesten har fått den nye listen.",),
            followup=("Takk, det var godt å få oppklart.",),
            final=(),
        ),
        dict(
            subject="Mer forvirret enn vanlig",
            patient=(
                "{Forelder} har virket mer forvirret de siste dagene og har sluttet å spise skikkelig. "
                "Kan noen se til {obj}?",
            ),
            reply=(
                "Vi ringer deg i dag og avtaler et hjemmebesøk. Ved plutselig forverring, ring legevakt på 116 117.",
            ),
            followup=(),
            final=(),
        ),
    ),
}

INTERNAL_NOTES = (
    "Sjekket medisinlisten, ingen interaksjoner.",
    "Ringte pasienten, ikke svar. Prøver igjen i ettermiddag.",
    "Legen bør se på dette før svar.",
    "Avventer prøvesvar fra laboratoriet.",
    "Pasienten er kjent med diagnosen fra før.",
    "Snakket med pasienten på telefon. Avtalt ny time.",
    "Videresendt: gjelder oppfølging etter sykehusopphold.",
)
