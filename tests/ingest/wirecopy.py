"""Wire copy and its reprints for the near-duplicate tests.

All texts are fictional: invented places, vessels, people and agencies.
"""

from pipeline.core.text import fold

WIRE_BODY = """\
PORT SALVEN, March 3 (Meridian Press) - The coast guard rescued 47 people on Monday from a fibreglass boat \
that had been drifting for two days about 40 nautical miles south of Port Salven, officials said.

The passengers, among them nine children and a pregnant woman, were taken aboard the patrol vessel Albatros \
shortly after dawn and brought to the harbour of Port Salven, where medical teams were waiting on the quay.

Captain Irena Vosk, who led the operation, said the boat's engine had failed on Saturday night and that the \
passengers had run out of drinking water. "They were exhausted and several were suffering from dehydration, \
but everyone is alive," she told reporters.

According to the regional prefecture, the boat left the port of Qarsa on Friday evening. Survivors told aid \
workers that each of them had paid between 800 and 1,500 euros for the crossing.

A fishing trawler spotted the boat on Sunday afternoon and alerted the maritime rescue centre, which diverted \
the Albatros from a routine patrol.

The new arrivals will be registered at the reception centre on Calle Marina, which currently houses 310 people \
and is designed for 250, a spokesman for the prefecture said.
"""

WIRE = ("Coast guard rescues 47 people from drifting boat south of Port Salven\n\n" + WIRE_BODY
        + "\nReporting by Ana Ferro; Editing by Tom Bale\n")

# Outlet 1: a headline word changed, a slightly different dateline, an added closing paragraph, other boilerplate.
WIRE_EDITED = ("Coast guard saves 47 people from drifting boat south of Port Salven\n\n"
               + WIRE_BODY.replace("March 3 (Meridian Press) -", "(Meridian Press) —")
               + "\nThe Harbour Courier has reported on crossings from Qarsa since 2019. Readers with information "
                 "about missing relatives can contact the regional Red Crescent tracing service.\n"
               + "\n© 2025 Meridian Press. All rights reserved.\n")

# Outlet 2: no headline, the agency credit replaced by the site's own boilerplate.
WIRE_BOILERPLATE = ("This story was published automatically from a wire feed and has not been edited by our staff.\n\n"
                    + WIRE_BODY + "\nCopyright Meridian Press. Redistribution prohibited. Share this article:\n")

# Same topic, same agency, different facts.
OTHER_RESCUE = """\
Forty-one migrants rescued after night at sea near Cape Morrow

CAPE MORROW, June 18 (Meridian Press) - A merchant tanker picked up 41 migrants from a rubber dinghy near Cape \
Morrow late on Tuesday after a distress call relayed by a volunteer hotline, the maritime authority said.

The dinghy had set off from the beach at Tell Harun on Monday with 58 people aboard, survivors said, and at least \
17 are missing after several passengers fell overboard in rough seas during the night.

The tanker, the Nordic Fjell, was sailing to Genoa when its crew was asked to assist. Its master said the crew \
threw life jackets into the water and hauled people up a ladder on the side of the hull over nearly three hours.

A helicopter evacuated two men with hypothermia to the hospital in Cape Morrow. The others were transferred on \
Wednesday to a navy ship and brought ashore at the port of San Lio.

Aid groups criticised the delay, saying the first call for help was made eleven hours before the tanker arrived. \
The maritime authority said it had sent the nearest available vessel.

Reporting by Dario Lenz; Editing by Tom Bale
"""

DEPECHE_CORPS = """\
SARDEL, 12 avril (Agence Hexagone Presse) - Les garde-côtes ont secouru samedi 52 personnes, dont onze mineurs \
non accompagnés, à bord d'une embarcation en bois qui prenait l'eau à une trentaine de milles au sud de l'île de \
Sardel, a indiqué la préfecture maritime.

Selon un communiqué, l'alerte a été donnée vendredi soir par un avion de surveillance, qui avait repéré \
l'embarcation dérivant sans moteur. Le patrouilleur Mistral est arrivé sur zone peu après minuit.

« La mer se creusait et l'embarcation était très chargée, il n'y avait plus de temps à perdre », a déclaré le \
commandant Hugo Marlet.

Les personnes secourues, originaires pour la plupart d'Afrique de l'Ouest, ont été débarquées dimanche matin au \
port de Sardel, où la Croix-Rouge leur a distribué de l'eau, des couvertures et des vêtements secs.

Deux d'entre elles ont été hospitalisées pour des brûlures causées par un mélange de carburant et d'eau de mer, \
selon les services de santé de l'île.

Le centre d'accueil de Sardel, prévu pour 120 personnes, en héberge actuellement près de 200, a précisé la \
préfecture.
"""

DEPECHE = "Les garde-côtes secourent 52 personnes au large de l'île de Sardel\n\n" + DEPECHE_CORPS + "\nAHP\n"

DEPECHE_REPRISE = ("Les garde-côtes sauvent 52 personnes au large de l'île de Sardel\n\n" + DEPECHE_CORPS
                   + "\nLe Courrier du Littoral suit depuis 2020 les arrivées sur l'île. Retrouvez tous nos articles "
                     "sur les migrations dans notre dossier spécial.\n"
                   + "\n© Agence Hexagone Presse – Tous droits réservés.\n")

# A CMS that drops accents, uppercases the headline and straightens quotes: the same text once normalised.
DEPECHE_SANS_ACCENTS = ("LES GARDE-COTES SECOURENT 52 PERSONNES AU LARGE DE L'ILE DE SARDEL\n\n"
                        + fold(DEPECHE_CORPS).replace("«", '"').replace("»", '"') + "\nAHP\n")

DISPATCH_EN = """\
Coast guard rescues 52 people off the island of Sardel

SARDEL, April 12 (Agence Hexagone Presse) - The coast guard on Saturday rescued 52 people, including eleven \
unaccompanied minors, aboard a wooden boat that was taking on water about thirty miles south of the island of \
Sardel, the maritime prefecture said.

According to a statement, the alert was raised on Friday evening by a surveillance aircraft, which had spotted \
the boat drifting without an engine. The patrol boat Mistral reached the area shortly after midnight.
"""
