"""A seeded generator of synthetic LCR rows with varied, natural-looking conflicts.

The released LCR benchmark pastes every conflict in with a handful of templates at the start
of an unrelated passage, always with five documents and two candidate answers, so a detector
can learn the templates instead of the conflict. This generator writes rows in the same JSONL
format (see [`~lcr_hub.data.load_lcr_dataset`]) with its own topics, vocabulary and sentence
frames:

- the value sits anywhere in a sentence (start, middle, end), inside a document of one to
  four sentences about the same subject, in many sentence shapes;
- a row holds 2 to 8 documents, among them *distractors* that talk about the subject without
  stating the value, and *consistent paraphrases* that restate the gold value in another
  format ("1,500 metres" for "1.5 km", "March 14, 1889" for "14 March 1889", "M. Kasdan" for
  "Mirela Kasdan", "Dr Kasdan" for "Dr Mirela Kasdan", "received approval" for "was approved"),
  and quantities hedged on either side of a conflict ("about 1,240 people");
- L4 subjects named by a later, shorter mention ("the trust" for "the Corriston Wildlife
  Trust"), again on either side of a conflict;
- one or two conflicting values per row, always a strict minority (with two documents, one
  against one);
- side facts with *other* numbers ("A booklet about ... runs to 48 pages.") that are not
  conflicts.

Per-document ``answer`` annotations follow the spec's twin rule: a conflicting document's
``answer`` is the exact substring that states its value, and it occurs exactly once in the
document, so [`~lcr_hub.data.make_consistent_twin`] replaces it by ``gold_answer`` and the
twin holds no conflicting value. Documents that agree with the gold answer (verbatim or
reworded) and distractors carry ``answer == gold_answer`` by convention; the twin rule never
touches them.

Everything is drawn from ``random.Random`` instances seeded from the ``seed`` argument and the
row's level and index (no global random state, no set iteration, no ``hash()``), so a seed
always gives the same rows, and row *i* does not depend on how many rows are requested.

Example:
    ```py
    >>> from lcr_hub.data.generator import generate_rows, generate_consistent_rows, write_jsonl
    >>> rows = generate_rows(100, seed=42)              # 400 conflicting rows, 100 per level
    >>> negatives = generate_consistent_rows(200)       # all documents agree (label-0 rows)
    >>> write_jsonl(rows, "data/generated/conflicts.jsonl")
    ```
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...constants import LEVELS, MAX_DOCUMENTS
from ..twins import make_consistent_twin

__all__ = [
    "CONFLICT_TYPES",
    "generate_consistent_rows",
    "generate_rows",
    "generator_inventory",
    "write_jsonl",
]

#: The ``conflict_type`` written for each level.
CONFLICT_TYPES: dict[str, str] = {"L1": "temporal", "L2": "numerical", "L3": "entity", "L4": "semantic"}

_MAX_ATTEMPTS = 200
#: Share of the sentences without the value that are composed asides rather than stock sentences.
_ASIDE_SHARE = 0.6

#: Share of quantity mentions with a hedge in front ("about 1,240 people"), independently per
#: document: real sources round and hedge the same figure, and a hedge alone is no conflict.
_HEDGE_SHARE = 0.2
_HEDGES: tuple[str, ...] = ("about", "around", "some", "roughly", "approximately", "nearly")

#: Share of L4 claims followed by a tail that does not change the claim ("... will go ahead,
#: local people say"), on either side of a conflict: documents that agree rarely word a claim
#: the same way to the last word, and a different tail is no conflict.
_TAIL_SHARE = 0.3
_L4_TAILS: tuple[str, ...] = (
    ", the latest reports say", ", as things stand", " after all", " once again", ", to the surprise of some",
    ", as many had expected", ", local people say", ", it was confirmed on {weekday}",
    ", and few expect that to change", ", whatever some may have heard", ", as the notice explains",
    ", officials confirmed this week", ", following a review", ", after months of debate",
    ", a spokesperson said on {weekday}",
)

#: Later mentions of each L4 subject as a news report words them ("the trust" for "the {P}
#: Wildlife Trust"), used in a share of the claims on both sides of a conflict
#: (:data:`_SHORT_SUBJECT_SHARE`): documents that agree name their subject in different ways,
#: and a shorter name is no conflict.
_SHORT_SUBJECT_SHARE = 0.3
_L4_SHORT_SUBJECTS: dict[str, tuple[str, ...]] = {
    "the tap water in {P}": ("the tap water", "the water"),
    "the planning application for the {P} quarry": ("the planning application", "the quarry application"),
    "the {P} swimming pool": ("the pool", "the swimming pool"),
    "the mayor of {P}": ("the mayor",),
    "the {P} footbridge": ("the footbridge", "the bridge"),
    "{D}": ("the drug", "the medicine"),
    "the {P} rail strike": ("the strike", "the rail strike"),
    "the {P} Wildlife Trust": ("the trust", "the Wildlife Trust"),
    "the new {P} ring road": ("the ring road", "the new road"),
    "the {P} regional airline": ("the airline",),
    "the old {P} mill": ("the mill", "the old mill"),
    "the parents' ballot on the {P} school merger": ("the ballot", "the parents' ballot"),
    "swimming at {P} beach": ("swimming at the beach", "swimming there"),
    "the {P} biscuit factory": ("the factory", "the biscuit factory"),
    "the repair work on the {P} bridge": ("the repair work", "the work on the bridge"),
    "the {P} Philharmonic": ("the orchestra", "the Philharmonic"),
    "the {P} council budget": ("the budget", "the council's budget"),
    "the {P} ridge trail": ("the trail", "the ridge trail"),
    "the {P} teachers' union": ("the union", "the teachers' union"),
    "the {P} herring fishery": ("the fishery", "the herring fishery"),
    "the ruined castle at {P}": ("the castle", "the ruined castle"),
    "the {P} election result": ("the result", "the election result"),
    "the {P} nuclear plant": ("the plant", "the nuclear plant"),
    "the {P} bakery chain": ("the chain", "the bakery chain"),
    "the {P} toll bridge": ("the bridge", "the toll bridge"),
    "{P} Royal Infirmary": ("the infirmary", "the hospital"),
    "the {P} language course": ("the course", "the language course"),
    "the {P} lantern festival": ("the festival", "the lantern festival"),
    "the {P} tree frog": ("the frog", "the tree frog"),
    "the {P} trade deal": ("the deal", "the trade deal"),
    "the old wall around {P}": ("the wall", "the old wall"),
    "the {P} recycling scheme": ("the scheme", "the recycling scheme"),
    "the {P} bus service": ("the service", "the bus service"),
    "Lake {P}": ("the lake",),
    "the chemical plant near {P}": ("the plant", "the chemical plant"),
    "the {P} apartment tower": ("the tower", "the apartment tower"),
    "the nasal flu vaccine in {P}": ("the vaccine", "the nasal vaccine"),
    "the {P} tennis club": ("the club", "the tennis club"),
    "the {P} housing plan": ("the plan", "the housing plan"),
    "the {P} Gazette": ("the Gazette", "the paper"),
    "the {P} youth orchestra": ("the orchestra", "the youth orchestra"),
    "the {P} night market": ("the market", "the night market"),
    "the power cut in {P}": ("the power cut", "the outage"),
    "the derailment near {P}": ("the derailment", "the crash"),
    "the closure of the {P} leisure centre": ("the closure", "the centre's closure"),
    "the flooding in {P} town centre": ("the flooding", "the floods"),
    "the independent candidate in {P}": ("the independent candidate", "the independent"),
    "the {P} netball team": ("the team", "the netball team"),
    "the collie from {P}": ("the collie", "the dog"),
    "the {P} flood barrier": ("the barrier", "the flood barrier"),
    "the new {P} stadium": ("the stadium", "the new stadium"),
    "the former treasurer of the {P} rowing club": ("the former treasurer", "the club's former treasurer"),
    "the employment tribunal in the {P} dock workers' case": ("the tribunal", "the employment tribunal"),
    "the {P} half marathon": ("the race", "the half marathon"),
    "the public inquiry into the {P} reservoir": ("the inquiry", "the public inquiry"),
    "the head of the {P} fire service": ("the fire chief", "the head of the fire service"),
    "the last blacksmith in {P}": ("the blacksmith", "the last blacksmith"),
    "the chair of the {P} bowls club": ("the chair", "the club's chair"),
    "the {P} towpath": ("the towpath", "the path"),
    "{P} Abbey": ("the abbey",),
    "barbecues in {P} Country Park": ("barbecues in the park", "barbecues there"),
    "the broadband network in {P}": ("the network", "the broadband network"),
    "the {P} sixth-form college": ("the college", "the sixth-form college"),
    "the {P} farmers' union": ("the union", "the farmers' union"),
    "the {P} residents' association": ("the association", "the residents' association"),
    "the shellfish from {P} harbour": ("the shellfish", "shellfish from the harbour"),
    "the {P} care home": ("the care home", "the home"),
    "the air in {P}": ("the air", "the town's air"),
    "the {P} school crossing patrol": ("the crossing patrol", "the patrol"),
    "the {P} sleeper train": ("the sleeper train", "the sleeper"),
}

# ---------------------------------------------------------------------------------------------
# Vocabulary: invented names. None of them contains a digit.
# ---------------------------------------------------------------------------------------------

PLACES: tuple[str, ...] = (
    "Brennock", "Corriston", "Elmsworth", "Farrowby", "Glenarrow", "Ivelport", "Kestwick",
    "Lowmarsh", "Maddenford", "Norhaven", "Ostrey", "Pellham", "Quarrington", "Redwater",
    "Saltmere", "Tarnbury", "Ulverholm", "Vossberg", "Wendlecombe", "Yarrowdale", "Ashcombe",
    "Belthorpe", "Calderwick", "Dunhallow", "Eskerby", "Fenmoor", "Greyhaven", "Hollinsgate",
    "Inchmara", "Jarrowby", "Kilbrannan", "Marrowick", "Nettlebury", "Orrin Bay", "Penwarren",
    "Ravensholt", "Stenford", "Thornmere", "Upwell", "Varnholm", "Westerby", "Aldercombe",
    "Birchfold", "Cranmoor", "Dellwick", "Emberton", "Foxhollow", "Gallowmere", "Harrowfield",
    "Ironhurst", "Juniper Falls", "Kettleby", "Lanthorne", "Millbrook", "Northwold", "Oakhaven",
    "Pilsmoor", "Quenby", "Rothmere", "Silvercombe", "Tidewell", "Ullswick", "Valebridge",
    "Whitlow", "Yelverholt", "Zennick", "Arnholt", "Bexley Vale", "Coldharbour", "Dunmarrow",
    "Eastwold", "Fallowmere", "Gorsebury", "Hatherwick", "Kingsmere", "Larkfield", "Marsden Cove",
    "Netherby", "Ormsby Point", "Portlake", "Ravenmoor", "Sandwick", "Thistlecombe", "Wrenfield",
)

FIRST_NAMES: tuple[str, ...] = (
    "Mirela", "Tomas", "Ingrid", "Kofi", "Aiko", "Rafael", "Helena", "Dmitri", "Amara", "Lucas",
    "Sunita", "Pieter", "Noor", "Eamon", "Wen", "Beatriz", "Oskar", "Leila", "Jonas", "Priya",
    "Matteo", "Freya", "Ibrahim", "Clara", "Yusuf", "Hanna", "Emil", "Rosa", "Tariq", "Greta",
    "Mateus", "Isolde", "Kwame", "Lena", "Anders", "Farah", "Milan", "Agnes", "Samuel", "Chiara",
    "Viktor", "Maren", "Idris", "Elsa", "Ravi", "Margit", "Teodor", "Nadia", "Felix", "Sigrid",
    "Arjun", "Camille", "Bruno", "Dalia", "Henrik", "Yara", "Julian", "Esther", "Nikolai", "Ottilie",
)

LAST_NAMES: tuple[str, ...] = (
    "Kasdan", "Holloway", "Brandt", "Okafor", "Tanaka", "Ferreira", "Lindqvist", "Moravec",
    "Adeyemi", "Carvalho", "Nakamura", "Osei", "Petrov", "Quinlan", "Rasmussen", "Sandoval",
    "Thorne", "Ulrich", "Varga", "Whitcombe", "Yilmaz", "Zeller", "Albrecht", "Bellamy",
    "Castellano", "Drummond", "Eriksen", "Fairbairn", "Gallagher", "Haddad", "Iversen", "Jansen",
    "Kowalczyk", "Lachance", "Mbatha", "Novak", "Oyelaran", "Pemberton", "Quaresma", "Rourke",
    "Strand", "Tremaine", "Underhill", "Vasquez", "Wexford", "Yoshida", "Zamora", "Abernethy",
    "Blackwood", "Corrigan", "Desrosiers", "Everard", "Falkner", "Grimaldi", "Hartigan", "Ingram",
    "Jovanovic", "Kirkland", "Lomax", "Marchetti", "Nordin", "Ostrowski", "Prentice", "Radcliffe",
    "Sorensen", "Takahashi", "Vance", "Winslow", "Ashdown", "Mwangi",
)

_TITLE_ADJECTIVES: tuple[str, ...] = (
    "Silent", "Copper", "Hollow", "Northern", "Broken", "Paper", "Distant", "Salt", "Amber",
    "Quiet", "Glass", "Iron", "Last", "Narrow", "Burning", "Sleeping", "Golden", "Crooked",
    "Patient", "Wandering", "Bitter", "Lonely", "Scarlet", "Velvet", "Restless", "Borrowed",
)
_TITLE_NOUNS: tuple[str, ...] = (
    "Harbour", "Orchard", "Meridian", "Lantern", "Garden", "Field", "Tide", "Archive", "Crossing",
    "Season", "Signal", "Mirror", "Shore", "River", "Engine", "Kingdom", "Lighthouse", "Compass",
    "Letter", "Valley", "Island", "Choir", "Threshold", "Ledger", "Weather", "Hourglass",
)

DRUG_NAMES: tuple[str, ...] = (
    "Corvatin", "Plenexa", "Dorvalex", "Miravet", "Tesolin", "Quantrex", "Halvorin", "Zeprada",
    "Lumicet", "Ostravine", "Pexomil", "Renadol", "Sylvexa", "Tavorin", "Ulmidex", "Vestrana",
    "Brenzolin", "Cardovex", "Norlitra", "Fenzarin",
)

_MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_SEASONS: tuple[str, ...] = ("spring", "summer", "autumn", "winter")
_CURRENCIES: tuple[tuple[str, str], ...] = (("$", "dollars"), ("€", "euros"), ("£", "pounds"))

#: Written sources ("In {doc}, ...") and bodies that speak ("{body} said ..."); {source} is either.
DOC_SOURCES: tuple[str, ...] = (
    "a local newspaper", "the official register", "a recent guidebook", "the project's own website",
    "an independent review", "a national newspaper", "the annual report", "a trade magazine",
    "an encyclopedia entry", "the official website", "a press release", "a university study",
    "a recent survey", "a government report", "an engineering journal", "a heritage survey",
    "the parish magazine", "a museum catalogue", "the weekly bulletin", "a history of the district",
)
BODY_SOURCES: tuple[str, ...] = (
    "the county archive", "the town council", "the regional planning office",
    "the regional statistics office", "the local historical society", "the visitor centre",
    "the regional broadcaster", "the tourist office", "the records office", "the civic trust",
)
SOURCES: tuple[str, ...] = DOC_SOURCES + BODY_SOURCES

_WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

# ---------------------------------------------------------------------------------------------
# Context sentences (no value, no digit). Generic ones keep the subject out of subject
# position so that they read well for any subject; category ones may open with it.
# ---------------------------------------------------------------------------------------------

GENERIC_CONTEXT: tuple[str, ...] = (
    "Local historians have written a good deal about {s}.",
    "There is a short entry on {s} in most regional guides.",
    "Several newspapers have covered {s} over the years.",
    "Opinions about {s} differ widely in the area.",
    "A small display about {s} can be seen in the public library.",
    "People still talk about {s} on local forums.",
    "Few visitors from outside the region know much about {s}.",
    "Schoolchildren in the area learn about {s} in their local history lessons.",
    "Further material about {s} is held in the regional archive.",
    "A radio programme about {s} was broadcast not long ago.",
    "The tourist office hands out a leaflet about {s}.",
    "A retired teacher has spent years collecting stories about {s}.",
    "Interest in {s} has grown since a television feature was broadcast.",
    "The local museum keeps a folder of press cuttings about {s}.",
    "Walking tours of the district sometimes stop to talk about {s}.",
    "Articles about {s} tend to repeat the same handful of anecdotes.",
    "Not much has been published about {s} outside the region.",
)

CATEGORY_CONTEXT: dict[str, tuple[str, ...]] = {
    "structure": (
        "{S} is built largely of local stone.",
        "{S} stands close to the old market square.",
        "Repairs to {s} were carried out after a severe storm.",
        "{S} appears on many postcards sold in the area.",
        "Engineers still cite {s} as an example of careful design.",
        "The view from {s} is popular with photographers.",
        "A preservation group campaigns for the upkeep of {s}.",
        "{S} was given a new coat of paint during its last renovation.",
        "At night {s} is lit by a row of floodlights.",
        "Old photographs of {s} turn up in many family albums in the district.",
    ),
    "heritage": (
        "{S} is remembered fondly by older residents.",
        "A society of enthusiasts keeps the memory of {s} alive.",
        "Old photographs of {s} turn up in many family albums in the district.",
        "A model of {s} is on display at the local museum.",
        "Traces of {s} can still be seen around the town.",
        "Stories about {s} are still told in the district.",
    ),
    "route": (
        "{S} is busy at rush hour.",
        "Cyclists and drivers both use {s}.",
        "Roadworks on {s} are a regular topic in the local paper.",
        "{S} passes close to several villages.",
        "The signs along {s} were replaced not long ago.",
        "Residents living near {s} have complained about noise.",
        "Delivery drivers know {s} well.",
    ),
    "organisation": (
        "{S} has a reputation for keeping detailed records.",
        "The membership of {s} has changed a great deal over the years.",
        "{S} moved to larger premises as it grew.",
        "Portraits of former leaders hang in the offices of {s}.",
        "{S} publishes a newsletter for its members.",
        "The early history of {s} is told in a privately printed booklet.",
        "{S} funds a scholarship for local students.",
        "Former staff of {s} meet for a reunion every few years.",
    ),
    "event": (
        "{S} drew visitors from neighbouring towns.",
        "Many families in the district have stories about {s}.",
        "Newspapers of the time covered {s} in some detail.",
        "{S} is commemorated by a small plaque near the town hall.",
        "Photographs taken during {s} survive in private collections.",
        "The organisers of {s} relied heavily on volunteers.",
        "{S} is still mentioned whenever older residents talk about the past.",
    ),
    "book": (
        "{S} received mixed reviews at first.",
        "Critics have since judged {s} more kindly.",
        "{S} has been translated into several languages.",
        "{S} is still read in university courses.",
        "{S} was adapted for radio.",
        "Early copies of {s} are now hard to find.",
        "A scholarly edition of {s} includes a long introduction.",
    ),
    "performance": (
        "{S} received mixed reviews at first.",
        "Critics have since judged {s} more kindly.",
        "{S} is still performed or screened at festivals.",
        "{S} has a small but devoted following.",
        "Recordings of {s} circulate among collectors.",
        "Audiences at the first showing of {s} were reportedly divided.",
    ),
    "person": (
        "{S} grew up in a large family.",
        "{S} kept a diary for many years.",
        "Friends described {s} as patient and quietly determined.",
        "Letters written by {s} are held in a university library.",
        "{S} travelled widely before settling down.",
        "A street in the old quarter is named after {s}.",
        "{S} rarely gave interviews.",
        "Former colleagues remember {s} as a generous mentor.",
    ),
    "science": (
        "{S} has been studied by researchers from several countries.",
        "Material connected with {s} is held in a university collection.",
        "{S} attracted the attention of amateur enthusiasts.",
        "A scientific paper on {s} is still widely cited.",
        "{S} is mentioned in several textbooks.",
        "Researchers continue to debate what {s} can tell them.",
    ),
    "product": (
        "{S} was advertised widely in regional newspapers.",
        "Collectors look out for early examples of {s}.",
        "{S} went through several design changes.",
        "Reviews of {s} praised its reliability.",
        "{S} is still remembered fondly by many users.",
        "Spare parts for {s} are now difficult to find.",
    ),
    "policy": (
        "{S} was debated at length before it took effect.",
        "Critics argued that {s} did not go far enough.",
        "Supporters of {s} held public meetings across the region.",
        "The wording of {s} was revised several times during drafting.",
        "Legal scholars have written commentaries on {s}.",
        "Copies of {s} are kept in the regional records office.",
    ),
    "transport": (
        "{S} serves both commuters and tourists.",
        "Timetables for {s} are posted at the main station.",
        "{S} has a loyal group of regular passengers.",
        "Plans to expand {s} are discussed from time to time.",
        "Railway enthusiasts often photograph {s}.",
        "Tickets for {s} can be bought at the harbour office.",
    ),
    "nature": (
        "{S} is popular with walkers and birdwatchers.",
        "The landscape around {s} changes dramatically with the seasons.",
        "{S} appears in several paintings by regional artists.",
        "Conservation volunteers work regularly at {s}.",
        "Maps of {s} show a network of footpaths.",
        "Early morning mist often hangs over {s}.",
    ),
    "sport": (
        "{S} has a passionate local following.",
        "Supporters of {s} travel widely to watch.",
        "{S} trains on a field just outside town.",
        "Young players in the district dream of joining {s}.",
        "Results involving {s} are printed in the weekend paper.",
    ),
    "issue": (
        "{S} has been in the news repeatedly this year.",
        "Residents have strong opinions about {s}.",
        "Questions about {s} were raised at a recent public meeting.",
        "A local campaign group has been following {s} closely.",
        "{S} was discussed on a regional radio phone-in.",
        "Councillors have been asked about {s} many times.",
        "Letters about {s} regularly appear in the local paper.",
        "Many people first heard about {s} through social media.",
        "Business owners in the area are watching {s} with interest.",
        "A reporter for the weekly bulletin has written several pieces about {s}.",
        "Parents at the school gate often talk about {s}.",
        "The topic of {s} came up again at the last residents' association meeting.",
        "A short explainer about {s} was published online.",
        "Neighbouring towns have been following the story of {s}.",
        "People queued to ask officials about {s} at a drop-in session.",
        "The regional broadcaster ran a feature on {s}.",
        "Online forums have long threads about {s}.",
        "A student project last term looked at {s}.",
    ),
}

#: Side facts with other numbers: not the question's value, so never a conflict.
_COUNT_SIDE_FACTS: tuple[str, ...] = (
    "A booklet about {s} runs to {k} pages.",
    "The regional archive holds {k} photographs related to {s}.",
    "An online gallery shows {k} pictures of {s}.",
    "Last year {k} letters about {s} were sent to the local paper.",
    "A petition about {s} gathered {k} signatures.",
)
_ISSUE_SIDE_FACTS: tuple[str, ...] = (
    "A petition about {s} gathered {k} signatures.",
    "{k} people attended the last public meeting about {s}.",
    "An online poll about {s} drew {k} responses.",
    "The council received {k} emails about {s} last month.",
)
_YEAR_SIDE_FACTS: tuple[str, ...] = (
    "A booklet about {s} was printed in {y}.",
    "A documentary about {s} was filmed in {y}.",
    "{S} featured in a regional exhibition in {y}.",
    "A walking guide that covers {s} came out in {y}.",
)

# ---------------------------------------------------------------------------------------------
# Composed asides: sentences about some *other* detail of the subject or its place, built from
# parts so that a detector cannot learn a fixed list of "sentences without the value". They
# may name other people, organisations and places in other roles, other counts, and years
# later than every value of the row, never the question's value. Slots: {s}/{S} subject,
# {detail} a detail of it (singular or plural, with a predicate that agrees), {N} another
# person, {O} another organisation, {P} the row's place, {Q} another place, {adj}, {thing},
# {group}, {job}, {facility}, {transport}, {weekday}, {k} a count, {y} a year.
# ---------------------------------------------------------------------------------------------

_ASIDE_DETAILS_ONE: tuple[str, ...] = (
    "entrance", "roof", "car park", "website", "logo", "garden", "cafe", "archive", "gift shop",
    "main hall", "newsletter", "noticeboard", "paintwork", "lighting", "kitchen", "courtyard",
    "visitors' book", "board of trustees", "annual dinner", "caretaker", "ticket office", "heating",
    "oldest photograph", "front door", "signpost", "mailing list", "souvenir guide", "library corner",
)
_ASIDE_DETAILS_MANY: tuple[str, ...] = (
    "volunteers", "staff", "regulars", "neighbours", "windows", "opening hours", "records",
    "early photographs", "rules", "walls", "souvenirs", "stairs", "benches", "flower beds",
)
_ASIDE_PREDICATES: tuple[tuple[str, str], ...] = (  # (singular, plural)
    ("has changed little over the years", "have changed little over the years"),
    ("was repainted a few summers ago", "were repainted a few summers ago"),
    ("is often praised in online reviews", "are often praised in online reviews"),
    ("drew complaints from neighbours at first", "drew complaints from neighbours at first"),
    ("is looked after by a small group of volunteers", "are looked after by a small group of volunteers"),
    ("is smaller than most people expect", "are fewer than most people expect"),
    ("needs constant attention", "need constant attention"),
    ("was the subject of a short article in the weekly bulletin", "were the subject of a short article in the weekly bulletin"),
    ("is easy to miss from the road", "are easy to miss from the road"),
    ("is a favourite with photographers", "are a favourite with photographers"),
    ("was paid for by a local appeal", "were paid for by a local appeal"),
    ("is rarely mentioned in guidebooks", "are rarely mentioned in guidebooks"),
    ("became a talking point when it was replaced", "became a talking point when they were replaced"),
    ("looks much as it did in old photographs", "look much as they did in old photographs"),
    ("is cold and damp in winter", "are cold and damp in winter"),
    ("is the part that visitors remember best", "are what visitors remember best"),
    ("was chosen by {N}, a local {job}", "were chosen by {N}, a local {job}"),
    ("is managed by {O}", "are managed by {O}"),
    ("is the work of {N}", "are the work of {N}"),
    ("was done up with money from {O}", "were done up with money from {O}"),
    ("was photographed by {N} for a calendar", "were photographed by {N} for a calendar"),
    ("was moved to {Q} for safekeeping", "were moved to {Q} for safekeeping"),
    ("was praised by {N} in a letter to the paper", "were praised by {N} in a letter to the paper"),
    ("was last updated in {y}", "were last updated in {y}"),
    ("was replaced in {y}", "were replaced in {y}"),
)
_ASIDE_FRAMES: tuple[str, ...] = (
    "{Detail_of_s} {predicate}.",
    "{S_poss} {detail} {predicate}.",
    "Regular visitors say that {s_poss} {detail} {predicate}.",
    "{S} is known locally for its {adj} {thing}.",
    "Visitors to {s} often comment on the {adj} {thing} nearby.",
    "The nearest {facility} to {s} is in {Q}.",
    "{S} was mentioned in passing in a novel by {N}.",
    "A painting of {s} by {N} hangs in a cafe in {Q}.",
    "On {weekday} evenings a {group} meets near {s}.",
    "There is {a_adj} {thing} a short walk from {s}.",
    "{N} remembers visiting {s} as a child.",
    "Parking near {s} is limited, especially at weekends.",
    "The {thing} beside {s} is older than it looks.",
    "Most people reach {s} by {transport}.",
    "{S} shares a {thing} with {O}.",
    "A {job} called {N} keeps bees in a garden close to {s}.",
    "{N}, a {job} from {Q}, has a soft spot for {s}.",
    "The {group} that meets near {s} has about {k} members.",
    "About {k} people follow {s_poss} page online.",
    "{A_adj} {thing} was added next to {s} in {y}.",
    "{N} wrote a short poem about {s_poss} {detail}.",
    "{P} is a small place with a market on {weekday}s.",
    "The nearest {facility} to {P} is a short drive away.",
    "Many families in {P} have lived there for generations.",
    "{P} has {a_adj} {thing} that visitors like to photograph.",
    "The {group} in {P} meets on {weekday} evenings.",
    "{N}, a {job} in {P}, has lived in the area for most of her life.",
    "Houses in {P} are mostly built of brick and slate.",
    "The road into {P} floods after heavy rain.",
    "{P} lies about {m} minutes' walk from {Q}.",
)
#: Frames that do not name the subject: for subjects that are people, events, works or claims.
_PLACE_ASIDE_FRAMES: tuple[str, ...] = tuple(f for f in _ASIDE_FRAMES if "{P}" in f)
_ASIDE_ADJECTIVES: tuple[str, ...] = (
    "small", "old", "crooked", "painted", "narrow", "bright", "quiet", "cramped", "handsome",
    "battered", "tiny", "overgrown", "elegant", "draughty", "cheerful", "weathered", "unusual",
    "modest", "striking", "tidy",
)
_ASIDE_THINGS: tuple[str, ...] = (
    "clock", "garden", "staircase", "mural", "bench", "weathervane", "fountain", "archway",
    "orchard", "footbridge", "bandstand", "chapel", "mill pond", "tea room", "statue", "well",
    "hedge maze", "gatehouse", "rose bed", "allotment",
)
_ASIDE_GROUPS: tuple[str, ...] = (
    "choir", "book club", "running club", "knitting circle", "model railway society",
    "history group", "youth club", "photography club", "chess club", "walking group",
)
_ASIDE_JOBS: tuple[str, ...] = (
    "retired teacher", "photographer", "carpenter", "journalist", "gardener", "shopkeeper",
    "painter", "postman", "nurse", "librarian", "fisherman", "baker",
)
_ASIDE_FACILITIES: tuple[str, ...] = (
    "railway station", "post office", "pharmacy", "petrol station", "supermarket", "bus stop",
    "primary school", "cash machine",
)
_ASIDE_TRANSPORT: tuple[str, ...] = ("bus", "bicycle", "car", "ferry", "train", "coach")
_ORG_KINDS: tuple[str, ...] = ("Trust", "Society", "Partnership", "Foundation", "Friends' Group", "Cooperative")


def _possessive(noun_phrase: str) -> str:
    return noun_phrase + ("'" if noun_phrase.endswith("s") else "'s")


#: Topic categories whose subject is a place, building, body or team ("its garden", "parking near it").
_ASIDE_SUBJECT_CATEGORIES = frozenset({"structure", "organisation", "nature", "transport", "sport", "heritage", "route"})


def _aside(rng: random.Random, subject: str, place: str, *, min_year: int | None, subject_frames: bool) -> str | None:
    """One composed aside (see above), or None when its year would not be later than the row's values."""
    frame = rng.choice(_ASIDE_FRAMES if subject_frames else _PLACE_ASIDE_FRAMES)
    plural = rng.random() < 0.35
    detail = rng.choice(_ASIDE_DETAILS_MANY if plural else _ASIDE_DETAILS_ONE)
    predicate = rng.choice(_ASIDE_PREDICATES)[1 if plural else 0]
    if "{y}" in frame or "{y}" in predicate:
        lo = max(1975, (min_year or 0) + 5)
        if lo > 2023:
            return None
        year = str(rng.randint(lo, 2023))
    else:
        year = ""
    other_place = rng.choice([p for p in PLACES if p not in place and p not in subject])
    adjective = rng.choice(_ASIDE_ADJECTIVES)
    slots = {
        "predicate": predicate,
        "detail": detail,
        "Detail_of_s": f"The {detail} of {subject}",
        "s_poss": _possessive(subject),
        "S_poss": _cap(_possessive(subject)),
        "s": subject,
        "S": _cap(subject),
        "N": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "O": f"the {other_place} {rng.choice(_ORG_KINDS)}",
        "P": place,
        "Q": other_place,
        "adj": adjective,
        "a_adj": f"{_article(adjective)} {adjective}",
        "A_adj": f"{_cap(_article(adjective))} {adjective}",
        "m": str(rng.randint(5, 55)),
        "thing": rng.choice(_ASIDE_THINGS),
        "group": rng.choice(_ASIDE_GROUPS),
        "job": rng.choice(_ASIDE_JOBS),
        "facility": rng.choice(_ASIDE_FACILITIES),
        "transport": rng.choice(_ASIDE_TRANSPORT),
        "weekday": rng.choice(_WEEKDAYS),
        "k": str(rng.randint(12, 480)),
        "y": year,
    }
    text = frame
    for _ in range(2):  # the predicate brings its own slots
        text = _PLACEHOLDER.sub(lambda m: slots.get(m.group(1), m.group(0)), text)
    return text


# ---------------------------------------------------------------------------------------------
# Sentence frames. Slots: {s} subject, {v} value, {in_v} value with its preposition (L1),
# {vp} the topic's verb phrase with the value, {source}, {aside}, {comment}, and topic slots.
# A capitalised slot ({S}, {V}, {In_v}, {The_attr}, ...) is capitalised.
# ---------------------------------------------------------------------------------------------

_L1_FRAMES: tuple[str, ...] = (
    "{S} {event} {in_v}.",
    "{In_v}, {s} {event}.",
    "According to {source}, {s} {event} {in_v}.",
    "It was {in_v} that {s} {event}.",
    "{S} {event} {in_v}, {aside}.",
    "{Source} records that {s} {event} {in_v}.",
    "Most accounts agree that {s} {event} {in_v}.",
    "{V} was the {unit} {s} {event}.",
    "The {noun} of {s} took place {in_v}.",
    "The date usually given for the {noun} of {s} is {v}.",
    "{Source} gives {v} as the {unit} of the {noun} of {s}.",
    "Local tradition holds that {s} {event} {in_v}.",
    "{In_v} {s} {event}, {aside}.",
    "As {source} notes, {s} {event} {in_v}.",
    "A short note in {doc} says {s} {event} {in_v}.",
    "Few people now recall that {s} {event} {in_v}.",
    "The {noun} of {s} {in_v} was widely reported at the time.",
    "When {s} {event} {in_v}, {reaction}.",
    "{S} {event} {in_v} - {aside}.",
    "Written sources place the {noun} of {s} {in_v}.",
    "Ask anyone in the area and they will tell you that {s} {event} {in_v}.",
    "The {noun} of {s} is generally dated to {v}.",
    "{Source} lists {v} for the {noun} of {s}.",
    "It is well documented that {s} {event} {in_v}.",
    "Records from the period confirm that {s} {event} {in_v}.",
    "Old papers kept by {body} show that {s} {event} {in_v}.",
    "There is a record of the {noun} of {s} dated {v}.",
    "By most reckonings, {s} {event} {in_v}.",
    "{Source} is clear that {s} {event} {in_v}.",
    "Those who have studied the matter say {s} {event} {in_v}.",
)

_L2_FRAMES: tuple[str, ...] = (
    "{The_attr} {cop} {v}.",
    "According to {source}, {the_attr} {cop} {v}.",
    "{S} {vp}.",
    "{Source} puts {the_attr} at {v}.",
    "{V} is the figure {source} gives for {the_attr}.",
    "{Source} lists {the_attr} as {v}.",
    "Officials confirmed that {the_attr} {cop} {v}.",
    "It is often pointed out that {s} {vp}.",
    "In {doc}, {the_attr} is given as {v}.",
    "{The_attr}, given as {v} in {doc}, is often quoted.",
    "Figures from {source} show that {s} {vp}.",
    "{S} {vp}, {aside}.",
    "The most recent figure for {the_attr} is {v}.",
    "{The_attr} was recorded as {v} by {source}.",
    "{V} - that is {the_attr}, according to {source}.",
    "By the count of {source}, {the_attr} {cop} {v}.",
    "A spokesperson said that {s} {vp}.",
    "{The_attr} stands at {v}, {source} reports.",
    "As {source} notes, {s} {vp}.",
    "{Source} reported last year that {s} {vp}.",
    "The official figure for {the_attr} is {v}.",
    "Put simply, {s} {vp}.",
    "{S} {vp} - {aside}.",
    "Going by {source}, {the_attr} {cop} {v}.",
    "{V} is the number quoted in {doc} for {the_attr}.",
    "Anyone who checks {doc} will find that {the_attr} {cop} {v}.",
    "{Source} states that {s} {vp}.",
    "Few people realise that {s} {vp}.",
    "The figure of {v} for {the_attr} comes from {source}.",
    "When asked, a spokesperson said {the_attr} {cop} {v}.",
)

_L3_FRAMES: tuple[str, ...] = (
    # Frames every entity kind can use.
    "{S} {vp}.",
    "According to {source}, {s} {vp}.",
    "{The_role} {cop} {v}.",
    "{V} {cop} {the_role}.",
    "{Source} names {v} as {the_role}.",
    "Most accounts agree that {s} {vp}.",
    "{S}, {rel} {vp}, {comment}.",
    "Records kept by {body} show that {s} {vp}.",
    "Few people realise that {s} {vp}.",
    "In {doc}, {the_role} is given as {v}.",
    "{S} {vp}, {aside}.",
    "Ask around and most people will tell you that {s} {vp}.",
    "{Source} leaves no doubt that {s} {vp}.",
    "Available records show that {s} {vp}.",
    "Officially, {the_role} {cop} {v}.",
    "{V} is the name that appears in {doc} as {the_role}.",
    "As {source} notes, {the_role} {cop} {v}.",
    "Put simply, {s} {vp}.",
    "{S} {vp} - {aside}.",
    # People and organisations.
    "{V} {active}.",
    "It {cop} {v} {who} {active}.",
    "Credit for {credit} goes to {v}.",
    "{Source} confirms that {v} {active}.",
    "It is widely accepted that {v} {active}.",
    "{V}, {source} says, {active}.",
    "The name most often linked to {credit} is {v}.",
    "Behind {credit} stood {v}.",
    # Places.
    "{V} is where {where}.",
    "It {cop} {prep} {v} that {where}.",
    "{Source} says that {where} {prep} {v}.",
)

_L4_FRAMES: tuple[str, ...] = (
    "{S} {v}.",
    "According to {source}, {s} {v}.",
    "{Source} reports that {s} {v}.",
    "Officials said this week that {s} {v}.",
    "It is now clear that {s} {v}.",
    "{S} {v}, according to {source}.",
    "Residents have been told that {s} {v}.",
    "A spokesperson insisted that {s} {v}.",
    "In a short statement, {body} said that {s} {v}.",
    "{Source} has confirmed that {s} {v}.",
    "Most people in the area now accept that {s} {v}.",
    "Those following the story closely say {s} {v}.",
    "After reviewing the evidence, {body} concluded that {s} {v}.",
    "It was announced on {weekday} that {s} {v}.",
    "{S} {v} - {aside}.",
    "The latest update makes it plain: {s} {v}.",
    "Whatever the rumours say, {s} {v}.",
    "There is now little doubt that {s} {v}.",
    "According to people familiar with the matter, {s} {v}.",
    "{Source} states plainly that {s} {v}.",
    "As things stand, {s} {v}.",
    "Local radio reported on {weekday} that {s} {v}.",
    "A notice on the website of {body} says that {s} {v}.",
    "In an interview, a senior official explained that {s} {v}.",
    "It has been confirmed that {s} {v}, {aside}.",
    "Based on what {source} has published, {s} {v}.",
    "That {s} {v} is now widely accepted.",
    "The news that {s} {v} surprised many people.",
    "Whether or not it pleases everyone, {s} {v}.",
    "{S} {v}; {source} made this clear in its latest update.",
    "Speaking on {weekday}, a spokesperson said {s} {v}.",
)

_ASIDES: dict[str, tuple[str, ...]] = {
    "L1": (
        "as the town's records show", "according to those who were there",
        "although the details were only written down later", "a date that is often repeated",
        "as several sources agree", "to considerable local interest", "as the newspapers of the time reported",
        "a detail most local guides mention", "as family papers of the time confirm",
    ),
    "L2": (
        "a figure that is often quoted", "a number that surprises many visitors",
        "a figure often cited by local campaigners", "as the published figures show",
        "according to the latest count", "which makes it notable in the region",
        "a figure that rarely changes from year to year", "as the official records state",
    ),
    "L3": (
        "as local guides like to point out", "a fact often repeated in the region",
        "as the records of the time show", "according to most published accounts",
        "a detail mentioned in most guidebooks", "as older residents will tell you",
        "something the official history makes plain",
    ),
    "L4": (
        "a point made in several local reports", "according to the most recent statement",
        "as officials have now confirmed", "a message repeated at the latest public meeting",
        "as the published notice makes clear", "according to those involved",
    ),
}
_COMMENTS: tuple[str, ...] = (
    "is mentioned in most local guides", "has been the subject of several articles",
    "is often discussed by local historians", "features in a small exhibition at the library",
    "comes up often in conversations about the region", "is well known in the district",
)
_REACTIONS: tuple[str, ...] = (
    "few people outside the region took notice", "the news was reported in several newspapers",
    "the news travelled quickly", "a crowd gathered to watch", "the local paper printed a special edition",
    "many residents came out to see it",
)

# ---------------------------------------------------------------------------------------------
# Topics. Name placeholders: {P} and {P2} places, {N} a person, {T} a title, {O} an
# organisation, {D} a medicine. Topic values are row-level slots of the frames.
# ---------------------------------------------------------------------------------------------

# L1: event (past verb phrase), noun (optional event noun), era (year range).
_L1_TOPICS: tuple[dict[str, Any], ...] = (
    {"s": "the {P} Viaduct", "event": "opened to rail traffic", "noun": "opening", "cat": "structure",
     "query": "When did the {P} Viaduct open to rail traffic?", "era": (1830, 1960)},
    {"s": "the {P} lighthouse", "event": "was first lit", "noun": "first lighting", "cat": "structure",
     "query": "When was the {P} lighthouse first lit?", "era": (1780, 1950)},
    {"s": "the {P} Rowing Club", "event": "was founded", "noun": "founding", "cat": "sport",
     "query": "When was the {P} Rowing Club founded?", "era": (1820, 1990)},
    {"s": "the {P} Corn Exchange", "event": "was completed", "noun": "completion", "cat": "structure",
     "query": "When was the {P} Corn Exchange completed?", "era": (1790, 1910)},
    {"s": "the novel {T}", "event": "was first published", "noun": "first publication", "cat": "book",
     "query": "When was the novel {T} first published?", "era": (1850, 2020)},
    {"s": "the first {P} Folk Festival", "event": "took place", "noun": None, "cat": "event",
     "query": "When did the first {P} Folk Festival take place?", "era": (1950, 2015)},
    {"s": "{N}", "event": "was born", "noun": "birth", "cat": "person",
     "query": "When was {N} born?", "era": (1820, 1995)},
    {"s": "{P} Savings Bank", "event": "opened its first branch", "noun": None, "cat": "organisation",
     "query": "When did {P} Savings Bank open its first branch?", "era": (1820, 1960)},
    {"s": "the {P} tram line", "event": "closed for good", "noun": "closure", "cat": "heritage",
     "query": "When did the {P} tram line close?", "era": (1920, 1990)},
    {"s": "the {P} reservoir", "event": "was filled for the first time", "noun": "first filling", "cat": "nature",
     "query": "When was the {P} reservoir first filled?", "era": (1880, 1990)},
    {"s": "the {P} hoard", "event": "was discovered", "noun": "discovery", "cat": "science",
     "query": "When was the {P} hoard discovered?", "era": (1850, 2020)},
    {"s": "the {P} Accord", "event": "was signed", "noun": "signing", "cat": "policy",
     "query": "When was the {P} Accord signed?", "era": (1800, 2015)},
    {"s": "the {P} School of Music", "event": "admitted its first students", "noun": None, "cat": "organisation",
     "query": "When did the {P} School of Music admit its first students?", "era": (1840, 2000)},
    {"s": "the {P} Planetarium", "event": "opened to the public", "noun": "opening", "cat": "structure",
     "query": "When did the {P} Planetarium open to the public?", "era": (1930, 2015)},
    {"s": "{N}", "event": "retired from international competition", "noun": "retirement", "cat": "person",
     "query": "When did {N} retire from international competition?", "era": (1950, 2022)},
    {"s": "the great {P} flood", "event": "struck the valley", "noun": None, "cat": "event",
     "query": "When did the great {P} flood strike?", "era": (1700, 2010)},
    {"s": "the {P} Cathedral organ", "event": "was installed", "noun": "installation", "cat": "structure",
     "query": "When was the {P} Cathedral organ installed?", "era": (1700, 1980)},
    {"s": "the {P} Express locomotive", "event": "entered service", "noun": "entry into service", "cat": "product",
     "query": "When did the {P} Express locomotive enter service?", "era": (1840, 1975)},
    {"s": "{P} Motor Works", "event": "merged with a rival carmaker", "noun": "merger", "cat": "organisation",
     "query": "When did {P} Motor Works merge with a rival carmaker?", "era": (1910, 2010)},
    {"s": "the {P} Tunnel", "event": "was bored through the hill", "noun": None, "cat": "structure",
     "query": "When was the {P} Tunnel bored through the hill?", "era": (1830, 2000)},
    {"s": "the {P} dock strike", "event": "began", "noun": "start", "cat": "event",
     "query": "When did the {P} dock strike begin?", "era": (1880, 1990)},
    {"s": "the {P} smoking ban", "event": "came into force", "noun": "introduction", "cat": "policy",
     "query": "When did the {P} smoking ban come into force?", "era": (1985, 2020)},
    {"s": "the film {T}", "event": "premiered", "noun": "premiere", "cat": "performance",
     "query": "When did the film {T} premiere?", "era": (1925, 2022)},
    {"s": "the {P} Polar Expedition", "event": "set sail", "noun": "departure", "cat": "event",
     "query": "When did the {P} Polar Expedition set sail?", "era": (1820, 1960)},
    {"s": "the {P} comet", "event": "was first observed", "noun": "first observation", "cat": "science",
     "query": "When was the {P} comet first observed?", "era": (1750, 2020)},
    {"s": "{N}", "event": "became mayor of {P2}", "noun": None, "cat": "person",
     "query": "When did {N} become mayor of {P2}?", "era": (1880, 2022)},
    {"s": "the {P} Town Hall", "event": "burned down", "noun": None, "cat": "heritage",
     "query": "When did the {P} Town Hall burn down?", "era": (1750, 1990)},
    {"s": "the {P} Botanical Society", "event": "held its first meeting", "noun": None, "cat": "organisation",
     "query": "When did the {P} Botanical Society hold its first meeting?", "era": (1790, 1970)},
    {"s": "the {P} typewriter", "event": "went on sale", "noun": "launch", "cat": "product",
     "query": "When did the {P} typewriter go on sale?", "era": (1880, 1975)},
    {"s": "the {P} ferry service", "event": "made its first crossing", "noun": None, "cat": "transport",
     "query": "When did the {P} ferry service make its first crossing?", "era": (1850, 2010)},
    {"s": "the {P} swing bridge", "event": "was rebuilt", "noun": "rebuilding", "cat": "structure",
     "query": "When was the {P} swing bridge rebuilt?", "era": (1870, 2015)},
    {"s": "the {P} Evening Post", "event": "printed its final edition", "noun": None, "cat": "heritage",
     "query": "When did the {P} Evening Post print its final edition?", "era": (1950, 2022)},
    {"s": "the {A} Symphony", "event": "was first performed", "noun": "first performance", "cat": "performance",
     "query": "When was the {A} Symphony first performed?", "era": (1780, 2010)},
    {"s": "the public library in {P}", "event": "opened its doors", "noun": None, "cat": "structure",
     "query": "When did the public library in {P} open its doors?", "era": (1850, 1990)},
    {"s": "the {P} meteorite", "event": "fell", "noun": "fall", "cat": "science",
     "query": "When did the {P} meteorite fall?", "era": (1790, 2020)},
    {"s": "{N}", "event": "died", "noun": "death", "cat": "person",
     "query": "When did {N} die?", "era": (1850, 2022)},
    {"s": "{P} Athletic", "event": "won its first league title", "noun": None, "cat": "sport",
     "query": "When did {P} Athletic win its first league title?", "era": (1890, 2020)},
    {"s": "the {P} canal", "event": "closed to commercial shipping", "noun": "closure", "cat": "heritage",
     "query": "When did the {P} canal close to commercial shipping?", "era": (1880, 1990)},
    {"s": "the {P} Water Act", "event": "was passed", "noun": "passage", "cat": "policy",
     "query": "When was the {P} Water Act passed?", "era": (1840, 2020)},
    {"s": "{P} airport", "event": "handled its first passenger flight", "noun": None, "cat": "transport",
     "query": "When did {P} airport handle its first passenger flight?", "era": (1920, 2015)},
    {"s": "the town of {P}", "event": "received its charter", "noun": None, "cat": "nature",
     "query": "When did the town of {P} receive its charter?", "era": (1200, 1900)},
    {"s": "the first street map of {P}", "event": "was printed", "noun": "printing", "cat": "book",
     "query": "When was the first street map of {P} printed?", "era": (1700, 1950)},
    {"s": "the {P} suspension bridge", "event": "was declared unsafe", "noun": None, "cat": "structure",
     "query": "When was the {P} suspension bridge declared unsafe?", "era": (1900, 2020)},
    {"s": "{N}", "event": "was awarded the {P} Medal", "noun": None, "cat": "person",
     "query": "When was {N} awarded the {P} Medal?", "era": (1900, 2022)},
)

# L2: the_attr (noun phrase holding the subject), cop, vp (with {v}), kind and its range.
_L2_TOPICS: tuple[dict[str, Any], ...] = (
    {"s": "the {P} Viaduct", "the_attr": "the total length of the {P} Viaduct", "cop": "is",
     "vp": "stretches for {v}", "cat": "structure", "query": "How long is the {P} Viaduct?",
     "kind": "m", "lo": 180, "hi": 2400},
    {"s": "the {P} Tower", "the_attr": "the height of the {P} Tower", "cop": "is", "vp": "rises to {v}",
     "cat": "structure", "query": "How tall is the {P} Tower?", "kind": "m", "lo": 25, "hi": 480,
     "styles": ("abbr", "word", "spelled")},
    {"s": "the {P} Nature Reserve", "the_attr": "the area of the {P} Nature Reserve", "cop": "is",
     "vp": "covers {v}", "cat": "nature", "query": "How large is the {P} Nature Reserve?",
     "kind": "ha", "lo": 40, "hi": 9000},
    {"s": "{P} General Hospital", "the_attr": "the number of beds at {P} General Hospital", "cop": "is",
     "vp": "has {v}", "cat": "structure", "query": "How many beds does {P} General Hospital have?",
     "kind": "count", "noun": "beds", "lo": 60, "hi": 1400},
    {"s": "the {P} stadium", "the_attr": "the capacity of the {P} stadium", "cop": "is",
     "vp": "holds {v}", "cat": "sport", "query": "How many spectators does the {P} stadium hold?",
     "kind": "count", "noun": "spectators", "lo": 3000, "hi": 70000},
    {"s": "the {P} bypass", "the_attr": "the cost of the {P} bypass", "cop": "was",
     "vp": "cost {v} to build", "cat": "route", "query": "How much did the {P} bypass cost to build?",
     "kind": "money", "lo": 4e6, "hi": 9e8},
    {"s": "{P} District Council", "the_attr": "the annual budget of {P} District Council", "cop": "is",
     "vp": "spends {v} a year", "cat": "organisation", "query": "What is the annual budget of {P} District Council?",
     "kind": "money", "lo": 2e6, "hi": 6e8},
    {"s": "this year's {P} Marathon", "the_attr": "the number of finishers in this year's {P} Marathon",
     "cop": "was", "vp": "was completed by {v}", "cat": "event",
     "query": "How many runners finished this year's {P} Marathon?", "kind": "count", "noun": "runners",
     "lo": 400, "hi": 30000},
    {"s": "the {P} reservoir", "the_attr": "the maximum depth of the {P} reservoir", "cop": "is",
     "vp": "reaches {v} at its deepest point", "cat": "nature", "query": "How deep is the {P} reservoir?",
     "kind": "m", "lo": 8, "hi": 160, "styles": ("abbr", "word", "spelled")},
    {"s": "Lake {P}", "the_attr": "the surface area of Lake {P}", "cop": "is", "vp": "covers {v}",
     "cat": "nature", "query": "What is the surface area of Lake {P}?", "kind": "km2", "lo": 1.2, "hi": 380},
    {"s": "the {P} river", "the_attr": "the length of the {P} river", "cop": "is",
     "vp": "flows for {v} before it reaches the sea", "cat": "nature", "query": "How long is the {P} river?",
     "kind": "km", "lo": 12, "hi": 640},
    {"s": "{P} University", "the_attr": "the number of students at {P} University", "cop": "is",
     "vp": "enrols {v}", "cat": "organisation", "query": "How many students does {P} University enrol?",
     "kind": "count", "noun": "students", "lo": 1500, "hi": 48000},
    {"s": "the {P} ferry", "the_attr": "the crossing time of the {P} ferry", "cop": "is",
     "vp": "makes the crossing in {v}", "cat": "transport", "query": "How long does the {P} ferry take to cross?",
     "kind": "min", "lo": 15, "hi": 240},
    {"s": "the {P} express train", "the_attr": "the top speed of the {P} express train", "cop": "is",
     "vp": "reaches a top speed of {v}", "cat": "transport",
     "query": "What is the top speed of the {P} express train?", "kind": "kmh", "lo": 90, "hi": 340},
    {"s": "the great bell of {P} Cathedral", "the_attr": "the weight of the great bell of {P} Cathedral",
     "cop": "is", "vp": "weighs {v}", "cat": "structure",
     "query": "How much does the great bell of {P} Cathedral weigh?", "kind": "kg", "lo": 600, "hi": 16000},
    {"s": "the {P} council election", "the_attr": "the turnout in the {P} council election", "cop": "was",
     "vp": "had a turnout of {v}", "cat": "event", "query": "What was the turnout in the {P} council election?",
     "kind": "pct", "lo": 18, "hi": 86},
    {"s": "{P}", "the_attr": "the share of electricity that {P} gets from wind", "cop": "is",
     "vp": "gets {v} of its electricity from wind", "cat": "nature",
     "query": "What share of its electricity does {P} get from wind?", "kind": "pct", "lo": 4, "hi": 78},
    {"s": "the {P} library", "the_attr": "the number of books held by the {P} library", "cop": "is",
     "vp": "holds {v}", "cat": "structure", "query": "How many books does the {P} library hold?",
     "kind": "count", "noun": "books", "lo": 8000, "hi": 2400000},
    {"s": "{P} airport", "the_attr": "the number of passengers who used {P} airport last year", "cop": "was",
     "vp": "handled {v} last year", "cat": "transport",
     "query": "How many passengers used {P} airport last year?", "kind": "count", "noun": "passengers",
     "lo": 150000, "hi": 9000000},
    {"s": "the {P} music festival", "the_attr": "the price of a weekend ticket for the {P} music festival",
     "cop": "is", "vp": "charges {v} for a weekend ticket", "cat": "event",
     "query": "How much is a weekend ticket for the {P} music festival?", "kind": "money", "lo": 25, "hi": 340},
    {"s": "the {P} wind farm", "the_attr": "the number of turbines at the {P} wind farm", "cop": "is",
     "vp": "has {v}", "cat": "structure", "query": "How many turbines does the {P} wind farm have?",
     "kind": "count", "noun": "turbines", "lo": 6, "hi": 180},
    {"s": "the {P} Tunnel", "the_attr": "the length of the {P} Tunnel", "cop": "is", "vp": "runs for {v}",
     "cat": "structure", "query": "How long is the {P} Tunnel?", "kind": "km", "lo": 0.6, "hi": 28},
    {"s": "the {P} Museum", "the_attr": "the number of visitors to the {P} Museum last year", "cop": "was",
     "vp": "welcomed {v} last year", "cat": "structure",
     "query": "How many visitors did the {P} Museum receive last year?", "kind": "count",
     "noun": "visitors", "lo": 4000, "hi": 1800000},
    {"s": "{P} Rovers", "the_attr": "the fee {P} Rovers paid for their new striker", "cop": "was",
     "vp": "paid {v} for their new striker", "cat": "sport",
     "query": "How much did {P} Rovers pay for their new striker?", "kind": "money", "lo": 2e5, "hi": 6e7},
    {"s": "the {P} dam", "the_attr": "the height of the {P} dam", "cop": "is", "vp": "stands {v} tall",
     "cat": "structure", "query": "How high is the {P} dam?", "kind": "m", "lo": 18, "hi": 260,
     "styles": ("abbr", "word", "spelled")},
    {"s": "the {P} cable car", "the_attr": "the length of the {P} cable car", "cop": "is",
     "vp": "covers a distance of {v}", "cat": "transport", "query": "How long is the {P} cable car?",
     "kind": "m", "lo": 300, "hi": 4200},
    {"s": "{P} Primary School", "the_attr": "the share of pupils at {P} Primary School who walk to school",
     "cop": "is", "vp": "reports that {v} of its pupils walk to school", "cat": "organisation",
     "query": "What share of pupils at {P} Primary School walk to school?", "kind": "pct", "lo": 12, "hi": 88},
    {"s": "the {P} glacier", "the_attr": "the yearly retreat of the {P} glacier", "cop": "is",
     "vp": "retreats by {v} each year", "cat": "nature", "query": "How far does the {P} glacier retreat each year?",
     "kind": "m", "lo": 4, "hi": 95, "styles": ("abbr", "word", "spelled")},
    {"s": "the {P} Chamber Orchestra", "the_attr": "the number of musicians in the {P} Chamber Orchestra",
     "cop": "is", "vp": "has {v}", "cat": "organisation",
     "query": "How many musicians play in the {P} Chamber Orchestra?", "kind": "count", "noun": "musicians",
     "lo": 14, "hi": 95},
    {"s": "the {P} National Park", "the_attr": "the number of bird species recorded in the {P} National Park",
     "cop": "is", "vp": "is home to {v}", "cat": "nature",
     "query": "How many bird species have been recorded in the {P} National Park?", "kind": "count",
     "noun": "bird species", "lo": 40, "hi": 420},
    {"s": "the {P} shipyard", "the_attr": "the workforce of the {P} shipyard", "cop": "is",
     "vp": "employs {v}", "cat": "organisation", "query": "How many people work at the {P} shipyard?",
     "kind": "count", "noun": "workers", "lo": 120, "hi": 14000},
    {"s": "Mount {P}", "the_attr": "the height of Mount {P}", "cop": "is", "vp": "rises {v} above sea level",
     "cat": "nature", "query": "How high is Mount {P}?", "kind": "m", "lo": 700, "hi": 4800,
     "styles": ("abbr", "word", "plain")},
    {"s": "the {P} solar park", "the_attr": "the output of the {P} solar park", "cop": "is",
     "vp": "can produce {v}", "cat": "structure", "query": "How much power can the {P} solar park produce?",
     "kind": "mw", "lo": 4, "hi": 450},
    {"s": "the {P} housing scheme", "the_attr": "the number of homes built under the {P} housing scheme",
     "cop": "was", "vp": "delivered {v}", "cat": "policy",
     "query": "How many homes did the {P} housing scheme deliver?", "kind": "count", "noun": "homes",
     "lo": 40, "hi": 12000},
    {"s": "the {P} ring road", "the_attr": "the speed limit on the {P} ring road", "cop": "is",
     "vp": "has a speed limit of {v}", "cat": "route", "query": "What is the speed limit on the {P} ring road?",
     "kind": "kmh", "lo": 30, "hi": 120, "step": 10},
    {"s": "the {P} hospice appeal", "the_attr": "the amount raised by the {P} hospice appeal", "cop": "was",
     "vp": "raised {v}", "cat": "event", "query": "How much did the {P} hospice appeal raise?",
     "kind": "money", "lo": 9000, "hi": 4e6},
    {"s": "{P}", "the_attr": "the unemployment rate in {P}", "cop": "is", "vp": "has an unemployment rate of {v}",
     "cat": "nature", "query": "What is the unemployment rate in {P}?", "kind": "pct", "lo": 2, "hi": 19,
     "decimals": True},
    {"s": "the {P} Star", "the_attr": "the passenger capacity of the {P} Star", "cop": "is",
     "vp": "can carry {v}", "cat": "transport", "query": "How many passengers can the {P} Star carry?",
     "kind": "count", "noun": "passengers", "lo": 90, "hi": 5200},
    {"s": "the {P} Oak", "the_attr": "the age of the {P} Oak", "cop": "is", "vp": "is {v} old",
     "cat": "nature", "query": "How old is the {P} Oak?", "kind": "count", "noun": "years", "lo": 120, "hi": 950},
    {"s": "the {P} pier", "the_attr": "the length of the {P} pier", "cop": "is", "vp": "extends {v} into the sea",
     "cat": "structure", "query": "How long is the {P} pier?", "kind": "m", "lo": 90, "hi": 2100},
    {"s": "the {P} valley", "the_attr": "the average annual rainfall in the {P} valley", "cop": "is",
     "vp": "receives {v} of rain a year", "cat": "nature", "query": "What is the annual rainfall in the {P} valley?",
     "kind": "mm", "lo": 450, "hi": 3200},
    {"s": "the {P} weather station", "the_attr": "the wettest day on record at the {P} weather station",
     "cop": "brought", "vp": "recorded {v} of rain on its wettest day", "cat": "nature",
     "query": "How much rain fell on the wettest day recorded at the {P} weather station?", "kind": "mm",
     "lo": 60, "hi": 340},
    {"s": "the {P} Grand Hotel", "the_attr": "the number of rooms at the {P} Grand Hotel", "cop": "is",
     "vp": "has {v}", "cat": "structure", "query": "How many rooms does the {P} Grand Hotel have?",
     "kind": "count", "noun": "rooms", "lo": 18, "hi": 900},
    {"s": "the {P} rail upgrade", "the_attr": "the cost of the {P} rail upgrade", "cop": "was",
     "vp": "cost {v}", "cat": "transport", "query": "How much did the {P} rail upgrade cost?",
     "kind": "money", "lo": 3e8, "hi": 9e9},
    {"s": "the {P} Marsh", "the_attr": "the area of the {P} Marsh", "cop": "is", "vp": "spreads over {v}",
     "cat": "nature", "query": "How large is the {P} Marsh?", "kind": "km2", "lo": 0.8, "hi": 60},
    {"s": "the {P} lifeboat crew", "the_attr": "the number of rescues made by the {P} lifeboat crew last year",
     "cop": "was", "vp": "carried out {v} last year", "cat": "organisation",
     "query": "How many rescues did the {P} lifeboat crew make last year?", "kind": "count",
     "noun": "rescues", "lo": 8, "hi": 160},
)

# L3: vp (with {v}), the_role (noun phrase holding the subject), cop, rel, and per kind:
# person/org: active (verb phrase taking the subject as object), who, credit (optional);
# place: where (clause) and prep; org: suffixes and whether the body is a company.
_L3_TOPICS: tuple[dict[str, Any], ...] = (
    # People.
    {"kind": "person", "s": "the {P} Viaduct", "vp": "was designed by {v}", "active": "designed the {P} Viaduct",
     "the_role": "the designer of the {P} Viaduct", "credit": "the design of the {P} Viaduct", "cop": "was",
     "cat": "structure", "query": "Who designed the {P} Viaduct?"},
    {"kind": "person", "s": "the {P} Cooperative Bank", "vp": "was founded by {v}",
     "active": "founded the {P} Cooperative Bank", "the_role": "the founder of the {P} Cooperative Bank",
     "credit": "the founding of the {P} Cooperative Bank", "cop": "was", "cat": "organisation",
     "query": "Who founded the {P} Cooperative Bank?"},
    {"kind": "person", "s": "the official report on the {P} floods", "vp": "was written by {v}",
     "active": "wrote the official report on the {P} floods",
     "the_role": "the author of the official report on the {P} floods",
     "credit": "the official report on the {P} floods", "cop": "was", "cat": "book",
     "query": "Who wrote the official report on the {P} floods?"},
    {"kind": "person", "s": "the {P} comet", "vp": "was discovered by {v}", "active": "discovered the {P} comet",
     "the_role": "the discoverer of the {P} comet", "credit": "the discovery of the {P} comet", "cop": "was",
     "cat": "science", "query": "Who discovered the {P} comet?"},
    {"kind": "person", "s": "the {P} regional anthem", "vp": "was composed by {v}",
     "active": "composed the {P} regional anthem", "the_role": "the composer of the {P} regional anthem",
     "credit": "the music of the {P} regional anthem", "cop": "was", "cat": "performance",
     "query": "Who composed the {P} regional anthem?"},
    {"kind": "person", "s": "the {P} Museum of Art", "vp": "was run in its first years by {v}",
     "active": "ran the {P} Museum of Art in its first years", "the_role": "the first director of the {P} Museum of Art",
     "cop": "was", "cat": "organisation", "query": "Who was the first director of the {P} Museum of Art?"},
    {"kind": "person", "s": "the cup-winning {P} Athletic side", "vp": "was coached by {v}",
     "active": "coached the cup-winning {P} Athletic side", "the_role": "the coach of the cup-winning {P} Athletic side",
     "cop": "was", "cat": "sport", "query": "Who coached the cup-winning {P} Athletic side?"},
    {"kind": "person", "s": "the bronze statue in {P} Square", "vp": "was sculpted by {v}",
     "active": "sculpted the bronze statue in {P} Square", "the_role": "the sculptor of the bronze statue in {P} Square",
     "credit": "the bronze statue in {P} Square", "cop": "was", "cat": "structure",
     "query": "Who sculpted the bronze statue in {P} Square?"},
    {"kind": "person", "s": "the mural at {P} station", "vp": "was painted by {v}",
     "active": "painted the mural at {P} station", "the_role": "the painter of the mural at {P} station",
     "credit": "the mural at {P} station", "cop": "was", "cat": "structure",
     "query": "Who painted the mural at {P} station?"},
    {"kind": "person", "s": "the {P} vaccine trial", "vp": "was led by {v}", "active": "led the {P} vaccine trial",
     "the_role": "the lead investigator of the {P} vaccine trial", "credit": "the {P} vaccine trial",
     "cop": "was", "cat": "science", "query": "Who led the {P} vaccine trial?"},
    {"kind": "person", "s": "the first balloon crossing of the {P} Strait", "vp": "was made by {v}",
     "active": "made the first balloon crossing of the {P} Strait",
     "the_role": "the pilot of the first balloon crossing of the {P} Strait",
     "credit": "the first balloon crossing of the {P} Strait", "cop": "was", "cat": "event",
     "query": "Who made the first balloon crossing of the {P} Strait?"},
    {"kind": "person", "s": "this year's {P} Prize for Poetry", "vp": "was won by {v}",
     "active": "won this year's {P} Prize for Poetry", "the_role": "the winner of this year's {P} Prize for Poetry",
     "cop": "is", "cat": "event", "query": "Who won this year's {P} Prize for Poetry?"},
    {"kind": "person", "s": "the English edition of {T}", "vp": "was translated by {v}",
     "active": "translated the English edition of {T}", "the_role": "the translator of the English edition of {T}",
     "credit": "the English edition of {T}", "cop": "was", "cat": "book",
     "query": "Who translated the English edition of {T}?"},
    {"kind": "person", "s": "the restoration of {P} Cathedral", "vp": "was overseen by {v}",
     "active": "oversaw the restoration of {P} Cathedral",
     "the_role": "the architect in charge of the restoration of {P} Cathedral",
     "credit": "the restoration of {P} Cathedral", "cop": "was", "cat": "structure",
     "query": "Who oversaw the restoration of {P} Cathedral?"},
    {"kind": "person", "s": "the first survey map of the {P} coast", "vp": "was drawn by {v}",
     "active": "drew the first survey map of the {P} coast",
     "the_role": "the maker of the first survey map of the {P} coast",
     "credit": "the first survey map of the {P} coast", "cop": "was", "cat": "book",
     "query": "Who drew the first survey map of the {P} coast?"},
    {"kind": "person", "s": "the {P} loom", "vp": "was invented by {v}", "active": "invented the {P} loom",
     "the_role": "the inventor of the {P} loom", "credit": "the invention of the {P} loom", "cop": "was",
     "cat": "product", "query": "Who invented the {P} loom?"},
    {"kind": "person", "s": "the {P} ice shelf expedition", "vp": "was led by {v}",
     "active": "led the {P} ice shelf expedition", "the_role": "the leader of the {P} ice shelf expedition",
     "cop": "was", "cat": "event", "query": "Who led the {P} ice shelf expedition?"},
    {"kind": "person", "s": "the {P} Rovers football club", "vp": "is managed by {v}",
     "active": "manages the {P} Rovers football club", "the_role": "the manager of the {P} Rovers football club",
     "cop": "is", "cat": "sport", "query": "Who manages the {P} Rovers football club?"},
    {"kind": "person", "s": "the {P} Film Festival", "vp": "is directed by {v}",
     "active": "directs the {P} Film Festival", "the_role": "the director of the {P} Film Festival",
     "cop": "is", "cat": "event", "query": "Who directs the {P} Film Festival?"},
    {"kind": "person", "s": "the {P} speed record", "vp": "is held by {v}", "active": "holds the {P} speed record",
     "the_role": "the holder of the {P} speed record", "cop": "is", "cat": "sport",
     "query": "Who holds the {P} speed record?"},
    # Organisations.
    {"kind": "org", "s": "the {P} dam", "vp": "was built by {v}", "active": "built the {P} dam",
     "the_role": "the builder of the {P} dam", "credit": "the construction of the {P} dam", "cop": "was",
     "cat": "structure", "query": "Which company built the {P} dam?",
     "suffixes": ("Construction", "Engineering", "Civil Works", "Builders"), "company": True},
    {"kind": "org", "s": "the {P} tram fleet", "vp": "was manufactured by {v}",
     "active": "manufactured the {P} tram fleet", "the_role": "the maker of the {P} tram fleet",
     "cop": "was", "cat": "transport", "query": "Which company manufactured the {P} tram fleet?",
     "suffixes": ("Carriage Works", "Rail Works", "Motor Works"), "company": True},
    {"kind": "org", "s": "the novel {T}", "vp": "was published by {v}", "active": "published the novel {T}",
     "the_role": "the publisher of the novel {T}", "credit": "the publication of the novel {T}", "cop": "was",
     "cat": "book", "query": "Who published the novel {T}?",
     "suffixes": ("Press", "Books", "Publishing"), "company": True},
    {"kind": "org", "s": "the {P} ferry route", "vp": "is operated by {v}", "active": "operates the {P} ferry route",
     "the_role": "the operator of the {P} ferry route", "cop": "is", "cat": "transport",
     "query": "Which company operates the {P} ferry route?",
     "suffixes": ("Shipping", "Ferries", "Line"), "company": True},
    {"kind": "org", "s": "the {P} jazz weekend", "vp": "is sponsored by {v}", "active": "sponsors the {P} jazz weekend",
     "the_role": "the main sponsor of the {P} jazz weekend", "cop": "is", "cat": "event",
     "query": "Who sponsors the {P} jazz weekend?",
     "suffixes": ("Brewery", "Building Society", "Group"), "company": True},
    {"kind": "org", "s": "the {P} ticketing app", "vp": "was developed by {v}",
     "active": "developed the {P} ticketing app", "the_role": "the developer of the {P} ticketing app",
     "credit": "the {P} ticketing app", "cop": "was", "cat": "issue",
     "query": "Who developed the {P} ticketing app?", "suffixes": ("Software", "Labs", "Digital"), "company": True},
    {"kind": "org", "s": "the {P} chocolate brand", "vp": "was bought by {v}",
     "active": "bought the {P} chocolate brand", "the_role": "the new owner of the {P} chocolate brand",
     "cop": "is", "cat": "product", "query": "Who bought the {P} chocolate brand?",
     "suffixes": ("Foods", "Holdings", "Confectionery"), "company": True},
    {"kind": "org", "s": "the {P} heart monitor", "vp": "is made by {v}", "active": "makes the {P} heart monitor",
     "the_role": "the manufacturer of the {P} heart monitor", "cop": "is", "cat": "product",
     "query": "Which company makes the {P} heart monitor?",
     "suffixes": ("Instruments", "Medical", "Devices"), "company": True},
    {"kind": "org", "s": "the {P} harbour survey", "vp": "was carried out by {v}",
     "active": "carried out the {P} harbour survey", "the_role": "the body behind the {P} harbour survey",
     "credit": "the {P} harbour survey", "cop": "was", "cat": "science",
     "query": "Who carried out the {P} harbour survey?",
     "suffixes": ("University", "Polytechnic", "Marine College"), "company": False},
    {"kind": "org", "s": "the {P} Medal for Science", "vp": "is awarded by {v}",
     "active": "awards the {P} Medal for Science", "the_role": "the body that awards the {P} Medal for Science",
     "cop": "is", "cat": "organisation", "query": "Who awards the {P} Medal for Science?",
     "suffixes": ("Academy", "College", "University"), "company": False},
    # Places.
    {"kind": "place", "s": "{N}", "vp": "was born in {v}", "where": "{N} was born", "prep": "in",
     "the_role": "the birthplace of {N}", "cop": "was", "cat": "person", "query": "Where was {N} born?"},
    {"kind": "place", "s": "{O}", "vp": "has its headquarters in {v}", "where": "{O} has its headquarters",
     "prep": "in", "the_role": "the home of {O}", "cop": "is", "cat": "organisation",
     "query": "Where is {O} based?"},
    {"kind": "place", "s": "the {A} Accord", "vp": "was signed in {v}", "where": "the {A} Accord was signed",
     "prep": "in", "the_role": "the place where the {A} Accord was signed", "cop": "was", "cat": "policy",
     "query": "Where was the {A} Accord signed?"},
    {"kind": "place", "s": "the annual {A} Book Fair", "vp": "is held in {v}",
     "where": "the annual {A} Book Fair is held", "prep": "in", "the_role": "the host town of the annual {A} Book Fair",
     "cop": "is", "cat": "event", "query": "Where is the annual {A} Book Fair held?"},
    {"kind": "place", "s": "{O}", "vp": "opened its first shop in {v}", "where": "{O} opened its first shop",
     "prep": "in", "the_role": "the town where {O} opened its first shop", "cop": "was", "cat": "organisation",
     "query": "Where did {O} open its first shop?"},
    {"kind": "place", "s": "{N}", "vp": "died in {v}", "where": "{N} died", "prep": "in",
     "the_role": "the place where {N} died", "cop": "was", "cat": "person", "query": "Where did {N} die?"},
    {"kind": "place", "s": "the {A} Cup final", "vp": "was played in {v}", "where": "the {A} Cup final was played",
     "prep": "in", "the_role": "the venue of the {A} Cup final", "cop": "was", "cat": "sport",
     "query": "Where was the {A} Cup final played?"},
    {"kind": "place", "s": "the {A} meteorite", "vp": "was found near {v}", "where": "the {A} meteorite was found",
     "prep": "near", "the_role": "the town nearest to where the {A} meteorite was found", "cop": "was",
     "cat": "science", "query": "Where was the {A} meteorite found?"},
    # Titles.
    {"kind": "title", "s": "the first novel by {N}", "vp": "was called {v}",
     "the_role": "the title of the first novel by {N}", "cop": "was", "cat": "book",
     "query": "What was the title of the first novel by {N}?"},
    {"kind": "title", "s": "the ship that carried the {P} expedition", "vp": "was named {v}",
     "the_role": "the name of the ship that carried the {P} expedition", "cop": "was", "cat": "transport",
     "query": "What was the name of the ship that carried the {P} expedition?"},
    {"kind": "title", "s": "the debut album of the {P} Quartet", "vp": "was titled {v}",
     "the_role": "the title of the debut album of the {P} Quartet", "cop": "was", "cat": "performance",
     "query": "What was the debut album of the {P} Quartet called?"},
    {"kind": "title", "s": "the painting that won the {P} Art Prize", "vp": "is titled {v}",
     "the_role": "the title of the painting that won the {P} Art Prize", "cop": "is", "cat": "performance",
     "query": "What is the title of the painting that won the {P} Art Prize?"},
    {"kind": "title", "s": "the play that opened the new {P} theatre", "vp": "was called {v}",
     "the_role": "the title of the play that opened the new {P} theatre", "cop": "was", "cat": "performance",
     "query": "Which play opened the new {P} theatre?"},
)

# L4: two sides, each a list of mutually consistent claims (paraphrases of one another);
# xa/xb: extra claims that conflict with side A/B only (modal changes, third outcomes).
# ra/rb: whole sentences that restate side A/B with another subject or construction (paraphrases).
_L4_TOPICS: tuple[dict[str, Any], ...] = (
    {"s": "the tap water in {P}", "query": "Is the tap water in {P} safe to drink?",
     "a": ("is safe to drink", "meets drinking water standards", "can be drunk without boiling"),
     "b": ("is not safe to drink", "is unsafe to drink", "must be boiled before drinking"),
     "xa": ("might not be safe to drink",), "xb": (),
     "ra": ("Health inspectors found nothing in the {P} water supply that could harm the people who drink it.",
            "There is no need for households in {P} to boil what comes out of their taps."),
     "rb": ("Households in {P} have been told to boil their tap water before anyone drinks it.",
            "Health officials have warned people in {P} against drinking water straight from the tap.")},
    {"s": "the planning application for the {P} quarry", "query": "Was the planning application for the {P} quarry approved?",
     "a": ("was approved", "was granted", "got the go-ahead"),
     "b": ("was rejected", "was refused", "was not approved"),
     "xa": ("is still awaiting a decision",), "xb": ("is still awaiting a decision",),
     "ra": ("Councillors voted to let the {P} quarry go ahead.",
            "The developers behind the {P} quarry now have the permission they applied for."),
     "rb": ("Councillors threw out the plans for the {P} quarry.",
            "The quarry proposed for {P} will not be dug, after planners said no to the application.")},
    {"s": "the {P} swimming pool", "query": "Will the {P} swimming pool reopen next summer?",
     "a": ("will reopen next summer", "is set to reopen next summer", "is due to reopen next summer"),
     "b": ("will not reopen next summer", "will stay closed next summer", "will remain shut next summer"),
     "xa": ("might reopen next summer", "may reopen next summer"), "xb": ("might reopen next summer",),
     "ra": ("Swimmers will be back in the {P} pool when next summer comes.",
            "The council expects to open the doors of the {P} pool again next summer."),
     "rb": ("Nobody will be swimming at the {P} pool next summer.",
            "The doors of the {P} pool will stay locked throughout next summer.")},
    {"s": "the mayor of {P}", "query": "Does the mayor of {P} support the new bus lanes?",
     "a": ("supports the new bus lanes", "backs the new bus lanes", "is in favour of the new bus lanes"),
     "b": ("opposes the new bus lanes", "is against the new bus lanes", "does not support the new bus lanes"),
     "xa": ("has not yet taken a position on the new bus lanes",),
     "xb": ("has not yet taken a position on the new bus lanes",),
     "ra": ("The new bus lanes have won the backing of the mayor of {P}.",
            "In {P}, the new bus lanes count the mayor among their strongest supporters."),
     "rb": ("The new bus lanes face strong opposition from the mayor of {P}.",
            "Critics of the new bus lanes count the mayor of {P} among their number.")},
    {"s": "the {P} footbridge", "query": "Is the {P} footbridge accessible to wheelchair users?",
     "a": ("is accessible to wheelchair users", "has step-free access for wheelchair users"),
     "b": ("is not accessible to wheelchair users", "cannot be used by wheelchair users"),
     "xa": (), "xb": (),
     "ra": ("Wheelchair users can cross the {P} footbridge without difficulty.",
            "There are ramps at both ends of the {P} footbridge, so people in wheelchairs can use it."),
     "rb": ("People in wheelchairs have no way onto the {P} footbridge, which can only be reached by steps.",
            "Wheelchair users who want to cross at {P} must find another route, as the footbridge has steps only.")},
    {"s": "{D}", "query": "Does {D} cause drowsiness?",
     "a": ("causes drowsiness", "makes patients drowsy"),
     "b": ("does not cause drowsiness", "has no sedating effect"),
     "xa": (), "xb": ("may cause drowsiness",),
     "ra": ("Patients taking {D} often feel sleepy.",
            "Doctors warn people on {D} not to drive because it leaves them sleepy."),
     "rb": ("Patients on {D} stay fully alert and can drive as usual.",
            "Sleepiness is not a side effect of {D}.")},
    {"s": "the {P} rail strike", "query": "Has the {P} rail strike been called off?",
     "a": ("has been called off", "has been cancelled"),
     "b": ("will go ahead as planned", "is going ahead as planned"),
     "xa": ("could still go ahead",), "xb": ("could still be called off",),
     "ra": ("Trains in {P} will run as normal after union leaders abandoned the strike.",
            "There will be no rail strike in {P} after all."),
     "rb": ("Rail workers in {P} will walk out as planned.",
            "Passengers in {P} should expect no trains on strike days, as the walkout is still on.")},
    {"s": "the {P} Wildlife Trust", "query": "Does the {P} Wildlife Trust allow dogs on its reserves?",
     "a": ("allows dogs on its reserves", "welcomes dogs on its reserves"),
     "b": ("bans dogs from its reserves", "does not allow dogs on its reserves"),
     "xa": (), "xb": (),
     "ra": ("Visitors to the {P} Wildlife Trust reserves are free to bring their dogs along.",
            "Dog walkers are welcome on the reserves run by the {P} Wildlife Trust."),
     "rb": ("Dogs are not permitted on any of the reserves run by the {P} Wildlife Trust.",
            "Visitors to the {P} Wildlife Trust reserves must leave their dogs at home.")},
    {"s": "the new {P} ring road", "query": "Will the new {P} ring road reduce traffic in the town centre?",
     "a": ("will reduce traffic in the town centre", "will cut traffic in the town centre"),
     "b": ("will not reduce traffic in the town centre", "will do nothing to reduce traffic in the town centre"),
     "xa": ("might reduce traffic in the town centre", "will increase traffic in the town centre"),
     "xb": ("will cut traffic in the town centre by half",),
     "ra": ("Once the new {P} ring road opens, there will be fewer cars in the town centre.",
            "Drivers will use the new {P} ring road to bypass the centre, easing congestion in the middle of town."),
     "rb": ("Traffic in the town centre will be just as heavy after the new {P} ring road opens.",
            "Building the new {P} ring road will not take any cars out of the town centre.")},
    {"s": "the {P} regional airline", "query": "Is the {P} regional airline profitable?",
     "a": ("is profitable", "makes a profit"), "b": ("is losing money", "is not profitable", "operates at a loss"),
     "xa": (), "xb": (),
     "ra": ("Revenue at the {P} regional airline comfortably covers its running costs.",
            "Investors in the {P} regional airline are seeing healthy returns."),
     "rb": ("Costs at the {P} regional airline outstrip the money it brings in.",
            "There is a deficit in the accounts of the {P} regional airline year after year.")},
    {"s": "the old {P} mill", "query": "Is the old {P} mill a listed building?",
     "a": ("is a listed building", "is protected as a listed building"),
     "b": ("is not a listed building", "has no listed status"), "xa": (), "xb": (),
     "ra": ("Heritage officials placed the old {P} mill on the list of protected buildings.",
            "Any changes to the old {P} mill need listed building consent."),
     "rb": ("There is no heritage protection on the old {P} mill, so its owners are free to demolish it.",
            "Heritage officials have never added the old {P} mill to the list of protected buildings.")},
    {"s": "the parents' ballot on the {P} school merger", "query": "Did parents vote for the {P} school merger?",
     "a": ("backed the merger", "approved the merger"), "b": ("rejected the merger", "went against the merger"),
     "xa": (), "xb": (),
     "ra": ("Most parents voted in favour of merging the {P} schools.",
            "A majority of parents said yes to the {P} school merger."),
     "rb": ("Most parents voted against merging the {P} schools.",
            "Parents turned down the {P} school merger by a clear margin.")},
    {"s": "swimming at {P} beach", "query": "Is swimming allowed at {P} beach?",
     "a": ("is allowed", "is permitted"), "b": ("is banned", "is not allowed", "is prohibited"),
     "xa": ("is only allowed when lifeguards are on duty",), "xb": (),
     "ra": ("Bathers are free to go into the sea at {P} beach.",
            "There are no restrictions on swimming at {P} beach."),
     "rb": ("Nobody may enter the water at {P} beach.",
            "Signs at {P} beach warn that anyone caught swimming there will be fined.")},
    {"s": "the {P} biscuit factory", "query": "Will the {P} biscuit factory close at the end of the year?",
     "a": ("will close at the end of the year", "is set to close at the end of the year"),
     "b": ("will stay open", "will not close", "will remain open"),
     "xa": ("may close at the end of the year",), "xb": ("may close at the end of the year",),
     "ra": ("Production at the {P} biscuit factory will end when the year is out.",
            "Workers at the {P} biscuit factory will lose their jobs when the site shuts at the end of the year."),
     "rb": ("Production at the {P} biscuit factory will carry on beyond the end of the year.",
            "Workers at the {P} biscuit factory have been told their jobs are safe and the site will keep going.")},
    {"s": "the repair work on the {P} bridge", "query": "Is the repair work on the {P} bridge finished?",
     "a": ("is finished", "is complete", "has been completed"),
     "b": ("is not finished", "is still under way", "is far from complete"), "xa": (), "xb": (),
     "ra": ("Workers have packed up and left the {P} bridge now that the repairs are done.",
            "The scaffolding has come down from the {P} bridge after the last of the repairs was carried out."),
     "rb": ("Crews are still working on repairs to the {P} bridge.",
            "The scaffolding on the {P} bridge will stay up for some time yet, as the repairs continue.")},
    {"s": "the {P} Philharmonic", "query": "Did the {P} Philharmonic cancel its autumn tour?",
     "a": ("cancelled its autumn tour", "called off its autumn tour"),
     "b": ("went ahead with its autumn tour", "did not cancel its autumn tour"),
     "xa": ("postponed its autumn tour",), "xb": ("postponed its autumn tour",),
     "ra": ("There will be no autumn tour for the {P} Philharmonic this year.",
            "Ticket holders for the {P} Philharmonic's autumn tour are being refunded, as every date was scrapped."),
     "rb": ("Audiences saw the {P} Philharmonic perform on every date of its autumn tour.",
            "Every concert of the {P} Philharmonic's autumn tour took place.")},
    {"s": "the {P} council budget", "query": "Does the {P} council budget include a tax rise?",
     "a": ("includes a tax rise", "raises local taxes"),
     "b": ("does not include a tax rise", "keeps local taxes unchanged"),
     "xa": (), "xb": ("cuts local taxes",),
     "ra": ("Households in {P} will pay more in council tax under the new budget.",
            "Under the {P} council budget, local tax bills will go up."),
     "rb": ("Households in {P} will pay the same council tax as last year under the new budget.",
            "Local tax bills in {P} will stay where they are under the council budget.")},
    {"s": "the {P} ridge trail", "query": "Is the {P} ridge trail suitable for beginners?",
     "a": ("is suitable for beginners", "is easy enough for beginners"),
     "b": ("is not suitable for beginners", "is too demanding for beginners"), "xa": (), "xb": (),
     "ra": ("Walkers with no experience can tackle the {P} ridge trail without trouble.",
            "First-time hikers will find the {P} ridge trail well within their ability."),
     "rb": ("Only experienced hikers should attempt the {P} ridge trail.",
            "Novice walkers are advised to stay off the {P} ridge trail.")},
    {"s": "the {P} teachers' union", "query": "Has the {P} teachers' union accepted the pay offer?",
     "a": ("has accepted the pay offer", "has agreed to the pay offer"),
     "b": ("has rejected the pay offer", "has turned down the pay offer", "has not accepted the pay offer"),
     "xa": ("is still considering the pay offer",), "xb": ("is still considering the pay offer",),
     "ra": ("Teachers in {P} have voted to take the pay offer.",
            "The pay dispute in {P} is over now that teachers have said yes to the offer."),
     "rb": ("Teachers in {P} have voted to throw out the pay offer.",
            "The pay offer has been rebuffed by teachers in {P}.")},
    {"s": "the {P} herring fishery", "query": "Is the {P} herring fishery sustainable?",
     "a": ("is sustainable", "is managed sustainably"), "b": ("is overfished", "is not sustainable"),
     "xa": (), "xb": (),
     "ra": ("Herring stocks off {P} are holding up well despite the catch.",
            "Scientists say the herring catch at {P} is low enough for stocks to replenish themselves."),
     "rb": ("Herring are being caught off {P} faster than the stocks can recover.",
            "Scientists warn that herring numbers off {P} are collapsing because of too much fishing.")},
    {"s": "the ruined castle at {P}", "query": "Is the ruined castle at {P} open to visitors?",
     "a": ("is open to visitors", "welcomes visitors"), "b": ("is closed to visitors", "is not open to visitors"),
     "xa": ("can be visited only on guided tours",), "xb": (),
     "ra": ("Tourists are free to wander around the ruined castle at {P} whenever they like.",
            "The gates of the ruined castle at {P} are unlocked for the public every day."),
     "rb": ("Members of the public cannot get into the ruined castle at {P}.",
            "The gates of the ruined castle at {P} are locked and no visitors are let in.")},
    {"s": "the {P} election result", "query": "Was the {P} election result challenged in court?",
     "a": ("was challenged in court", "was contested in court"),
     "b": ("was not challenged in court", "went unchallenged"),
     "xa": ("may yet be challenged in court",), "xb": ("may yet be challenged in court",),
     "ra": ("A losing candidate has taken the {P} election result to court.",
            "Judges have been asked to overturn the {P} election result."),
     "rb": ("Nobody took the {P} election result to court.",
            "No legal action was ever brought over the {P} election result.")},
    {"s": "the {P} nuclear plant", "query": "Will the {P} nuclear plant be decommissioned?",
     "a": ("will be decommissioned", "is going to be decommissioned"),
     "b": ("will not be decommissioned", "will keep running", "will remain in service"),
     "xa": ("could be decommissioned",), "xb": ("could be decommissioned",),
     "ra": ("Engineers will shut down the {P} nuclear plant for good and dismantle it.",
            "The reactors at the {P} nuclear plant are to be switched off permanently."),
     "rb": ("The reactors at the {P} nuclear plant will go on generating power for years to come.",
            "Operators have no plans to shut down the {P} nuclear plant.")},
    {"s": "the {P} bakery chain", "query": "Does the {P} bakery chain use organic flour?",
     "a": ("uses organic flour", "bakes with organic flour"),
     "b": ("does not use organic flour", "uses conventional flour"),
     "xa": ("puts organic flour in only some of its loaves",), "xb": (),
     "ra": ("Every loaf sold by the {P} bakery chain is made from organic flour.",
            "All the flour that goes into the bread at the {P} bakery chain is organically grown."),
     "rb": ("None of the flour used by the {P} bakery chain is organic.",
            "The bread at the {P} bakery chain is made with ordinary, non-organic flour.")},
    {"s": "the {P} toll bridge", "query": "Is the {P} toll bridge free for residents?",
     "a": ("is free for residents", "charges residents nothing"),
     "b": ("is not free for residents", "charges residents the full toll"),
     "xa": ("charges residents a reduced toll",), "xb": (),
     "ra": ("Residents of {P} cross the toll bridge without paying a penny.",
            "Locals do not have to pay anything to use the {P} toll bridge."),
     "rb": ("Residents of {P} have to pay the same toll as everyone else to cross the bridge.",
            "There is no exemption from the {P} toll bridge charge for locals.")},
    {"s": "{P} Royal Infirmary", "query": "Does {P} Royal Infirmary have an emergency department?",
     "a": ("has an emergency department", "runs an emergency department"),
     "b": ("has no emergency department", "does not have an emergency department"),
     "xa": ("closed its emergency department",), "xb": (),
     "ra": ("Patients needing urgent care can be seen in the casualty unit at {P} Royal Infirmary.",
            "There is an accident and emergency unit at {P} Royal Infirmary."),
     "rb": ("Ambulances bypass {P} Royal Infirmary because it has no casualty unit.",
            "There is no accident and emergency unit at {P} Royal Infirmary.")},
    {"s": "the {P} language course", "query": "Is the {P} language course taught online?",
     "a": ("is taught online", "runs online"), "b": ("is taught in person", "is not taught online"),
     "xa": (), "xb": (),
     "ra": ("Students on the {P} language course attend classes from their own homes over the internet.",
            "Lessons for the {P} language course are given by video link."),
     "rb": ("Students on the {P} language course attend classes in a classroom with their teacher.",
            "Lessons for the {P} language course are given face to face.")},
    {"s": "the {P} lantern festival", "query": "Was the {P} lantern festival postponed?",
     "a": ("was postponed", "was put back"), "b": ("went ahead as planned", "was not postponed"),
     "xa": ("was cancelled",), "xb": ("was cancelled",),
     "ra": ("Organisers moved the {P} lantern festival to a later date.",
            "Crowds will have to wait longer for the {P} lantern festival, which has been moved to a later date."),
     "rb": ("Crowds gathered for the {P} lantern festival on the date originally planned.",
            "Organisers kept the {P} lantern festival on its original date.")},
    {"s": "the {P} tree frog", "query": "Is the {P} tree frog endangered?",
     "a": ("is endangered", "is at risk of extinction"), "b": ("is not endangered", "is not under threat"),
     "xa": (), "xb": ("may be endangered",),
     "ra": ("Only a handful of {P} tree frogs are left in the wild.",
            "Conservationists have placed the {P} tree frog on the list of threatened species."),
     "rb": ("Populations of the {P} tree frog are large and stable.",
            "Conservationists have no concerns about the survival of the {P} tree frog.")},
    {"s": "the {P} trade deal", "query": "Did the {P} trade deal lower tariffs?",
     "a": ("lowered tariffs", "cut tariffs"), "b": ("did not lower tariffs", "failed to lower tariffs"),
     "xa": ("raised tariffs", "left tariffs unchanged"), "xb": (),
     "ra": ("Importers pay less in duty since the {P} trade deal came into force.",
            "Under the {P} trade deal, customs duties have come down."),
     "rb": ("Importers pay just as much in duty since the {P} trade deal came into force.",
            "Customs duties stayed as high as ever under the {P} trade deal.")},
    {"s": "the old wall around {P}", "query": "Was the old wall around {P} built by the Romans?",
     "a": ("was built by the Romans", "dates from Roman times"),
     "b": ("was built in the Middle Ages", "is medieval"), "xa": (), "xb": (),
     "ra": ("Roman soldiers built the old wall around {P}.",
            "Archaeologists date the old wall around {P} to the Roman occupation."),
     "rb": ("Masons in the Middle Ages built the old wall around {P}.",
            "Archaeologists date the old wall around {P} to medieval times.")},
    {"s": "the {P} recycling scheme", "query": "Does the {P} recycling scheme accept glass?",
     "a": ("accepts glass", "takes glass"), "b": ("does not accept glass", "excludes glass"),
     "xa": ("collects glass only from its main depot",), "xb": (),
     "ra": ("Glass bottles and jars can go in the recycling bins in {P}.",
            "Residents in {P} can put their glass out for recycling."),
     "rb": ("Glass bottles and jars cannot go in the {P} recycling bins.",
            "Residents in {P} are told to keep glass out of their recycling, as the scheme cannot handle it.")},
    {"s": "the {P} bus service", "query": "Does the {P} bus service run on Sundays?",
     "a": ("runs on Sundays", "operates on Sundays"),
     "b": ("does not run on Sundays", "has no Sunday service"),
     "xa": ("runs only on some Sundays",), "xb": (),
     "ra": ("Passengers in {P} can catch a bus every Sunday.",
            "Buses in {P} keep running through the weekend, Sundays included."),
     "rb": ("No buses run in {P} on a Sunday.",
            "Passengers in {P} who travel on Sundays must find another way, as there are no buses that day.")},
    {"s": "Lake {P}", "query": "Is Lake {P} polluted?",
     "a": ("is polluted", "is contaminated"), "b": ("is clean", "is not polluted"),
     "xa": (), "xb": ("may be polluted",),
     "ra": ("Tests have found harmful chemicals in the water of Lake {P}.",
            "People are warned not to swim in Lake {P} because of the pollution in its water."),
     "rb": ("Tests have found no harmful substances in the water of Lake {P}.",
            "The water in Lake {P} is clear and free of contamination.")},
    {"s": "the chemical plant near {P}", "query": "Did the chemical plant near {P} break pollution rules?",
     "a": ("broke pollution rules", "breached pollution rules"),
     "b": ("did not break pollution rules", "complied with pollution rules"),
     "xa": ("may have broken pollution rules",), "xb": ("may have broken pollution rules",),
     "ra": ("Inspectors caught the chemical plant near {P} releasing more waste than the law allows.",
            "Regulators fined the operators of the chemical plant near {P} for illegal emissions."),
     "rb": ("Inspectors found that the chemical plant near {P} kept its emissions within legal limits.",
            "Regulators found no breach of the pollution rules at the chemical plant near {P}.")},
    {"s": "the {P} apartment tower", "query": "Is the {P} apartment tower structurally sound?",
     "a": ("is structurally sound", "is safe to live in"),
     "b": ("is structurally unsound", "is not safe to live in"),
     "xa": ("may be structurally unsound",), "xb": (),
     "ra": ("Engineers have declared the {P} apartment tower safe, with no structural faults.",
            "Residents of the {P} apartment tower can stay put, as the building passed every structural check."),
     "rb": ("Engineers have found serious structural faults in the {P} apartment tower.",
            "Residents have been moved out of the {P} apartment tower because the building is at risk of collapse.")},
    {"s": "the nasal flu vaccine in {P}", "query": "Is the nasal flu vaccine in {P} recommended for children?",
     "a": ("is recommended for children", "is advised for children"),
     "b": ("is not recommended for children", "is not advised for children"), "xa": (), "xb": (),
     "ra": ("Doctors in {P} advise parents to have their children given the nasal flu vaccine.",
            "Health officials in {P} encourage parents to get the nasal flu vaccine for their children."),
     "rb": ("Doctors in {P} advise parents against giving their children the nasal flu vaccine.",
            "Health officials in {P} say children should not be given the nasal flu vaccine.")},
    {"s": "the {P} tennis club", "query": "Is the {P} tennis club open to non-members?",
     "a": ("is open to non-members", "admits non-members"),
     "b": ("is for members only", "does not admit non-members"), "xa": (), "xb": (),
     "ra": ("Anyone can book a court at the {P} tennis club, member or not.",
            "You do not need a membership to play at the {P} tennis club."),
     "rb": ("Only people with a membership can play at the {P} tennis club.",
            "Visitors without a membership are turned away from the {P} tennis club.")},
    {"s": "the {P} housing plan", "query": "Will the {P} housing plan include affordable homes?",
     "a": ("will include affordable homes", "is going to include affordable homes"),
     "b": ("will not include affordable homes", "will include no affordable homes"),
     "xa": ("might include affordable homes",), "xb": ("might include affordable homes",),
     "ra": ("Some of the homes built under the {P} housing plan will be sold or let below market prices.",
            "Families on low incomes will be able to afford homes built under the {P} housing plan."),
     "rb": ("Every home in the {P} housing plan will be sold at full market price.",
            "Families on low incomes will not be able to afford any of the homes built under the {P} housing plan.")},
    {"s": "the {P} Gazette", "query": "Did the {P} Gazette apologise for the story?",
     "a": ("apologised for the story", "issued an apology for the story"),
     "b": ("did not apologise for the story", "refused to apologise for the story"),
     "xa": (), "xb": (),
     "ra": ("The editor of the {P} Gazette said sorry for the story.",
            "An apology for the story was printed on the front page of the {P} Gazette."),
     "rb": ("The editor of the {P} Gazette has refused to say sorry for the story.",
            "No apology for the story has appeared in the {P} Gazette, and its editor stands by every word.")},
    {"s": "the {P} youth orchestra", "query": "Will the {P} youth orchestra lose its funding?",
     "a": ("will lose its funding", "is set to lose its funding"),
     "b": ("will keep its funding", "will not lose its funding"),
     "xa": ("could lose its funding",), "xb": ("could lose its funding",),
     "ra": ("The grant that pays for the {P} youth orchestra is being withdrawn.",
            "Money for the {P} youth orchestra will dry up once its grant is cut."),
     "rb": ("The grant that pays for the {P} youth orchestra will carry on.",
            "Money for the {P} youth orchestra is safe for the years ahead.")},
    {"s": "the {P} night market", "query": "Is the {P} night market moving to a new site?",
     "a": ("is moving to a new site", "will relocate to a new site"),
     "b": ("is staying where it is", "is not moving to a new site"),
     "xa": ("may move to a new site",), "xb": ("may move to a new site",),
     "ra": ("Stallholders at the {P} night market will set up in a different location.",
            "Traders at the {P} night market are packing up for a move to a different location."),
     "rb": ("Stallholders at the {P} night market will keep trading at their current location.",
            "There are no plans to move the {P} night market anywhere else.")},
    # Causes with more than two candidates (the third cause conflicts with both sides).
    {"s": "the power cut in {P}", "query": "Was storm damage to blame for the power cut in {P}?",
     "a": ("was down to storm damage", "happened because the storm brought down the lines",
           "was the result of storm damage"),
     "b": ("was down to a fault at the substation", "happened because equipment at the substation failed",
           "was the result of a substation fault"),
     "xa": ("happened because a digger cut through an underground line",),
     "xb": ("happened because a digger cut through an underground line",),
     "ra": ("High winds toppled the overhead lines that carry electricity to {P}, leaving homes in the dark.",
            "Homes in {P} lost their electricity when gales felled trees onto the overhead lines.",
            "Engineers found that fallen branches had torn down the overhead lines feeding {P}."),
     "rb": ("Worn-out switchgear failed at the {P} substation and cut the electricity to thousands of homes.",
            "Engineers traced the loss of electricity in {P} to broken equipment inside the local substation.",
            "The weather had nothing to do with the blackout in {P}; a transformer gave out at the substation.")},
    {"s": "the derailment near {P}", "query": "Was a broken rail to blame for the derailment near {P}?",
     "a": ("happened because a rail had cracked", "was the result of a fractured rail", "was down to a broken rail"),
     "b": ("happened because the train was speeding", "was the result of excessive speed",
           "was down to the train going too fast"),
     "xa": ("was triggered by a landslip",), "xb": ("was triggered by a landslip",),
     "ra": ("Investigators found a split section of track at the spot where the train left the line near {P}.",
            "A crack in the track threw the train off the line near {P}, the accident report found.",
            "The track near {P} had snapped shortly before the train came off it, according to the accident report."),
     "rb": ("The driver took the bend near {P} well above the limit, and the carriages came off the line.",
            "Investigators found nothing wrong with the track near {P}; the driver had simply ignored the limit.",
            "Had the train near {P} kept to the limit on the bend, it would have stayed on the rails.")},
    {"s": "the closure of the {P} leisure centre",
     "query": "Was the closure of the {P} leisure centre due to funding cuts?",
     "a": ("was due to funding cuts", "was caused by cuts to its funding", "came about because its funding was cut"),
     "b": ("was due to safety concerns", "was caused by safety concerns",
           "came about because the building was found to be unsafe"),
     "xa": ("was due to falling visitor numbers",), "xb": ("was due to falling visitor numbers",),
     "ra": ("The {P} leisure centre shut its doors because the council could no longer afford to run it.",
            "Without the grant it used to receive from the council, the {P} leisure centre could not stay open.",
            "Council savings are what forced the {P} leisure centre to close."),
     "rb": ("Engineers warned that the roof of the {P} leisure centre could fall in, and the building was shut.",
            "The {P} leisure centre was closed after inspectors decided it put swimmers and staff in danger.",
            "Structural faults forced the {P} leisure centre to shut, as it was no longer safe for the public.")},
    {"s": "the flooding in {P} town centre", "query": "Did blocked drains cause the flooding in {P} town centre?",
     "a": ("came from blocked drains", "happened because the drains were blocked", "was the result of blocked drains"),
     "b": ("came from the river bursting its banks", "happened because the river burst its banks",
           "was the result of the river overflowing"),
     "xa": ("came from a burst water main",), "xb": ("came from a burst water main",),
     "ra": ("Rainwater had nowhere to go in {P} town centre because the gullies were clogged with leaves and rubbish.",
            "Clearing the choked gullies would have kept the water out of {P} town centre, engineers say.",
            "Council engineers traced the water in the streets of {P} to gutters and gullies full of debris."),
     "rb": ("The river rose over its banks and poured into the streets of {P} town centre.",
            "Water from the swollen river spilled into the shops of {P} town centre.",
            "Engineers say the river defences at {P} were overtopped, sending water into the town centre.")},
    # Placings: won / came second / came third or worse.
    {"s": "the independent candidate in {P}", "query": "Did the independent candidate in {P} win the seat?",
     "a": ("won the seat", "took the seat", "was elected to the seat"),
     "b": ("came second in the count", "finished runner-up in the count", "was beaten into second place"),
     "xa": ("finished third in the count",), "xb": ("finished third in the count",),
     "ra": ("Voters in {P} chose the independent candidate as their new representative.",
            "The independent will represent {P} after topping the poll.",
            "Nobody standing in {P} received more votes than the independent candidate."),
     "rb": ("Only one candidate in {P} received more votes than the independent.",
            "The independent narrowly missed out in {P}, finishing just behind the winner.",
            "In {P}, the independent candidate was pipped at the post by a single rival.")},
    {"s": "the {P} netball team", "query": "Did the {P} netball team win the regional league?",
     "a": ("won the regional league title", "finished top of the regional league",
           "was crowned regional league champion"),
     "b": ("finished second in the regional league", "was runner-up in the regional league",
           "ended the season second in the regional league"),
     "xa": ("was relegated from the regional league",), "xb": ("was relegated from the regional league",),
     "ra": ("No side in the region collected more points this season than the netball players from {P}.",
            "The regional netball trophy is on its way to {P} after a season in which nobody finished above them.",
            "Players from {P} ended the netball season as the best side in the region."),
     "rb": ("Only one side in the region collected more points this season than the netball players from {P}.",
            "The netball players from {P} missed out on the regional trophy by a handful of points.",
            "Players from {P} ended the netball season just behind the champions, with everyone else below them.")},
    {"s": "the collie from {P}", "query": "Did the collie from {P} win the sheepdog trials?",
     "a": ("won the sheepdog trials", "took first prize at the sheepdog trials", "came first at the sheepdog trials"),
     "b": ("was disqualified from the sheepdog trials", "was ruled out of the sheepdog trials",
           "was thrown out of the sheepdog trials"),
     "xa": ("came third at the sheepdog trials",), "xb": ("came third at the sheepdog trials",),
     "ra": ("No dog at this year's trials herded the sheep more skilfully than the collie from {P}.",
            "The trophy for the best working dog at this year's trials went to a collie from {P}.",
            "Judges at the trials gave their top award to the collie from {P} and its handler."),
     "rb": ("Judges at the trials ordered the collie from {P} off the field for breaking the rules.",
            "The collie from {P} never got to finish its run, as the judges found a breach of the rules.",
            "The handler from {P} left the trials early after judges struck the collie's run from the results.")},
    # The state of a project: finished / paused / dropped.
    {"s": "the {P} flood barrier", "query": "Is the {P} flood barrier complete?",
     "a": ("has been fully built", "is now complete", "has been built in full"),
     "b": ("has been paused", "is on hold", "has been halted for now"),
     "xa": ("has been abandoned", "is still being built"), "xb": ("has been abandoned", "is still being built"),
     "ra": ("Work on the {P} flood barrier is done, and the structure is ready to hold back the river.",
            "The last section of the {P} flood barrier was lowered into place in spring, bringing the work to an end.",
            "Contractors have handed the {P} flood barrier over to the river authority, with nothing left to build."),
     "rb": ("Construction of the {P} flood barrier has stopped until more money turns up, though the scheme lives on.",
            "The half-built {P} flood barrier stands idle by the river while the authority looks for funds.",
            "Contractors have downed tools at the {P} flood barrier until the river authority says they may resume.")},
    {"s": "the new {P} stadium", "query": "Has the new {P} stadium been abandoned?",
     "a": ("has been abandoned", "has been dropped", "has been shelved for good"),
     "b": ("is going ahead", "is still going ahead", "is proceeding as planned"),
     "xa": ("has been paused",), "xb": ("has been paused",),
     "ra": ("Football fans in {P} will never watch a match at the planned ground, now that the scheme is dead.",
            "The money set aside for a new stadium in {P} will now be spent elsewhere.",
            "Plans for a new stadium in {P} have been torn up."),
     "rb": ("Work on the new stadium in {P} will continue on schedule.",
            "Football fans in {P} will be watching matches at the new ground once it is built.",
            "The council has confirmed that it is pressing on with the new stadium in {P}.")},
    # Verdicts: guilty / acquitted / retrial; tribunals.
    {"s": "the former treasurer of the {P} rowing club",
     "query": "Was the former treasurer of the {P} rowing club found guilty of fraud?",
     "a": ("was found guilty of fraud", "was convicted of fraud", "was found to have committed fraud"),
     "b": ("was acquitted of fraud", "was cleared of fraud", "was found not guilty of fraud"),
     "xa": ("faces a retrial on the fraud charge",), "xb": ("faces a retrial on the fraud charge",),
     "ra": ("A jury decided that the former treasurer of the {P} rowing club had stolen from its accounts.",
            "Money went missing from the {P} rowing club, and a court has ruled that its former treasurer took it.",
            "The former treasurer of the {P} rowing club now has a criminal record for dishonesty with club funds."),
     "rb": ("A jury decided that the former treasurer of the {P} rowing club had done nothing dishonest.",
            "The former treasurer of the {P} rowing club walked free after jurors rejected the prosecution's case.",
            "The court found no proof that the former treasurer had taken money from the {P} rowing club.")},
    {"s": "the employment tribunal in the {P} dock workers' case",
     "query": "Did the employment tribunal rule in favour of the {P} dock workers?",
     "a": ("ruled in favour of the dock workers", "found for the dock workers", "upheld the dock workers' claim"),
     "b": ("ruled against the dock workers", "found against the dock workers", "dismissed the dock workers' claim"),
     "xa": ("ordered a fresh hearing of the dock workers' claim",),
     "xb": ("ordered a fresh hearing of the dock workers' claim",),
     "ra": ("The {P} dock workers are owed compensation after the tribunal backed their complaint.",
            "Their employer must pay the {P} dock workers, the tribunal has decided.",
            "The tribunal judge agreed that the {P} dock workers had been treated unlawfully."),
     "rb": ("The {P} dock workers will receive no compensation after the tribunal sided with their employer.",
            "Their employer was cleared of treating the {P} dock workers unlawfully.",
            "The tribunal judge decided the {P} dock workers had no valid complaint against their employer.")},
    # Whether something happened.
    {"s": "the {P} half marathon", "query": "Did the {P} half marathon take place?",
     "a": ("took place", "was held as planned", "was run as planned"),
     "b": ("was called off", "did not take place", "was scrapped"),
     "xa": ("was postponed",), "xb": ("was postponed",),
     "ra": ("Thousands of runners crossed the finish line of the {P} half marathon on Sunday.",
            "Runners set off from the start of the {P} half marathon and completed the course on race day.",
            "Medals were handed out to everyone who finished the {P} half marathon this year."),
     "rb": ("Runners who entered the {P} half marathon are getting their fees back, since the race never happened.",
            "Not a single runner set off from the start line of the {P} half marathon this year.",
            "Organisers in {P} pulled the plug on the half marathon, leaving the course empty on race day.")},
    {"s": "the public inquiry into the {P} reservoir", "query": "Has the public inquiry into the {P} reservoir begun?",
     "a": ("has begun", "has started", "is under way"),
     "b": ("has not begun", "has been delayed", "has yet to start"),
     "xa": ("has been scrapped",), "xb": ("has been scrapped",),
     "ra": ("Witnesses have started giving evidence at the inquiry into the {P} reservoir.",
            "The first hearings of the inquiry into the {P} reservoir were held this week.",
            "Lawyers for residents near {P} have set out their case to the reservoir inquiry, which opened on Monday."),
     "rb": ("No witnesses have yet been called to the inquiry into the {P} reservoir.",
            "The opening hearing of the inquiry into the {P} reservoir has been pushed back.",
            "Residents near {P} are still waiting for the reservoir inquiry to hear its first evidence.")},
    # People: resigned / stayed on; retired / still working; re-elected / voted out.
    {"s": "the head of the {P} fire service", "query": "Has the head of the {P} fire service quit?",
     "a": ("has quit", "has left the post", "has given up the post"),
     "b": ("is staying on", "will remain in post", "is refusing to leave the post"),
     "xa": ("is considering whether to leave the post", "has been sacked"),
     "xb": ("is considering whether to leave the post", "has been sacked"),
     "ra": ("The {P} fire service is looking for a new chief after its head handed in their notice.",
            "A letter of resignation from the chief of the {P} fire service was accepted on Monday.",
            "The {P} fire service will soon have someone new in charge, as its head has walked away from the job."),
     "rb": ("The chief of the {P} fire service has made clear that they will not be leaving the job.",
            "Despite calls to go, the head of the {P} fire service intends to carry on leading it.",
            "There will be no change at the top of the {P} fire service, whose chief is determined to keep the job.")},
    {"s": "the last blacksmith in {P}", "query": "Is the last blacksmith in {P} still working?",
     "a": ("is still working", "still works at the forge", "has not retired"),
     "b": ("has retired", "has stopped working", "no longer works at the forge"),
     "xa": (), "xb": (),
     "ra": ("Customers in {P} still bring their horses to the forge, where the blacksmith is at the anvil most days.",
            "The fire in the {P} forge is lit every morning, as its blacksmith has no plans to stop.",
            "The blacksmith in {P} keeps shoeing horses and mending gates, just as he has for decades."),
     "rb": ("The anvil in the {P} forge has fallen silent since the blacksmith hung up his apron.",
            "Horse owners in {P} now have to look elsewhere, as the town's last blacksmith has given up his trade.",
            "The forge in {P} has been cold since its blacksmith finished his final day at work.")},
    {"s": "the chair of the {P} bowls club", "query": "Was the chair of the {P} bowls club re-elected?",
     "a": ("was re-elected", "won another term", "kept the post after the vote"),
     "b": ("lost the vote", "was voted out", "was not re-elected"),
     "xa": ("did not stand for re-election",), "xb": ("did not stand for re-election",),
     "ra": ("Members of the {P} bowls club voted to keep their chair for another year.",
            "The {P} bowls club will be led by the same chair for a further term.",
            "At the annual meeting in {P}, the bowls club's chair comfortably held on to the job."),
     "rb": ("Members of the {P} bowls club voted in a new chair.",
            "The {P} bowls club has someone new at its head after its chair was defeated at the annual meeting.",
            "A rival candidate took the chair of the {P} bowls club from the sitting holder.")},
    # Permissions and rules.
    {"s": "the {P} towpath", "query": "Can cyclists use the {P} towpath?",
     "a": ("welcomes cyclists", "can be used by cyclists", "allows cycling"),
     "b": ("is for walkers only", "bans cycling", "is off limits to cyclists"),
     "xa": ("admits cyclists only outside the summer months",), "xb": (),
     "ra": ("People on bikes are free to ride along the {P} towpath.",
            "Cyclists heading out of {P} can take the canal route along the towpath.",
            "Bike riders share the {P} towpath with walkers and anglers."),
     "rb": ("Anyone on a bike must dismount on the {P} towpath, which is reserved for people on foot.",
            "Signs along the {P} towpath tell people on bikes to find another route.",
            "Riding a bike along the canal at {P} can earn you a fine.")},
    {"s": "{P} Abbey", "query": "Does {P} Abbey allow photography inside?",
     "a": ("allows photography inside", "lets visitors take photographs inside", "permits photography inside"),
     "b": ("bans photography inside", "does not allow photography inside", "forbids photography inside"),
     "xa": ("lets visitors take pictures only without a flash",), "xb": (),
     "ra": ("Visitors to {P} Abbey are free to take pictures of the nave and the windows.",
            "Tourists in {P} can snap away with their cameras once they are inside the abbey.",
            "Cameras and phones can be used freely throughout {P} Abbey."),
     "rb": ("Visitors to {P} Abbey must put their cameras away once they are through the door.",
            "Stewards at {P} Abbey ask anyone taking pictures to stop.",
            "No pictures may be taken anywhere within {P} Abbey.")},
    {"s": "barbecues in {P} Country Park", "query": "Can visitors have barbecues in {P} Country Park?",
     "a": ("are permitted", "can be lit freely", "are welcome"),
     "b": ("are banned", "are forbidden", "are prohibited"),
     "xa": ("may only be lit in designated areas",), "xb": (),
     "ra": ("Visitors to {P} Country Park are free to cook outdoors over charcoal.",
            "Families can bring a grill and cook their lunch on the grass in {P} Country Park.",
            "Rangers at {P} Country Park have no objection to people cooking over open flames."),
     "rb": ("Anyone caught cooking over charcoal in {P} Country Park faces a fine.",
            "Rangers at {P} Country Park confiscate any grills they find.",
            "Visitors to {P} Country Park must not bring grills or cook on open flames.")},
    {"s": "the broadband network in {P}", "query": "Does the broadband network in {P} reach every home?",
     "a": ("reaches every home", "covers every household", "is available to every household"),
     "b": ("does not reach every home", "leaves some homes without a connection",
           "is not available to every household"),
     "xa": ("will reach every home only next year",), "xb": (),
     "ra": ("Every household in {P} can now sign up for a fast internet connection.",
            "No home in {P} is out of range of the new fibre cables.",
            "Engineers have finished connecting the last remote farmhouses around {P} to the fibre cables."),
     "rb": ("Some outlying homes in {P} still cannot get a fast internet connection.",
            "A few farms around {P} remain out of range of the new fibre cables.",
            "Engineers have yet to connect the remote farmhouses around {P} to the fibre cables.")},
    {"s": "the {P} sixth-form college", "query": "Is the {P} sixth-form college taking new students?",
     "a": ("is taking new students", "is accepting new students", "is enrolling new students"),
     "b": ("is not taking new students", "has stopped accepting new students", "has stopped enrolling new students"),
     "xa": ("will admit new students only to its evening courses",), "xb": (),
     "ra": ("Young people in {P} can still apply for a place at the sixth-form college this year.",
            "Applications for places at the {P} sixth-form college are being welcomed.",
            "The sixth-form college in {P} has places for school leavers who want to enrol this autumn."),
     "rb": ("Young people in {P} will have to look elsewhere, as the sixth-form college has no places this year.",
            "Applications for places at the {P} sixth-form college are being turned away.",
            "The sixth-form college in {P} will not enrol anyone else this autumn.")},
    # Support and opposition.
    {"s": "the {P} farmers' union", "query": "Does the {P} farmers' union support the new hedgerow rules?",
     "a": ("supports the new hedgerow rules", "backs the new hedgerow rules",
           "has come out in favour of the new hedgerow rules"),
     "b": ("opposes the new hedgerow rules", "is against the new hedgerow rules",
           "has come out against the new hedgerow rules"),
     "xa": ("is neutral on the new hedgerow rules",), "xb": ("is neutral on the new hedgerow rules",),
     "ra": ("Farmers in {P} have thrown their weight behind the new limits on cutting hedges.",
            "The new limits on cutting hedges have an ally in the farmers' union in {P}.",
            "Leaders of the {P} farmers' union urged members to welcome the new limits on cutting hedges."),
     "rb": ("Farmers in {P} are campaigning to scrap the new limits on cutting hedges.",
            "The new limits on cutting hedges face a fight from the farmers' union in {P}.",
            "Leaders of the {P} farmers' union urged members to resist the new limits on cutting hedges.")},
    {"s": "the {P} residents' association", "query": "Does the {P} residents' association support the new supermarket?",
     "a": ("supports the new supermarket", "welcomes the new supermarket", "is in favour of the new supermarket"),
     "b": ("opposes the new supermarket", "objects to the new supermarket", "is fighting the new supermarket"),
     "xa": ("is split over the new supermarket",), "xb": ("is split over the new supermarket",),
     "ra": ("Residents in {P} have said they would be glad to see the supermarket built.",
            "Residents in {P} have written to the council urging it to approve the supermarket.",
            "The supermarket planned for {P} has the residents' association on its side."),
     "rb": ("Residents in {P} have lodged a formal complaint against the planned supermarket.",
            "The residents' association in {P} has launched a campaign to stop the supermarket being built.",
            "The supermarket planned for {P} faces a wall of resistance from the local residents' association.")},
    # Safety and quality judgements, with qualifiers.
    {"s": "the shellfish from {P} harbour", "query": "Is the shellfish from {P} harbour safe to eat?",
     "a": ("is safe to eat", "can be eaten safely", "poses no risk to health"),
     "b": ("is unsafe to eat", "is not safe to eat", "should not be eaten"),
     "xa": ("should be eaten only after thorough cooking",), "xb": ("may be unsafe to eat",),
     "ra": ("Shellfish landed at {P} harbour passed every test for toxins and bacteria.",
            "Diners can order mussels and oysters from {P} harbour without worry.",
            "Food inspectors have lifted all warnings on shellfish caught at {P} harbour."),
     "rb": ("Eating mussels or oysters from {P} harbour could make people seriously ill.",
            "Food inspectors have told restaurants to stop serving shellfish caught at {P} harbour.",
            "Tests on shellfish landed at {P} harbour found toxins at harmful levels.")},
    {"s": "the {P} care home", "query": "Was the {P} care home rated good by inspectors?",
     "a": ("was rated good by inspectors", "received a good rating from inspectors", "was judged good by inspectors"),
     "b": ("was rated inadequate by inspectors", "received an inadequate rating from inspectors",
           "was judged inadequate by inspectors"),
     "xa": ("was rated outstanding by inspectors", "was rated as requiring improvement by inspectors"),
     "xb": ("was rated as requiring improvement by inspectors",),
     "ra": ("Inspectors praised the standard of care that residents receive at the {P} care home.",
            "Families with relatives at the {P} care home were reassured by a positive inspection report.",
            "Residents of the {P} care home are well looked after, the inspection report concluded."),
     "rb": ("Inspectors found that residents of the {P} care home were being badly let down.",
            "The {P} care home has been placed in special measures after a damning inspection.",
            "Residents at the {P} care home are not getting the care they need, the inspection report concluded.")},
    {"s": "the air in {P}", "query": "Does the air in {P} meet the legal limits for pollution?",
     "a": ("meets the legal limits for pollution", "is within the legal limits for pollution",
           "complies with the legal limits for pollution"),
     "b": ("breaches the legal limits for pollution", "exceeds the legal limits for pollution",
           "fails to meet the legal limits for pollution"),
     "xa": ("stays within the legal limits for pollution only on windy days",), "xb": (),
     "ra": ("Readings from the air monitors in {P} satisfy the law.",
            "Nitrogen dioxide levels in {P} stay below the maximum the law allows.",
            "The council in {P} faces no legal action over its air, as every monitor reads below the permitted level."),
     "rb": ("Readings from the air monitors in {P} break the law.",
            "Nitrogen dioxide levels in {P} regularly go above the maximum the law allows.",
            "The council in {P} could face legal action because of the fumes its monitors keep recording.")},
    # Services: kept / cut back / withdrawn.
    {"s": "the {P} school crossing patrol", "query": "Has the {P} school crossing patrol been scrapped?",
     "a": ("has been scrapped", "has been axed", "has been withdrawn"),
     "b": ("has been saved", "is still on duty", "has survived the cuts"),
     "xa": ("is under review",), "xb": ("is under review",),
     "ra": ("Children walking to school in {P} will no longer have a warden to see them across the road.",
            "The lollipop warden who stopped the traffic outside the school in {P} has worked a final shift.",
            "Pupils in {P} must now cross the busy road to school without anyone to stop the cars."),
     "rb": ("Children walking to school in {P} will still have a warden to see them across the road.",
            "The lollipop warden outside the school in {P} will keep stopping the traffic each morning.",
            "Pupils in {P} can go on crossing the busy road to school with someone to stop the cars.")},
    {"s": "the {P} sleeper train", "query": "Does the {P} sleeper train still run every night?",
     "a": ("still runs every night", "operates seven nights a week", "leaves every evening of the week"),
     "b": ("runs only at weekends", "has been cut back to weekends", "now runs on Fridays and Saturdays only"),
     "xa": ("has been withdrawn altogether",), "xb": ("has been withdrawn altogether",),
     "ra": ("Travellers can board an overnight train from {P} on any day of the week.",
            "There is an overnight departure from {P} with beds on board every single evening.",
            "Passengers from {P} can sleep their way to the capital whichever night they choose."),
     "rb": ("Travellers hoping to take an overnight train from {P} on a weekday will find none.",
            "The overnight departure from {P} with beds on board now leaves only on Fridays and Saturdays.",
            "Passengers from {P} can sleep their way to the capital only at the end of the week.")},
)

_L4_CATEGORY = "issue"

# ---------------------------------------------------------------------------------------------
# Small helpers.
# ---------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _spell(n: int) -> str:
    """English words for 0 <= n <= 999."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else "-" + _ONES[ones])
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + ("" if rest == 0 else " and " + _spell(rest))


def _spell_year(year: int) -> str:
    if 2000 <= year <= 2009:
        return "two thousand" + ("" if year == 2000 else " and " + _spell(year - 2000))
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_spell(high)} hundred"
    if low < 10:
        return f"{_spell(high)} oh-{_spell(low)}"
    return f"{_spell(high)} {_spell(low)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _is_int(x: float) -> bool:
    return abs(x - round(x)) < 1e-6


def _num(x: float, *, comma: bool = True) -> str:
    """A number as prose writes it: '1,250', '4.2', '0.75'."""
    if _is_int(x):
        return f"{round(x):,}" if comma else str(round(x))
    text = f"{x:,.2f}" if comma else f"{x:.2f}"
    return text.rstrip("0").rstrip(".")


def _round_sig(x: float, sig: int) -> float:
    if x <= 0:
        return x
    digits = sig - math.floor(math.log10(x)) - 1
    value = round(x, digits)
    return float(round(value)) if digits <= 0 else value


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _keys(frame: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(frame)]


def _slot_name(key: str) -> str:
    return key[:1].lower() + key[1:]


def _fill(template: str, slots: Mapping[str, str]) -> str:
    """Fill {slot} placeholders; a capitalised placeholder capitalises its value."""

    def replace(match: re.Match) -> str:
        key = match.group(1)
        value = slots[_slot_name(key)]
        return _cap(value) if key[:1].isupper() else value

    return _cap(_PLACEHOLDER.sub(replace, template))


def _applicable(frame: str, slots: Mapping[str, Any]) -> bool:
    return all(slots.get(_slot_name(key)) is not None for key in _keys(frame))


_VALUE_SLOTS = ("v", "in_v", "vp")


def _value_frames(frames: Sequence[str]) -> tuple[str, ...]:
    return tuple(f for f in frames if any(_slot_name(k) in _VALUE_SLOTS for k in _keys(f)))


def _title(rng: random.Random) -> str:
    adjective = rng.choice(_TITLE_ADJECTIVES)
    noun = rng.choice(_TITLE_NOUNS)
    pattern = rng.randrange(6)
    if pattern == 0:
        return f"The {adjective} {noun}"
    if pattern == 1:
        return f"{adjective} {noun}"
    if pattern == 2:
        return f"The {noun} at {rng.choice(PLACES)}"
    if pattern == 3:
        return f"{_article(noun).title()} {noun} for {rng.choice(FIRST_NAMES)}"
    if pattern == 4:
        other = rng.choice([n for n in _TITLE_NOUNS if n != noun])
        return f"The {noun} and the {other}"
    return f"{noun}s of {rng.choice(PLACES)}"


# ---------------------------------------------------------------------------------------------
# Mentions: how a value is written in one sentence.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    """One written form of a value: frame slots and the substring that states it."""

    slots: Mapping[str, str]
    text: str  # the substring of the sentence that states the value


def _mention(v: str | None = None, **extra: str | None) -> _Mention:
    """A mention; ``whole=`` holds a complete sentence that states the value on its own."""
    slots = {"v": v, **extra}
    text = v if v is not None else (extra.get("in_v") or extra.get("whole") or "")
    return _Mention(slots={k: val for k, val in slots.items() if val is not None}, text=text)


class _Level:
    """A level's value model: gold values, conflicting values and consistent rewordings."""

    level: str
    frames: tuple[str, ...]
    topics: tuple[dict[str, Any], ...]

    def sample_gold(self, topic: dict[str, Any], rng: random.Random) -> Any:
        raise NotImplementedError

    def conflicts(self, topic: dict[str, Any], gold: Any, rng: random.Random) -> Any:
        """One value that conflicts with ``gold`` (or None when this draw failed)."""
        raise NotImplementedError

    def gold_mention(self, topic: dict[str, Any], gold: Any) -> _Mention:
        raise NotImplementedError

    def conflict_mention(self, topic: dict[str, Any], gold: Any, value: Any, rng: random.Random) -> _Mention:
        """A mention whose ``text`` is the exact answer annotation of the conflicting document."""
        raise NotImplementedError

    def paraphrase(self, topic: dict[str, Any], gold: Any, rng: random.Random) -> _Mention | None:
        """A mention of the gold value in another wording, or None when none exists."""
        raise NotImplementedError

    def gold_answer(self, topic: dict[str, Any], gold: Any) -> str:
        return self.gold_mention(topic, gold).text

    def same(self, a: Any, b: Any) -> bool:
        return a == b


# --- L1: dates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Date:
    year: int
    month: int  # 1..12
    day: int  # 1..28
    fmt: str  # "year", "month_year", "dmy" or "mdy"


def _date_text(d: _Date, fmt: str | None = None) -> str:
    fmt = fmt or d.fmt
    month = _MONTHS[d.month - 1]
    if fmt == "year":
        return str(d.year)
    if fmt == "month_year":
        return f"{month} {d.year}"
    if fmt == "dmy":
        return f"{d.day} {month} {d.year}"
    return f"{month} {d.day}, {d.year}"


_UNIT_OF_FORMAT = {"year": "year", "month_year": "month", "dmy": "day", "mdy": "day"}
_PREP_OF_FORMAT = {"year": "in", "month_year": "in", "dmy": "on", "mdy": "on"}


class _TemporalLevel(_Level):
    level = "L1"
    frames = _value_frames(_L1_FRAMES)
    topics = _L1_TOPICS

    def sample_gold(self, topic, rng):
        lo, hi = topic["era"]
        fmt = rng.choices(("year", "month_year", "dmy", "mdy"), weights=(45, 20, 20, 15))[0]
        return _Date(rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28), fmt)

    def gold_mention(self, topic, gold):
        text = _date_text(gold)
        return _mention(v=text, in_v=f"{_PREP_OF_FORMAT[gold.fmt]} {text}", unit=_UNIT_OF_FORMAT[gold.fmt])

    def _differs(self, gold: _Date, other: _Date) -> bool:
        """Whether ``other`` (in its own format) contradicts ``gold`` at the coarser of both."""
        if gold.year != other.year:
            return True
        fine = ("dmy", "mdy")
        if gold.fmt == "year" or other.fmt == "year":
            return False
        if gold.month != other.month:
            return True
        if gold.fmt in fine and other.fmt in fine:
            return gold.day != other.day
        return False

    def conflicts(self, topic, gold, rng):
        allowed = {
            "year": ("year", "month_year", "dmy", "mdy"),
            "month_year": ("year", "month_year", "dmy"),
            "dmy": ("dmy", "mdy"),
            "mdy": ("dmy", "mdy"),
        }[gold.fmt]
        fmt = gold.fmt if rng.random() < 0.65 else rng.choice(allowed)
        year, month, day = gold.year, gold.month, gold.day
        # Near misses (another day or month of the same year) are weighted up: they are how
        # dates typically disagree in real text (a misread or mistyped day), and the hardest case.
        strategy = rng.choices(("shift", "swap", "month", "day"), weights=(40, 15, 20, 25))[0]
        if strategy == "swap":
            digits = str(year)
            swapped = digits[:2] + digits[3] + digits[2]
            year = int(swapped) if swapped != digits and int(swapped) <= 2024 else year + rng.choice((-1, 1))
        elif strategy == "month" and gold.fmt != "year" and fmt != "year":
            month = rng.choice([m for m in range(1, 13) if m != gold.month])
        elif strategy == "day" and gold.fmt in ("dmy", "mdy"):
            day = rng.choice([d for d in range(1, 29) if d != gold.day])
        else:
            year += rng.choice((-1, 1)) * rng.choice((1, 1, 2, 2, 3, 4, 5, 7, 10, rng.randint(6, 30)))
        if year > 2024:
            year = gold.year - rng.randint(1, 12)
        if fmt == "year" and year == gold.year:
            year = gold.year + rng.choice((-2, -1, 1, 2))
        other = _Date(year, month, day, fmt)
        if other.year > 2024 or not self._differs(gold, other):
            return None
        return other

    def conflict_mention(self, topic, gold, value, rng):
        text = _date_text(value)
        # The annotated answer is the part the twin replaces by the gold text: it must keep the
        # sentence grammatical ("on 14 May 1893" -> "on 14 May 1889" when gold is a year).
        if gold.fmt == "year":
            answer = str(value.year)
        elif gold.fmt == "month_year":
            answer = str(value.year) if value.fmt == "year" else f"{_MONTHS[value.month - 1]} {value.year}"
        else:
            answer = text
        mention = _mention(v=text, in_v=f"{_PREP_OF_FORMAT[value.fmt]} {text}", unit=_UNIT_OF_FORMAT[value.fmt])
        return _Mention(slots=mention.slots, text=answer)

    def paraphrase(self, topic, gold, rng):
        month = _MONTHS[gold.month - 1]
        y = gold.year
        options: list[_Mention] = []
        if gold.fmt == "year":
            options += [
                _mention(v=f"{month} {y}", in_v=f"in {month} {y}", unit="month"),
                _mention(v=f"{gold.day} {month} {y}", in_v=f"on {gold.day} {month} {y}", unit="day"),
                _mention(in_v=f"in the {rng.choice(_SEASONS)} of {y}"),
                _mention(in_v=f"{rng.choice(('early', 'late'))} in {y}"),
                _mention(v=_spell_year(y), in_v=f"in {_spell_year(y)}", unit="year"),
                _mention(in_v=f"in the year {y}"),
            ]
        elif gold.fmt == "month_year":
            other_day = rng.randint(1, 28)
            options += [
                _mention(v=str(y), in_v=f"in {y}", unit="year"),
                _mention(v=f"{other_day} {month} {y}", in_v=f"on {other_day} {month} {y}", unit="day"),
                _mention(v=f"{month} {other_day}, {y}", in_v=f"on {month} {other_day}, {y}", unit="day"),
                _mention(in_v=f"in {month} of {y}"),
                _mention(in_v=f"{rng.choice(('early', 'late'))} in {month} {y}"),
                _mention(in_v=f"in {month} {_spell_year(y)}"),
            ]
        else:
            other = "mdy" if gold.fmt == "dmy" else "dmy"
            text = _date_text(gold, other)
            options += [
                _mention(v=text, in_v=f"on {text}", unit="day"),
                _mention(v=f"the {_ordinal(gold.day)} of {month} {y}", in_v=f"on the {_ordinal(gold.day)} of {month} {y}",
                         unit="day"),
                _mention(v=f"{month} {y}", in_v=f"in {month} {y}", unit="month"),
                _mention(v=str(y), in_v=f"in {y}", unit="year"),
                _mention(in_v=f"on the {_ordinal(gold.day)} of {month}, {y}"),
            ]
        return rng.choice(options)

    def same(self, a, b):
        return _date_text(a) == _date_text(b) and a.fmt == b.fmt


# --- L2: quantities -------------------------------------------------------------------------

# Families whose number, written in another unit, is a different quantity.
_UNIT_SWAP = {"km": "mi", "m": "ft", "mm": "in", "ha": "acre", "km2": "sqmi", "kmh": "mph"}
_STYLES = {
    "km": ("abbr", "word", "metres", "spelled"),
    "mi": ("word",),
    "m": ("abbr", "word", "plain", "km_abbr", "km_word", "spelled"),
    "ft": ("word",),
    "mm": ("abbr", "word", "plain"),
    "in": ("word",),
    "ha": ("word", "abbr", "plain", "km2"),
    "acre": ("word",),
    "km2": ("word", "abbr", "ha"),
    "sqmi": ("word",),
    "kg": ("word", "abbr", "tonnes", "plain"),
    "kmh": ("abbr", "word"),
    "mph": ("abbr", "word"),
    "min": ("word", "abbr", "hours", "spelled"),
    "mw": ("abbr", "word"),
    "count": ("comma", "plain", "spelled", "short"),
    "money": ("sym", "word", "full", "short"),
    "pct": ("sym", "percent", "per_cent", "spelled"),
}


@dataclass(frozen=True)
class _Quantity:
    value: float
    family: str
    style: str


#: Metric families written with a symbol ("1,150 mm"), the unit's name ("1,150 millimetres") or,
#: from 1000 up, the name without a thousands comma ("1150 millimetres"): symbol and name.
_METRIC_UNITS = {"m": ("m", "metres"), "mm": ("mm", "millimetres"), "ha": ("ha", "hectares"),
                 "kg": ("kg", "kilograms")}


def _render_quantity(q: _Quantity, topic: Mapping[str, Any], currency: tuple[str, str]) -> str | None:
    v, family, style = q.value, q.family, q.style
    if family in _METRIC_UNITS:
        symbol, name = _METRIC_UNITS[family]
        if style == "abbr":
            return f"{_num(v)} {symbol}"
        if style == "word":
            return f"{_num(v)} {name}"
        if style == "plain":
            return f"{_num(v, comma=False)} {name}" if v >= 1000 and _is_int(v) else None
    if family == "km":
        if style == "abbr":
            return f"{_num(v)} km"
        if style == "word":
            return f"{_num(v)} kilometres" if v != 1 else "1 kilometre"
        if style == "metres" and v < 10 and _is_int(v * 1000):
            return f"{_num(v * 1000)} metres"
        if style == "spelled" and _is_int(v) and 2 <= v <= 20:
            return f"{_spell(round(v))} kilometres"
        return None
    if family == "mi":
        return f"{_num(v)} miles"
    if family == "m":
        if style in ("km_abbr", "km_word") and v >= 1000 and _is_int(v / 100):
            return f"{_num(v / 1000)} " + ("km" if style == "km_abbr" else "kilometres")
        if style == "spelled" and _is_int(v) and 2 <= v <= 99:
            return f"{_spell(round(v))} metres"
        return None
    if family == "ft":
        return f"{_num(v)} feet"
    if family == "in":
        return f"{_num(v)} inches"
    if family == "ha":
        if style == "km2" and _is_int(v / 10) and v >= 100:
            return f"{_num(v / 100)} square kilometres"
        return None
    if family == "acre":
        return f"{_num(v)} acres"
    if family == "km2":
        if style == "word":
            return f"{_num(v)} square kilometres"
        if style == "abbr":
            return f"{_num(v)} sq km"
        if style == "ha" and _is_int(v * 100):
            return f"{_num(v * 100)} hectares"
        return None
    if family == "sqmi":
        return f"{_num(v)} square miles"
    if family == "kg":
        if style == "tonnes" and v >= 1000 and _is_int(v / 100):
            return f"{_num(v / 1000)} tonnes"
        return None
    if family in ("kmh", "mph"):
        if style == "abbr":
            return f"{_num(v)} " + ("km/h" if family == "kmh" else "mph")
        return f"{_num(v)} " + ("kilometres per hour" if family == "kmh" else "miles per hour")
    if family == "min":
        n = round(v)
        if style == "word":
            return f"{n} minutes"
        if style == "abbr":
            return f"{n} min"
        if style == "hours":
            if n == 30:
                return "half an hour"
            if n == 60:
                return "one hour"
            if n == 90:
                return "an hour and a half"
            if n % 60 == 0:
                return f"{_spell(n // 60)} hours"
            return None
        if style == "spelled" and (n <= 20 or n % 5 == 0) and n < 100:
            return f"{_spell(n)} minutes"
        return None
    if family == "mw":
        return f"{_num(v)} " + ("MW" if style == "abbr" else "megawatts")
    if family == "count":
        noun = topic["noun"]
        n = round(v)
        if style == "comma":
            return f"{n:,} {noun}"
        if style == "plain" and n >= 1000:
            return f"{n} {noun}"
        if style == "spelled" and 2 <= n <= 999:
            return f"{_spell(n)} {noun}"
        if style == "short":
            if n >= 1_000_000 and n % 100_000 == 0:
                return f"{_num(n / 1_000_000)} million {noun}"
            if 10_000 <= n < 100_000 and n % 1000 == 0:
                return f"{n // 1000} thousand {noun}"
        return None
    if family == "money":
        symbol, word = currency
        if v >= 1e9:
            amount, scale = _num(v / 1e9), "billion"
        elif v >= 1e6:
            amount, scale = _num(v / 1e6), "million"
        else:
            amount, scale = _num(v), ""
        if style == "sym":
            return f"{symbol}{amount}" + (f" {scale}" if scale else "")
        if style == "word":
            return f"{amount} " + (f"{scale} " if scale else "") + word
        if style == "full" and scale == "million" and _is_int(v):
            return f"{symbol}{_num(v)}"
        if style == "short" and scale:
            return f"{symbol}{amount}" + ("m" if scale == "million" else "bn")
        return None
    if family == "pct":
        if style == "sym":
            return f"{_num(v)}%"
        if style == "percent":
            return f"{_num(v)} percent"
        if style == "per_cent":
            return f"{_num(v)} per cent"
        if style == "spelled" and _is_int(v) and 2 <= v <= 99:
            return f"{_spell(round(v))} percent"
        return None
    raise ValueError(f"unknown quantity family {family!r}")


class _NumericalLevel(_Level):
    level = "L2"
    frames = _value_frames(_L2_FRAMES)
    topics = _L2_TOPICS

    # The row's currency is drawn once per row and kept on the topic copy.
    def _styles(self, topic: Mapping[str, Any], family: str) -> tuple[str, ...]:
        if family == topic["kind"] and topic.get("styles"):
            return tuple(topic["styles"])
        return _STYLES[family]

    def _round(self, topic: Mapping[str, Any], x: float, rng: random.Random) -> float:
        kind = topic["kind"]
        if kind == "pct":
            if topic.get("decimals") and rng.random() < 0.6:
                return round(x, 1)
            return float(max(1, round(x)))
        if topic.get("step"):
            step = topic["step"]
            return float(max(step, step * round(x / step)))
        if kind in ("km", "km2") and x < 10:
            return round(x, 1) if x >= 1 else round(x, 2)
        if kind == "min":
            return float(max(5, 5 * round(x / 5)))
        value = _round_sig(x, rng.choice((2, 2, 3)))
        if kind not in ("km", "km2"):
            value = float(round(value))
        return max(value, 1.0)

    def _render(self, topic, q: _Quantity) -> str | None:
        return _render_quantity(q, topic, topic["currency"])

    def _pick_style(self, topic, value: float, family: str, rng: random.Random, prefer: str | None = None):
        styles = self._styles(topic, family)
        if prefer in styles and self._render(topic, _Quantity(value, family, prefer)) is not None:
            return prefer
        usable = [s for s in styles if self._render(topic, _Quantity(value, family, s)) is not None]
        return rng.choice(usable) if usable else None

    def sample_gold(self, topic, rng):
        value = self._round(topic, _log_uniform(rng, topic["lo"], topic["hi"]), rng)
        styles = [s for s in self._styles(topic, topic["kind"]) if s != "spelled"]
        usable = [s for s in styles if self._render(topic, _Quantity(value, topic["kind"], s)) is not None]
        return _Quantity(value, topic["kind"], rng.choice(usable))

    def gold_mention(self, topic, gold):
        return _mention(v=self._render(topic, gold))

    def conflicts(self, topic, gold, rng):
        family = gold.family
        value = gold.value
        # Transposed digits (3.6 / 6.3) are a typical real-world disagreement and hard to see.
        strategy = rng.choices(("shift", "swap", "unit", "scale"), weights=(45, 25, 15, 15))[0]
        if strategy == "unit" and family in _UNIT_SWAP:
            family = _UNIT_SWAP[family]
        elif strategy == "swap":
            digits = _num(value, comma=False)
            positions = [i for i in range(len(digits) - 1) if digits[i].isdigit() and digits[i + 1].isdigit()
                         and digits[i] != digits[i + 1]]
            if not positions:
                return None
            i = rng.choice(positions)
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
            if swapped.startswith("0"):
                return None
            value = float(swapped)
        elif strategy == "scale" and family == "money":
            value = value * 1000 if value < 1e8 and rng.random() < 0.5 else value / 1000
            if value < 10:
                return None
        elif strategy == "scale" and family == "count":
            value = value * rng.choice((2, 10)) if rng.random() < 0.5 else value / rng.choice((2, 10))
            value = float(round(value))
        elif topic["kind"] == "pct":
            value = value + rng.choice((-1, 1)) * rng.choice((1, 2, 3, 5, 8, 10, 15, 20))
            if not 0.5 <= value <= 99.5:
                value = gold.value + rng.choice((2, 5)) * (1 if gold.value < 50 else -1)
            value = round(value, 1)
        else:
            factor = 1 + rng.choice((-1, 1)) * rng.uniform(0.06, 0.6)
            value = self._round(topic, value * factor, rng)
        if value <= 0 or (family == gold.family and abs(value - gold.value) < 1e-6):
            return None
        if family == "pct" and value >= 100:
            return None
        prefer = gold.style if rng.random() < 0.6 else None
        style = self._pick_style(topic, value, family, rng, prefer)
        if style is None:
            return None
        return _Quantity(value, family, style)

    def conflict_mention(self, topic, gold, value, rng):
        return _mention(v=self._render(topic, value))

    def paraphrase(self, topic, gold, rng):
        gold_text = self._render(topic, gold)
        options = []
        for style in self._styles(topic, gold.family):
            text = self._render(topic, _Quantity(gold.value, gold.family, style))
            if text is not None and text != gold_text:
                options.append(text)
        return _mention(v=rng.choice(options)) if options else None

    def same(self, a, b):
        return a.family == b.family and abs(a.value - b.value) < 1e-6


# --- L3: entities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entity:
    kind: str
    first: str = ""
    last: str = ""
    base: str = ""
    suffix: str = ""
    name: str = ""  # places and titles
    honorific: str = ""  # people: "Dr", "Professor", ... or none

    @property
    def text(self) -> str:
        if self.kind == "person":
            return f"{self.honorific} {self.first} {self.last}".lstrip()
        if self.kind == "org":
            return f"{self.base} {self.suffix}"
        return self.name


#: Titles some people carry; a document may drop the first name or the title.
_HONORIFICS: tuple[str, ...] = ("Dr", "Professor", "Captain", "Councillor", "Reverend")
_HONORIFIC_SHARE = 0.2


class _EntityLevel(_Level):
    level = "L3"
    frames = _value_frames(_L3_FRAMES)
    topics = _L3_TOPICS

    def _draw(self, topic, rng) -> _Entity:
        kind = topic["kind"]
        if kind == "person":
            honorific = rng.choice(_HONORIFICS) if rng.random() < _HONORIFIC_SHARE else ""
            entity = _Entity("person", first=rng.choice(FIRST_NAMES), last=rng.choice(LAST_NAMES), honorific=honorific)
        elif kind == "org":
            base = rng.choice(PLACES) if rng.random() < 0.6 else rng.choice(LAST_NAMES)
            entity = _Entity("org", base=base, suffix=rng.choice(topic["suffixes"]))
        elif kind == "place":
            entity = _Entity("place", name=rng.choice(PLACES))
        else:
            entity = _Entity("title", name=_title(rng))
        return entity

    def sample_gold(self, topic, rng):
        return self._draw(topic, rng)

    def gold_mention(self, topic, gold):
        return _mention(v=gold.text)

    def conflicts(self, topic, gold, rng):
        other = self._draw(topic, rng)
        if other.kind == "person" and other.last == gold.last:
            return None
        if other.kind == "org" and other.base == gold.base:
            return None
        if other.text == gold.text:
            return None
        return other

    def conflict_mention(self, topic, gold, value, rng):
        if value.kind == "person" and rng.random() < 0.15:
            return _mention(v=f"{value.honorific} {value.first[0]}. {value.last}".lstrip())
        return _mention(v=value.text)

    def paraphrase(self, topic, gold, rng):
        if gold.kind == "person":
            middle = rng.choice("ABCDEFGHJKLMNPRSTW")
            options = [f"{gold.first[0]}. {gold.last}", f"{gold.first} {middle}. {gold.last}", gold.last]
            if gold.honorific:
                # "Dr Hale" for "Dr Mary Hale", and the name without the title.
                options += [f"{gold.honorific} {gold.last}", f"{gold.first} {gold.last}"]
        elif gold.kind == "org":
            options = [gold.base]
            if topic.get("company"):
                options.append(f"{gold.base} {gold.suffix} Ltd")
            elif gold.suffix == "University":
                options.append(f"the University of {gold.base}")
            else:
                options.append(f"the {gold.base} {gold.suffix}")
        elif gold.kind == "place":
            options = [f"the town of {gold.name}", f"the small town of {gold.name}"]
        else:
            options = [f'"{gold.name}"']
            if gold.name.startswith("The "):
                options.append(gold.name[4:])
        return _mention(v=rng.choice(options))

    def same(self, a, b):
        return a.text == b.text


# --- L4: claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    side: str  # "a" or "b"
    text: str


class _SemanticLevel(_Level):
    level = "L4"
    frames = _value_frames(_L4_FRAMES)
    topics = _L4_TOPICS

    def sample_gold(self, topic, rng):
        side = rng.choice(("a", "b"))
        return _Claim(side, rng.choice(topic[side]))

    def gold_mention(self, topic, gold):
        return _mention(v=gold.text)

    def conflicts(self, topic, gold, rng):
        other = "b" if gold.side == "a" else "a"
        pool = list(topic[other]) + list(topic["x" + gold.side])
        return _Claim("x", rng.choice(pool))

    def conflict_mention(self, topic, gold, value, rng):
        # The other side's whole-sentence restatements state conflicts too (otherwise a sentence
        # with its own construction would only ever agree with the gold answer). The twin rule
        # then replaces the whole sentence by the gold claim.
        other = "b" if gold.side == "a" else "a"
        restated = topic.get("r" + other)
        if restated and value.text in topic[other] and rng.random() < 0.3:
            return _mention(whole=rng.choice(restated))
        return _mention(v=value.text)

    def paraphrase(self, topic, gold, rng):
        # Half the time (where the topic has them) a whole sentence that restates the claim with
        # another subject or construction; otherwise another verb phrase for the same subject.
        restated = topic.get("r" + gold.side)
        if restated and rng.random() < 0.5:
            return _mention(whole=rng.choice(restated))
        options = [claim for claim in topic[gold.side] if claim != gold.text]
        return _mention(v=rng.choice(options)) if options else None

    def same(self, a, b):
        return a.text == b.text


_LEVEL_MODELS: dict[str, _Level] = {
    "L1": _TemporalLevel(),
    "L2": _NumericalLevel(),
    "L3": _EntityLevel(),
    "L4": _SemanticLevel(),
}

# ---------------------------------------------------------------------------------------------
# Rows.
# ---------------------------------------------------------------------------------------------


def _row_names(rng: random.Random) -> dict[str, str]:
    place, other_place = rng.sample(PLACES, 2)
    org_base = rng.choice(PLACES) if rng.random() < 0.5 else rng.choice(LAST_NAMES)
    org_suffix = rng.choice(("Group", "Holdings", "Trading Company", "Outfitters", "Foods", "Textiles"))
    return {
        "P": place,
        "P2": other_place,
        "N": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "T": _title(rng),
        "O": f"{org_base} {org_suffix}",
        "D": rng.choice(DRUG_NAMES),
        "A": rng.choice(PLACES),
    }


def _instantiate(topic: Mapping[str, Any], names: Mapping[str, str], rng: random.Random) -> dict[str, Any]:
    """A topic with its name placeholders filled ({v} is kept for the value)."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: names.get(m.group(1), m.group(0)), value)
        if isinstance(value, tuple):
            return tuple(fill(item) for item in value)
        return value

    filled = {key: fill(value) for key, value in topic.items()}
    filled["short"] = _L4_SHORT_SUBJECTS.get(topic["s"], ())
    filled["currency"] = rng.choice(_CURRENCIES)
    return filled


class _Writer:
    """Writes the sentences of one row, avoiding reuse of frames and context sentences."""

    def __init__(self, level: str, topic: Mapping[str, Any], rng: random.Random, place: str) -> None:
        self.level = level
        self.topic = topic
        self.rng = rng
        self.place = place
        self.model = _LEVEL_MODELS[level]
        if level == "L4":
            # Current-affairs subjects: the history-flavoured generic sentences do not fit.
            self.context_pool = list(CATEGORY_CONTEXT[_L4_CATEGORY])
        else:
            self.context_pool = list(CATEGORY_CONTEXT[topic["cat"]]) + list(GENERIC_CONTEXT)
        self.unused_context: list[str] = []
        self.used_frames: list[str] = []
        self.used_asides: set[str] = set()

    def _topic_slots(self) -> dict[str, str]:
        topic = self.topic
        slots = {"s": topic["s"]}
        for key in ("event", "noun", "the_attr", "cop", "the_role", "active", "credit", "where", "prep"):
            if topic.get(key):
                slots[key] = topic[key]
        if self.level == "L3":
            slots["rel"] = "who" if topic["cat"] == "person" else "which"
            if topic["kind"] == "person":
                slots["who"] = "who"
            elif topic["kind"] == "org":
                slots["who"] = "that"
        return slots

    def _random_slots(self) -> dict[str, str]:
        rng = self.rng
        return {
            "source": rng.choice(SOURCES),
            "doc": rng.choice(DOC_SOURCES),
            "body": rng.choice(BODY_SOURCES),
            "aside": rng.choice(_ASIDES[self.level]),
            "comment": rng.choice(_COMMENTS),
            "reaction": rng.choice(_REACTIONS),
            "weekday": rng.choice(_WEEKDAYS),
        }

    def value_sentence(self, mention: _Mention) -> str:
        if "whole" in mention.slots:
            # A complete sentence (an L4 restatement): no frame, so nothing in used_frames.
            return mention.slots["whole"]
        slots = {**self._topic_slots(), **self._random_slots(), **mention.slots}
        if self.level == "L2" and "v" in slots and self.rng.random() < _HEDGE_SHARE:
            slots["v"] = f"{self.rng.choice(_HEDGES)} {slots['v']}"
        if self.level == "L4" and "v" in slots and self.rng.random() < _TAIL_SHARE:
            slots["v"] += _fill(self.rng.choice(_L4_TAILS), slots)
        if self.topic["short"] and self.rng.random() < _SHORT_SUBJECT_SHARE:
            slots["s"] = self.rng.choice(self.topic["short"])
        if "v" in mention.slots and self.topic.get("vp"):
            slots["vp"] = self.topic["vp"].replace("{v}", mention.slots["v"])
        frames = [f for f in self.model.frames if _applicable(f, slots)]
        # Prefer frames not yet used in this row.
        candidates = [f for f in frames if f not in self.used_frames] or frames
        frame = self.rng.choice(candidates)
        self.used_frames.append(frame)
        return _fill(frame, slots)

    def context_sentence(self, min_year: int | None = None) -> str:
        """A sentence without the value: a composed aside (most of the time) or a stock one."""
        if self.rng.random() < _ASIDE_SHARE:
            subject_frames = self.level != "L4" and self.topic.get("cat") in _ASIDE_SUBJECT_CATEGORIES
            aside = _aside(self.rng, self.topic["s"], self.place, min_year=min_year, subject_frames=subject_frames)
            # An aside without random slots ("Houses in {P} are ...") would otherwise recur within a row.
            if aside is not None and aside not in self.used_asides:
                self.used_asides.add(aside)
                return aside
        if not self.unused_context:
            self.unused_context = list(self.context_pool)
        sentence = self.unused_context.pop(self.rng.randrange(len(self.unused_context)))
        return _fill(sentence, {"s": self.topic["s"]})

    def side_fact(self, min_year: int | None) -> str | None:
        rng = self.rng
        if self.level == "L4":
            return _fill(rng.choice(_ISSUE_SIDE_FACTS), {"s": self.topic["s"], "k": str(rng.randint(12, 2400))})
        if rng.random() < 0.5:
            lo = max(1975, (min_year or 0) + 5)
            if lo > 2023:
                return None
            return _fill(rng.choice(_YEAR_SIDE_FACTS), {"s": self.topic["s"], "y": str(rng.randint(lo, 2023))})
        return _fill(rng.choice(_COUNT_SIDE_FACTS), {"s": self.topic["s"], "k": str(rng.randint(12, 480))})

    def document(self, mention: _Mention | None, *, min_year: int | None) -> str:
        """A document: the value sentence (if any) among context sentences and side facts."""
        rng = self.rng
        sentences = []
        if mention is not None:
            sentences.append(self.value_sentence(mention))
            n_context = rng.choices((0, 1, 2, 3), weights=(30, 40, 22, 8))[0]
            side_chance = 0.2
        else:
            n_context = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
            side_chance = 0.3
        sentences.extend(self.context_sentence(min_year) for _ in range(n_context))
        if rng.random() < side_chance:
            fact = self.side_fact(min_year)
            if fact is not None:
                sentences.append(fact)
        rng.shuffle(sentences)
        return " ".join(sentences)


def _max_year(values: Iterable[Any]) -> int | None:
    years = [v.year for v in values if isinstance(v, _Date)]
    return max(years) if years else None


def _check_row(row: Mapping[str, Any], conflict_answers: Sequence[str], gold: str) -> bool:
    """The invariants the twin rule and the loader rely on (see the module docstring)."""
    documents = row["documents"]
    if not documents or len(documents) > MAX_DOCUMENTS:
        return False
    for answer in conflict_answers:
        if not answer or answer in gold or gold in answer:
            return False
        for other in conflict_answers:
            if other != answer and (other in answer or answer in other):
                return False
    if not any(gold in doc["text"] for doc in documents):
        return False
    for doc in documents:
        text = doc["text"]
        if doc["answer"] != gold and text.count(doc["answer"]) != 1:
            return False
        if doc["answer"] == gold and any(answer in text for answer in conflict_answers):
            return False
    twin = make_consistent_twin(row)
    return not any(answer in doc["text"] for doc in twin["documents"] for answer in conflict_answers)


def _row_rng(seed: int, kind: str, level: str, index: int, attempt: int) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, so it is stable across runs and platforms.
    return random.Random(f"lcr-hub-generator:{seed}:{kind}:{level}:{index}:{attempt}")


def _build_row(
    level: str,
    index: int,
    rng: random.Random,
    *,
    conflicting: bool,
    min_documents: int,
    max_documents: int,
) -> dict[str, Any] | None:
    model = _LEVEL_MODELS[level]
    names = _row_names(rng)
    topic = _instantiate(rng.choice(model.topics), names, rng)
    writer = _Writer(level, topic, rng, names["P"])
    gold = model.sample_gold(topic, rng)
    gold_text = model.gold_answer(topic, gold)

    n_docs = rng.randint(min_documents, max_documents)
    if conflicting:
        # Distractors only where at least three documents still state a value, so that the
        # gold answer stays a strict majority of the documents that state one.
        n_distractors = 0 if n_docs <= 3 or rng.random() < 0.5 else rng.randint(1, min(3, n_docs - 3))
        n_value = n_docs - n_distractors
        n_conflict = 1 if n_value <= 3 else rng.randint(1, (n_value - 1) // 2)
        n_distinct = 2 if n_conflict >= 2 and rng.random() < 0.45 else 1
        conflict_values: list[Any] = []
        for _ in range(20):
            if len(conflict_values) == n_distinct:
                break
            candidate = model.conflicts(topic, gold, rng)
            if candidate is None or model.same(candidate, gold):
                continue
            if any(model.same(candidate, other) for other in conflict_values):
                continue
            conflict_values.append(candidate)
        if not conflict_values:
            return None
        assigned = list(conflict_values) + [rng.choice(conflict_values) for _ in range(n_conflict - len(conflict_values))]
    else:
        n_distractors = 0 if n_docs <= 2 or rng.random() < 0.55 else rng.randint(1, min(2, n_docs - 2))
        n_value = n_docs - n_distractors
        n_conflict = 0
        conflict_values = []
        assigned = []

    n_gold = n_value - n_conflict
    # At least one document states the gold answer verbatim; the others may reword it.
    paraphrase_chance = 0.6 if not conflicting else 0.35
    plan: list[tuple[str, Any]] = [("gold", None)]
    for _ in range(n_gold - 1):
        plan.append(("paraphrase" if rng.random() < paraphrase_chance else "gold", None))
    if not conflicting and n_gold >= 2 and all(kind == "gold" for kind, _ in plan):
        plan[-1] = ("paraphrase", None)
    plan.extend(("conflict", value) for value in assigned)
    plan.extend(("distractor", None) for _ in range(n_distractors))
    rng.shuffle(plan)

    min_year = _max_year([gold, *conflict_values])
    documents = []
    conflict_answers: list[str] = []
    conflict_mentions: dict[int, _Mention] = {}
    for kind, value in plan:
        if kind == "conflict":
            # One written form per conflicting value, so that its documents share one annotation.
            key = next(i for i, other in enumerate(conflict_values) if other is value)
            if key not in conflict_mentions:
                conflict_mentions[key] = model.conflict_mention(topic, gold, value, rng)
            mention = conflict_mentions[key]
            answer = mention.text
            if answer not in conflict_answers:
                conflict_answers.append(answer)
        elif kind == "paraphrase":
            mention = model.paraphrase(topic, gold, rng) or model.gold_mention(topic, gold)
            answer = gold_text
        elif kind == "gold":
            mention = model.gold_mention(topic, gold)
            answer = gold_text
        else:
            mention = None
            answer = gold_text
        text = writer.document(mention, min_year=min_year)
        documents.append({"doc_id": f"d{len(documents) + 1}", "text": text, "answer": answer})

    prefix = "gen" if conflicting else "gen_cons"
    row = {
        "id": f"{prefix}_{level.lower()}_{index:06d}",
        "query": topic["query"],
        "documents": documents,
        "gold_answer": gold_text,
        "conflict_type": CONFLICT_TYPES[level],
        "conflict_level": level,
        "is_natural": False,
    }
    if conflicting and len({doc["answer"] for doc in documents}) < 2:
        return None
    return row if _check_row(row, conflict_answers, gold_text) else None


def _generate(level: str, index: int, seed: int, *, conflicting: bool, min_documents: int, max_documents: int):
    kind = "conflict" if conflicting else "consistent"
    for attempt in range(_MAX_ATTEMPTS):
        rng = _row_rng(seed, kind, level, index, attempt)
        row = _build_row(level, index, rng, conflicting=conflicting, min_documents=min_documents,
                         max_documents=max_documents)
        if row is not None:
            return row
    raise RuntimeError(f"could not generate a valid {kind} row {level}/{index} in {_MAX_ATTEMPTS} attempts")


def _check_bounds(min_documents: int, max_documents: int, minimum: int) -> None:
    if not minimum <= min_documents <= max_documents <= MAX_DOCUMENTS:
        raise ValueError(
            f"expected {minimum} <= min_documents <= max_documents <= {MAX_DOCUMENTS}, "
            f"got min_documents={min_documents}, max_documents={max_documents}."
        )


def generate_rows(
    n_per_level: int,
    *,
    seed: int = 42,
    min_documents: int = 2,
    max_documents: int = 8,
) -> list[dict[str, Any]]:
    """Generate conflicting LCR rows, ``n_per_level`` for each of L1..L4.

    Every row has at least one document that contradicts ``gold_answer`` (one or two distinct
    conflicting values, always fewer documents than those that state the gold answer, or one
    against one with two documents), and may hold consistent rewordings of the gold value and
    distractor documents. Rows are grouped by level (L1 first); ids are ``gen_l1_000000``...

    Args:
        n_per_level (`int`):
            Rows per level (>= 0).
        seed (`int`, *optional*, defaults to `42`):
            The seed; the same seed always gives the same rows, and row *i* of a level does
            not depend on ``n_per_level``.
        min_documents (`int`, *optional*, defaults to `2`):
            Fewest documents per row (>= 2).
        max_documents (`int`, *optional*, defaults to `8`):
            Most documents per row (<= 8, the loader's limit).

    Returns:
        `list[dict]`: rows in the LCR JSONL format with ``is_natural`` false.

    Raises:
        `ValueError`: If ``n_per_level`` is negative or the document bounds are invalid.
    """
    if n_per_level < 0:
        raise ValueError(f"n_per_level must be >= 0, got {n_per_level}.")
    _check_bounds(min_documents, max_documents, 2)
    return [
        _generate(level, index, seed, conflicting=True, min_documents=min_documents, max_documents=max_documents)
        for level in LEVELS
        for index in range(n_per_level)
    ]


def generate_consistent_rows(
    n: int,
    *,
    seed: int = 42,
    min_documents: int = 2,
    max_documents: int = 8,
) -> list[dict[str, Any]]:
    """Generate rows whose documents all agree: label-0 examples for conflict detection.

    The documents state the gold value verbatim, reword it (another date or number format, a
    unit conversion, an initial for a first name, a paraphrased claim) or do not mention it
    (distractors). Every document's ``answer`` equals ``gold_answer``, so
    [`~lcr_hub.data.row_has_conflict`] is false for every row and ``build_detection_dataset``
    would skip them: load them as negatives directly. Levels cycle L1, L2, L3, L4; ids are
    ``gen_cons_l1_000000``, ``gen_cons_l2_000001``... The level says which kind of value the
    documents agree on.

    Args:
        n (`int`):
            Number of rows (>= 0).
        seed (`int`, *optional*, defaults to `42`):
            The seed (independent of [`generate_rows`]'s stream for the same seed).
        min_documents (`int`, *optional*, defaults to `2`):
            Fewest documents per row (>= 2).
        max_documents (`int`, *optional*, defaults to `8`):
            Most documents per row (<= 8).

    Returns:
        `list[dict]`: rows in the LCR JSONL format with ``is_natural`` false.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}.")
    _check_bounds(min_documents, max_documents, 2)
    return [
        _generate(LEVELS[index % len(LEVELS)], index, seed, conflicting=False, min_documents=min_documents,
                  max_documents=max_documents)
        for index in range(n)
    ]


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Write rows as JSON Lines, atomically (a temporary file in the same folder, then a rename).

    Args:
        rows (`Iterable[Mapping]`): The rows to write, one JSON object per line (UTF-8).
        path (`str` or `os.PathLike`): The output file; its parent folders are created.

    Returns:
        `Path`: the written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as tmp:
            for row in rows:
                tmp.write(json.dumps(row, ensure_ascii=False) + "\n")
            tmp.flush()
            os.fsync(tmp.fileno())
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return path


def generator_inventory() -> dict[str, dict[str, int]]:
    """How many sentence frames and topics each level has (for reports and tests)."""
    return {
        level: {"frames": len(model.frames), "topics": len(model.topics)}
        for level, model in _LEVEL_MODELS.items()
    } | {
        "shared": {
            "context_sentences": len(GENERIC_CONTEXT) + sum(len(v) for v in CATEGORY_CONTEXT.values()),
            "aside_frames": len(_ASIDE_FRAMES),
            "aside_predicates": len(_ASIDE_PREDICATES),
            "sources": len(SOURCES),
            "places": len(PLACES),
            "first_names": len(FIRST_NAMES),
            "last_names": len(LAST_NAMES),
        }
    }
