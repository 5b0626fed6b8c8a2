"""The vocabularies of revision 0004 as data: ids, levels and German / English labels.

Imports only ``cases.kreise``. Source: ``reference/domain.md`` section 2 (ids and German
labels as given there; ids that the reference lists without a label got the obvious German noun). The
migration ``0004_cases`` seeds these rows; this module is the seed of that revision and is
**never edited afterwards** — a later change to a vocabulary is a new migration, so that an
old database and a new one agree on what a code means.

Format of each block: one term per line, ``id | Deutsch | English``; an indented line is a
level-2 term under the level-1 term above it. Level-2 codes are stored as
``<level1>.<level2>`` (``lebensbereich`` ``arbeit.zugang``) because the reference reuses
level-2 ids such as ``anderes`` under every level-1 term.
"""

# ruff: noqa: E501 - one term per line reads better than wrapped labels

from __future__ import annotations

from fallstelle.catalogue.kreise import KREISE

# Vocabularies with two levels; level 1 is fixed for pooled reports, level 2 can be extended
# per office (cases.vocab.add_term).
TWO_LEVEL = frozenset({"lebensbereich", "merkmal", "intervention"})

#: Terms that reports show on a line of their own (ada.nrw reports Antisemitismus apart from
#: Rassismus although the Mindeststandards file it under rassismus_herkunft).
OWN_LINE = frozenset({("merkmal", "rassismus_herkunft.antisemitismus")})

BLOCKS: dict[str, str] = {
    "lebensbereich": """
arbeit | Arbeit | Work
  zugang | Anbahnung/Zugang zu einem Beschäftigungsverhältnis | Access to employment
  durchfuehrung | Durchführung des Beschäftigungsverhältnisses | Course of employment
  arbeitsalltag | Arbeitsalltag | Everyday working life
  beendigung | Beendigung des Arbeitsverhältnisses | End of employment
  anderes | anderes | other
bildung | Bildungswesen | Education
  kita | Kita | Day care
  schule | Schule | School
  sonderpaed_foerderbedarf | Sonderpädagogischer Förderbedarf | Special educational needs
  hochschule | Hochschule | University
  weiterbildung | Weiterbildung | Further education
  private_bildung | private Bildungseinrichtung | Private educational institution
  anderes | anderes | other
aemter_behoerden | Ämter und Behörden | Public authorities
  jobcenter_arbeitsagentur | Jobcenter/Arbeitsagentur | Job centre/employment agency
  auslaenderbehoerde | Ausländerbehörde | Immigration office
  finanzamt | Finanzamt | Tax office
  jugendamt | Jugendamt | Youth welfare office
  standesamt | Standesamt | Registry office
  ordnungsamt | Ordnungsamt | Public order office
  gewerbeamt | Gewerbeamt | Trade office
  buergeramt | Bürgeramt/Einwohnermeldeamt | Citizens' office
  anderes | anderes | other
justiz_polizei | Justiz und Polizei | Justice and police
  justiz | Justiz | Justice
  polizei | Polizei | Police
  anderes | anderes | other
gueter_dienstleistungen | Güter und Dienstleistungen | Goods and services
  geschaeft | Geschäft | Shop
  gastronomie | Gastronomie | Restaurants
  fitnessstudio | Fitnessstudio | Gym
  kultureinrichtung | Kultureinrichtung | Cultural institution
  nachtleben | Nachtleben/Bar/Disko | Nightlife/bar/club
  finanzdienstleistung | Finanzdienstleistung | Financial services
  hotel | Hotel | Hotel
  post_lieferdienste | Post/Lieferdienste | Post/delivery services
  oepnv_fernverkehr | ÖPNV und Fernverkehr | Public transport
  anderes | anderes | other
wohnen | Wohnen | Housing
  wohnungssuche | Wohnungssuche | Looking for a flat
  bestehendes_wohnverhaeltnis | bestehendes Wohnverhältnis | Existing tenancy
  anderes | anderes | other
gesundheit_pflege | Gesundheit und Pflege | Health and care
  krankenhaus | Krankenhaus | Hospital
  arztpraxis | Ärzt*innenpraxis | Doctor's practice
  psychosoziale_einrichtung | psychosoziale Einrichtung | Psychosocial service
  pflegeeinrichtung | Pflegeeinrichtung | Care home
  krankenversicherung | Krankenversicherung | Health insurance
  anderes | anderes | other
oeffentlichkeit_freizeit | Öffentlichkeit und Freizeit | Public space and leisure
  persoenliches_umfeld | persönliches Umfeld | Personal environment
  oeffentlicher_raum | öffentlicher Raum | Public space
  verein | Verein | Club/association
  religioese_einrichtung | religiöse Einrichtung | Religious institution
  anderes | anderes | other
medien | Medien | Media
  soziale_medien | Soziale Medien/soziale Netzwerke | Social media
  onlinemedien | Onlinemedien | Online media
  printmedien | Printmedien | Print media
  fernsehen_radio | Fernsehen/Radio | TV/radio
  internet | Internet | Internet
  werbung | Werbung | Advertising
  anderes | anderes | other
anderes | anderer Lebensbereich | other area of life
keine_angabe | keine Angabe | not stated
""",
    "merkmal": """
rassismus_herkunft | Antisemitismus, rassistische Zuschreibungen und (ethnische) Herkunft | Antisemitism, racism and (ethnic) origin
  antimuslimisch | Antimuslimischer Rassismus | Anti-Muslim racism
  anti_schwarz | Antischwarzer Rassismus | Anti-Black racism
  antiziganismus | Rassismus gegen Rom*nja/Sinti*zze (Antiziganismus) | Antigypsyism
  antiasiatisch | Antiasiatischer Rassismus | Anti-Asian racism
  antislawisch | Antislawischer Rassismus | Anti-Slavic racism
  fluchterfahrung | Fluchterfahrung | Refugee experience
  aufenthaltsstatus | Aufenthaltsstatus | Residence status
  ethnische_herkunft | (zugeschriebene) Ethnische Herkunft | (Ascribed) ethnic origin
  staatsangehoerigkeit | Staatsangehörigkeit | Citizenship
  sprache | Sprache | Language
  antisemitismus | Antisemitismus | Antisemitism
  anderes | anderes | other
geschlecht | Geschlecht | Gender
  frau_sexismus | Frausein/Sexismus | Being a woman/sexism
  mann | Mannsein | Being a man
  trans | Trans*sein/Trans*Hintergrund | Being trans
  inter | Inter*sein | Being inter
  divers | Divers | Diverse
  nicht_binaer | Non-Binary | Non-binary
  anderes | anderes | other
sexuelle_identitaet | Sexuelle Identität | Sexual identity
  lesbisch | lesbisch | lesbian
  schwul | schwul | gay
  bisexuell | bisexuell | bisexual
  asexuell | asexuell | asexual
  anderes | anderes | other
lebensalter | Lebensalter | Age
  hohes_alter | hohes Alter | Old age
  geringes_alter | geringes Alter | Young age
  anderes | anderes | other
behinderung_krankheit | Behinderung/Chronische Erkrankung | Disability/chronic illness
  behinderung | Behinderung | Disability
  chronische_erkrankung | Chronische Erkrankung | Chronic illness
  anderes | anderes | other
religion_weltanschauung | Religion/Weltanschauung | Religion/belief
  buddhismus | Buddhismus | Buddhism
  christentum | Christentum | Christianity
  hinduismus | Hinduismus | Hinduism
  islam | Islam | Islam
  judentum | Judentum | Judaism
  konfessionslos | konfessionslos | No religion
  weltanschauung | Weltanschauung | Belief
  anderes | anderes | other
sozialer_status | Sozialer Status | Social status
  bildungsstand | Bildungsstand | Level of education
  einkommen | Einkommen | Income
  wohnsituation | Wohnsituation | Housing situation
  anderes | anderes | other
anderes | anderes Merkmal | other ground
keine_angabe | keine Angabe | not stated
""",
    "form": """
zugang_verwehrt | Verwehren von Zugang / Ausschluss von bestehender Teilhabe | Denial of access / exclusion
ungleichbehandlung | Verwehren von gleichwertiger Behandlung, Bewertung und Leistung | Unequal treatment
belaestigung | Belästigung | Harassment
sexualisierte_belaestigung | Sexualisierte Belästigung | Sexualised harassment
anweisung | Anweisung zur Diskriminierung | Instruction to discriminate
viktimisierung | Benachteiligung wegen einer Diskriminierungsbeschwerde / Viktimisierung | Victimisation
straftat | Straftatbestand | Criminal offence
alltagsdiskriminierung | Grenzüberschreitungen / Alltagsdiskriminierung / Mikroaggressionen / Othering | Everyday discrimination / microaggressions
anderes | anderes | other
keine_angabe | keine Angabe | not stated
""",
    "agg_form": """
unmittelbar | unmittelbare Benachteiligung (§ 3 Abs. 1 AGG) | Direct discrimination
mittelbar | mittelbare Benachteiligung (§ 3 Abs. 2 AGG) | Indirect discrimination
belaestigung | Belästigung (§ 3 Abs. 3 AGG) | Harassment
sexuelle_belaestigung | sexuelle Belästigung (§ 3 Abs. 4 AGG) | Sexual harassment
anweisung | Anweisung zur Benachteiligung (§ 3 Abs. 5 AGG) | Instruction to discriminate
massregelung | Maßregelung (§ 16 AGG) | Victimisation
""",
    "ebene": """
individuell | individuell/interpersonell | individual/interpersonal
institutionell | institutionell | institutional
strukturell | strukturell | structural
""",
    "akteur": """
privatperson | Privatperson | Private person
arbeitgeber | Arbeitgeber/Vorgesetzte | Employer/superior
kolleg_innen | Kolleg*innen | Colleagues
vermieter | Vermieter*in/Wohnungsunternehmen | Landlord/housing company
unternehmen | Unternehmen/Dienstleister | Company/service provider
bildungseinrichtung | Schule/Kita/Hochschule (Personal) | School/day care/university (staff)
behoerde | Behörde/Verwaltung | Authority/administration
polizei | Polizei | Police
justiz | Justiz | Justice
gesundheitseinrichtung | Gesundheitseinrichtung | Health service
medien_online | Medien/Online-Akteur | Media/online actor
verein | Verein | Club/association
unbekannt | unbekannt | unknown
""",
    "anfrage": """
beratungsfall | Beratungsfall (Diskriminierungsfall) | Counselling case
verweisberatung | Kurzanfrage/Verweisberatung | Short enquiry/referral
institutionenberatung | Beratung von Institutionen/Organisationen | Advice to institutions
meldung_ohne_beratung | Meldung ohne Beratungswunsch | Report without counselling
""",
    "zugangsweg": """
selbst_internet | Internet/Website/Social Media | Internet/website/social media
empfehlung_privat | Empfehlung Bekannte/Familie | Recommended by friends/family
verweis_beratungsstelle | Verweis durch andere Beratungsstelle | Referred by another counselling office
verweis_ads | Verweis durch Antidiskriminierungsstelle des Bundes | Referred by the Federal Anti-Discrimination Agency
verweis_meldestelle | Verweis durch NRW-Meldestelle | Referred by an NRW reporting office
verweis_behoerde | Verweis durch Behörde/Schule | Referred by an authority/school
veranstaltung | Veranstaltung/Öffentlichkeitsarbeit | Event/public relations
integrationsagentur | über Integrationsagentur/andere Dienste des Trägers | Via the Integrationsagentur/other services
sonstiges | sonstiges | other
unbekannt | unbekannt | unknown
""",
    "kontakt_durch": """
betroffene_person | betroffene Person selbst | Affected person
angehoerige | Angehörige/Vertrauensperson | Relative/confidant
zeugin | Zeug*in | Witness
organisation | Organisation/Fachkraft | Organisation/professional
""",
    "anliegen": """
information | Information über Rechte | Information about rights
gehoert_werden | gehört werden/Entlastung | Being heard/relief
dokumentation | Vorfall dokumentieren | Documenting the incident
entschuldigung | Entschuldigung | Apology
verhaltensaenderung | Änderung des Verhaltens/der Praxis | Change of behaviour/practice
entschaedigung | Entschädigung/Schadensersatz | Compensation/damages
zugang | Zugang/Leistung erhalten | Obtaining access/a service
rechtliche_schritte | rechtliche Schritte | Legal steps
""",
    "agg_relevanz": """
agg_relevant | AGG-relevant | Within the AGG
nicht_agg_relevant | nicht AGG-relevant | Outside the AGG
anderes | anderes | other
keine_angabe | keine Angabe | not stated
""",
    "sprachmittlung": """
keine | keine | none
sprachmittlung | Sprachmittlung | Interpreter
dgs | Deutsche Gebärdensprache (DGS) | German Sign Language
""",
    "rolle": """
betroffen_ratsuchend | betroffen und ratsuchend | Affected and seeking advice
betroffen_nicht_ratsuchend | betroffen (nicht selbst ratsuchend) | Affected (not seeking advice)
ratsuchend_nicht_betroffen | ratsuchend, nicht betroffen | Seeking advice, not affected
""",
    "personenart": """
einzelperson | Einzelperson | Individual
gruppe_familie | Gruppe/Familie | Group/family
organisation | Organisation/Verein | Organisation/association
""",
    "altersgruppe": """
u18 | unter 18 | under 18
18_26 | 18–26 | 18–26
27_44 | 27–44 | 27–44
45_64 | 45–64 | 45–64
65_plus | 65+ | 65+
unbekannt | unbekannt | unknown
""",
    "geschlecht": """
weiblich | weiblich | female
maennlich | männlich | male
divers | divers | diverse
nicht_binaer | nicht-binär | non-binary
trans | trans | trans
selbstbeschreibung | Selbstbeschreibung | Self-description
keine_angabe | keine Angabe | not stated
""",
    "datumsgenauigkeit": """
tag | Tag | day
monat | Monat | month
jahr | Jahr | year
unbekannt | unbekannt | unknown
""",
    "zeug_innen": """
ja | ja | yes
nein | nein | no
unbekannt | unbekannt | unknown
""",
    "beweise": """
schriftlich | Schriftverkehr | Correspondence
foto_video | Foto/Video | Photo/video
zeug_innen | Zeug*innen | Witnesses
testing | Testing | Testing
statistik | Statistik | Statistics
keine | keine | none
""",
    "kontakt_kanal": """
persoenlich | persönlich (Beratungsstelle) | In person (office)
aufsuchend | aufsuchend/zu Hause | Outreach/home visit
telefon | telefonisch | Telephone
email | E-Mail | E-mail
video | Video | Video
online_plattform | Online-Beratungsplattform/Chat | Online platform/chat
brief | schriftlich/Brief | Letter
begleitung | Begleitung zu Terminen | Accompanying to appointments
""",
    "kontakt_mit": """
ratsuchende | Ratsuchende | Client
gegenseite | Gegenseite/Verursachende | Other side
dritte | Dritte (Anwält*in, Behörde, andere Beratungsstelle) | Third parties
intern | interne Fallbesprechung/Intervision | Internal case discussion
""",
    "intervention": """
nicht_rechtlich | Nicht-rechtliche Interventionen (über Beratung hinaus) | Non-legal interventions
  psychosoziale_unterstuetzung | psychosoziale Beratung/Empowerment | Psychosocial support/empowerment
  beschwerdebrief | Beschwerdebrief | Letter of complaint
  stellungnahme_anfordern | Bitte um Stellungnahme der Gegenseite | Request for a statement
  vermittlungsgespraech | Vermittlungs-/Schlichtungsgespräch, Moderation | Mediation
  begleitung | Begleitung zu Gesprächen/Stellen | Accompanying to meetings
  testing | Testing | Testing
  verweis | Verweis/Weitervermittlung an andere Stelle | Referral
  oeffentlichkeitsarbeit | Öffentlichkeitsarbeit/Skandalisierung | Public relations
  institutionelle_intervention | Gespräch mit Institution/Anstoß struktureller Veränderung | Talk with the institution
rechtlich_aussergerichtlich | Rechtliche, aber außergerichtliche Interventionen | Legal, out-of-court interventions
  rechtsinformation | Information über Rechte/Ansprüche | Information about rights
  geltendmachung_agg | schriftliche Geltendmachung nach § 15 (4) / § 21 (5) AGG | Written claim under the AGG
  dienstaufsichtsbeschwerde | Dienstaufsichts-/Fachaufsichtsbeschwerde | Supervisory complaint
  anwaltliche_vermittlung | Vermittlung an Rechtsanwält*in | Referral to a lawyer
  ads_schlichtung | Antrag bei der Schlichtungsstelle der ADS | Application to the ADS conciliation body
  strafanzeige | Strafanzeige | Criminal complaint
gerichtlich | Gerichtliche Interventionen | Court proceedings
  klage_arbeitsgericht | Klage beim Arbeitsgericht | Action at the labour court
  klage_zivilgericht | Klage beim Zivilgericht | Action at the civil court
  klage_verwaltungsgericht | Klage beim Verwaltungsgericht | Action at the administrative court
  beistand | Beistand/Prozessbegleitung (§ 23 AGG) | Assistance in court
  prozessstandschaft | Prozessstandschaft durch Antidiskriminierungsverband | Representative action
anderes | anderes | other
keine_angabe | keine Angabe | not stated
""",
    "intervention_ergebnis": """
offen | offen | open
erfolgreich | erfolgreich | successful
teilweise | teilweise erfolgreich | partly successful
erfolglos | erfolglos | unsuccessful
keine_reaktion | keine Reaktion | no response
""",
    "abschlussgrund": """
ziel_erreicht | Anliegen erreicht | Goal achieved
teilweise_erreicht | teilweise erreicht | Partly achieved
nicht_erreicht | nicht erreicht | Not achieved
abbruch_ratsuchende | von Ratsuchenden beendet/kein Kontakt mehr | Ended by the client
verwiesen | an andere Stelle verwiesen | Referred elsewhere
frist_versaeumt | rechtlich nicht mehr durchsetzbar (Frist) | Time-barred
gerichtlich_entschieden | gerichtlich entschieden | Decided by a court
vergleich | Vergleich/gütliche Einigung | Settlement
sonstiges | sonstiges | other
""",
    "wirkung": """
entschuldigung | Entschuldigung | Apology
entschaedigung | Entschädigung/Schadensersatz gezahlt | Compensation paid
zugang_gewaehrt | Zugang/Leistung gewährt | Access granted
verhaltensaenderung | Verhaltensänderung der Gegenseite | Change of behaviour
strukturelle_aenderung | Änderung von Regeln/Abläufen der Institution | Change of rules/procedures
sanktion | Sanktion gegen Verursachende | Sanction
empowerment | Stärkung/Entlastung der Ratsuchenden | Empowerment of the client
dokumentiert | Fall dokumentiert (ohne weitere Wirkung) | Documented (no further effect)
""",
    "reaktion": """
keine_reaktion | keine Reaktion | No response
zurueckgewiesen | zurückgewiesen | Rejected
eingeraeumt | eingeräumt | Admitted
teilweise_eingeraeumt | teilweise eingeräumt | Partly admitted
nicht_kontaktiert | nicht kontaktiert | Not contacted
""",
    "einwilligung": """
datenschutzinformation | Datenschutzinformation ausgehändigt | Privacy notice given
besondere_kategorien | Verarbeitung besonderer Kategorien | Processing of special categories
statistik | anonymisierte Statistik | Anonymised statistics
kontakt_gegenseite | Kontakt zur Gegenseite / zu Dritten | Contacting the other side / third parties
fallbeispiel | anonymisierte Veröffentlichung als Fallbeispiel | Anonymised publication as a case example
""",
    "kreis": KREISE,
}


def rows() -> list[dict[str, object]]:
    """Return every seed term as a row of ``vocab_terms`` (office_id NULL, in list order)."""
    out: list[dict[str, object]] = []
    for vocabulary, block in BLOCKS.items():
        parent: str | None = None
        for position, line in enumerate(x for x in block.splitlines() if x.strip()):
            code, label_de, label_en = (part.strip() for part in line.split("|"))
            level = 2 if line.startswith("  ") else 1
            if level == 1:
                parent = code
            elif parent is None:  # pragma: no cover - a malformed block above
                raise ValueError(f"{vocabulary}: level-2 term {code} without a parent")
            full = code if level == 1 else f"{parent}.{code}"
            out.append(
                {
                    "vocabulary": vocabulary,
                    "code": full,
                    "level": level,
                    "parent_code": None if level == 1 else parent,
                    "label_de": label_de,
                    "label_en": label_en,
                    "office_id": None,
                    "position": position,
                    "own_line": (vocabulary, full) in OWN_LINE,
                    "active": True,
                }
            )
    return out
