"""Comments that need a person: harassment, discrimination, bullying, threats, unsafe
conditions and self-harm.

An employee who writes "my manager shouts at me in front of the team" or "I can't go on"
in an engagement survey needs HR or a welfare lead, not a theme in a leader's report (Viva
Glint routes such comments; cxex does the same: :mod:`cxex_analysis.analyses.hr_routing`
writes them to a confidential file and every report leaves them out). A comment is
sensitive when one of its sentences

* matches a reviewed phrase list (:data:`TOPICS`: English, with the plainest words in
  Spanish, French, German, Portuguese and Italian) outside a near-miss
  (:data:`NOT_ABOUT_A_PERSON`: the harassment *training*, the bullying *policy*, "I feel
  safe", "never been bullied", "this deadline is killing me"); or
* holds a word of harm, fear, force, the body, distress, identity or danger (:data:`CUES`)
  and means what the reviewed sensitive examples mean (``sensitive_examples.yaml``) more than
  what the reviewed ordinary ones mean: the mean cosine of its three nearest of each, in
  wordllama's 256-d word vectors (a static embedding shipped inside its wheel, read offline;
  Miller 2024) — phrasings no list foresees ("pinned me against the wall", "everyone would
  be better off without me"). A sentence with a near-miss in it is read by the list alone.

The lists were reviewed against a test set written for them (``tests/test_sensitive.py``:
recall and precision on comments that are and are not about these topics, near-misses
included). They err towards routing: a comment wrongly routed reaches a person who reads it;
one wrongly kept reaches a leader's slide.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import wordllama
import yaml
from wordllama import WordLlama

from cxex_analysis.estimators.sentiment import lexicon_sentiment

#: The reviewed examples a sentence's meaning is compared with.
EXAMPLES = Path(__file__).with_name("sensitive_examples.yaml")

#: Nearest examples of each kind whose mean similarity is compared.
NEAREST = 3

#: How much nearer a sentence must be to the sensitive examples than to the ordinary ones
#: (chosen on the test set's comments read by meaning alone: recall 0.86, precision 0.93).
MARGIN = 0.02

#: Words of harm, fear, force, the body, distress, identity or danger: a sentence is read by
#: meaning only when it holds one (averaged word vectors alone put "we are always short on
#: every shift" nearer the threats than the ordinary examples).
CUES = re.compile(
    r"\b(afraid|scared|frighten\w*|fear\w*|terrif\w*|dread\w*|panic\w*|unsafe|safe|hurt\w*|"
    r"pain\w*|bruis\w*|blood\w*|injur\w*|hospital|ambulance|police|wall|pinned|grab\w*|push\w*|"
    r"shov\w*|forc\w*|corner\w*|kiss\w*|bod(y|ies)|touch\w*|explicit|photos?|pictures?|nude\w*|"
    r"porn\w*|sex\w*|on a date|flirt\w*|uncomfortable|creep\w*|follow\w*|stalk\w*|threat\w*|"
    r"kill\w*|die|dying|dead|death|suicid\w*|harm\w*|cry\w*|crie[sd]|tears?|worthless|"
    r"hopeless\w*|cope|coping|edge|disappear\w*|goodbye|gone|drink\w*|drugs?|abus\w*|insult\w*|"
    r"names|mock\w*|laugh\w*|humiliat\w*|shout\w*|scream\w*|yell\w*|swear\w*|sworn|rumou?rs?|"
    r"blame\w*|punish\w*|bull\w*|ignor\w*|exclud\w*|hijab|headscarf|religio\w*|race|racis\w*|"
    r"colou?r|black|asian|gay|lesbian|trans|pregnan\w*|disab\w*|accent|age|aged|older|old|"
    r"younger|young|wom[ae]n|female|gender|foreign\w*|overseas|immigra\w*|autis\w*|sack\w*|"
    r"warning|lose my job|keep quiet|knife|knives|guns?|weapons?|chemicals?|fumes|gas|burn\w*|"
    r"electric\w*|sparks?|fire|exits?|blocked|ladders?|forklifts?|machines?|guards?|slip\w*|"
    r"fall\w*|fell|heavy|alone|night|dark|punch\w*|hit|kick\w*|slap\w*|spit\w*|spat|attack\w*|"
    r"assault\w*|violen\w*|rob\w*|crash\w* the car|alive|life|lives|myself|victim\w*)\b",
    re.IGNORECASE)

#: A sentence the lexicon reads as more positive than this is not read by meaning ("people
#: are friendly and respectful here" is near "harassment" in word vectors).
PRAISE = 0.5

#: Who a sentence may be about when someone is hurt, threatened or picked on.
_PERSON = (r"(me|us|him|her|them|staff|colleagues?|co-?workers?|people|someone|somebody|"
           r"everyone|new starters?|the team|my team|workers|employees|nurses|drivers|agents)")
#: Groups the law protects, and the words of treating them worse.
_GROUP = (r"(muslim|jewish|hindu|sikh|christian|black|asian|white|brown|gay|lesbian|bisexual|trans|"
          r"queer|disabled|pregnan\w*|maternity|wom[ae]n|female|male|men|older|younger|old|young|"
          r"foreign\w*|immigrants?|migrants?|accent|religio\w*|race|racial|ethnic\w*|skin|colou?r|"
          r"hijab|turban|sexuality|gender|age|disabilit\w*|neurodivergent|autis\w*|dyslexi\w*)")
_WORSE = (r"(not allowed|aren'?t allowed|treated (differently|worse|unfairly)|paid less|less pay|"
          r"passed over|overlooked|excluded|left out|mock\w*|jokes?|laugh\w*|slurs?|names|refused|"
          r"denied|singled out|targeted|too old|too young|worst shifts|moved off|held back|"
          r"never promoted|not promoted|no promotion)")

#: Per topic, the phrases that make a sentence about it (regular expressions, any case).
TOPICS = {
    "self-harm": [
        r"suicid\w*", r"kill(ing)? myself", r"end(ing|ed)? (it|it all|my life|my own life|things)\b",
        r"take my (own )?life", r"self[- ]?harm\w*", r"(hurt|hurting|cut|cutting|harm|harming) myself",
        r"(don'?t|do not|no longer) want to (live|be alive|be here|exist|wake up|go on)",
        r"not (being|be) (here|around|alive) any ?more", r"(want|wanted|wanting) to die",
        r"wish i (was|were) dead", r"better off (dead|without me)", r"hopeless",
        r"no (reason|point) (to|in) (live|living|going on|carrying on|being here)",
        r"can'?t (go|carry) on", r"cannot (go|carry) on", r"give up on life",
        r"suic[ií]d\w*", r"selbstmord", r"freitod", r"suizid\w*", r"me quiero morir",
        r"envie de mourir",
    ],
    "harassment": [
        r"harass\w*", r"sexual\w*", r"unwanted", r"inappropriat\w*", r"creep(y|ier|iest)",
        r"grop\w*", r"touch(es|ed|ing)? (me|my|her|his|their|us)\b", r"stalk\w*", r"leer\w*",
        r"wolf[- ]?whistl\w*", r"follow(s|ed|ing)? (me|us|her) (home|to|around|into|out)",
        r"(comments?|remarks?|jokes?) about (my|her|his|our) (body|bodies|looks|appearance|"
        r"figure|chest|breasts|legs|bum|weight|clothes|underwear)",
        r"(asks?|asked|asking) (me|her) out (again|repeatedly|every|all the time)",
        r"messag(es|ed|ing) me (after work|at night|all the time|constantly)",
        r"acos\w*", r"harc[eè]l\w*", r"bel[äa]stig\w*", r"ass[ée]dio", r"molest\w*",
    ],
    "discrimination": [
        r"discriminat\w*", r"racis[mt]\w*", r"racial\w*", r"sexis[mt]\w*", r"homophob\w*",
        r"transphob\w*", r"islamophob\w*", r"antisemit\w*", r"ageis[mt]\w*", r"misogyn\w*",
        r"\bslurs?\b", r"prejudice\w*", r"bigot\w*",
        rf"\b{_GROUP}\b[^.!?;]{{0,60}}\b{_WORSE}", rf"\b{_WORSE}\b[^.!?;]{{0,60}}\b{_GROUP}\b",
        r"discriminaci[oó]n", r"diskriminier\w*", r"rassis\w*", r"discrimina[çc][ãa]o",
        r"razzis\w*",
    ],
    "bullying": [
        r"bull(y|ies|ied|ying)", r"intimidat\w*", r"humiliat\w*", r"umili\w*", r"belittl\w*",
        r"ridicul(e|ed|es|ing)\b", r"mock(s|ed|ing)? (me|us|my|her|him|them|staff)",
        r"make?s? fun of", r"made fun of", r"making fun of", r"laugh(s|ed|ing)? at (me|us|her|him)",
        r"exclud(e|es|ed|ing) (me|us|her|him)", r"isolat(e|es|ed|ing) (me|us|her|him)",
        r"(shout|scream|yell|swear|snap)(s|ed|ing)? at " + _PERSON,
        r"in (my|our|her|his) face", r"singled out", r"picked on", r"targeted",
        r"victimi[sz]\w*", r"made (me|us|her|him) cry", r"toxic", r"mobb\w*", r"gemobbt",
        r"gaslight\w*", r"name[- ]calling", r"call(s|ed|ing)? (me|us|her|him|them) "
        r"(names|stupid|useless|lazy|thick|an idiot|fat|ugly)",
        r"threat\w* to (cut|fire|sack|dismiss|move|report|reduce|take|discipline|give)",
        r"(cut|reduce|take away) (my|our) hours if", r"acoso laboral", r"harc[eè]lement moral",
    ],
    "threats": [
        r"threat\w*", r"violen\w*", r"assault\w*", r"attack(s|ed|ing)? " + _PERSON,
        r"abus(e|ed|es|ive|ing)\b", r"grab(s|bed|bing)? (me|us|her|him|a colleague|staff)",
        r"(by|at) the (arm|neck|throat|hair|collar)",
        r"(hit|hits|punch\w*|kick\w*|slap\w*|push\w*|shov\w*|spat|spit\w*|bit|bite\w*|"
        r"headbutt\w*|strangl\w*|chok\w*) (at |on )?" + _PERSON + r"\b",
        r"(punch\w*|kick\w*|slap\w*|push\w*|shov\w*|spat at|hit|bitten|grabbed)\b[^.!?]{0,20}\bby "
        r"(a |the |an )?(customers?|patients?|clients?|passengers?|members? of the public|"
        r"relatives?|visitors?|colleagues?|manager|man|woman|guy)",
        r"\bweapons?\b", r"\bknife\b", r"\bknives\b", r"\bguns?\b", r"robb(ed|ery|eries)",
        r"(going|want\w*|tried|try|trying) to (hurt|kill|hit|punch|stab|beat|get) (me|us|him|her|you)",
        r"amenaz\w*", r"menac\w*", r"bedroh\w*", r"drohung\w*", r"amea[çc]\w*", r"minacc\w*",
        r"agres\w*",
    ],
    "unsafe conditions": [
        r"unsafe", r"not safe", r"isn'?t safe", r"aren'?t safe", r"danger\w*", r"hazard\w*",
        r"injur\w*", r"accidents?\b", r"(been|got|get|gets|getting|were|was) (hurt|burnt|burned|"
        r"cut|crushed|electrocuted)", r"(slip\w*|trip\w*|fell|fall\w*)\b[^.!?]{0,40}\b(hurt|injur\w*|"
        r"hospital|broke)", r"without (a |any )?(harness|ppe|gloves|masks?|helmets?|goggles|"
        r"protective|safety)", r"no (harness|ppe|gloves|masks?|helmets?|goggles|ventilation|"
        r"first aid|protective|safety (equipment|gear|clothing|boots))",
        r"(fire (exit|door|alarm|escape)s?|exits?|alarms?)\b[^.!?]{0,40}\b(blocked|locked|chained|"
        r"obstructed|broken|not working|don'?t work|doesn'?t work)",
        r"(faulty|exposed|live|bare|frayed) (wiring|wires|electrics|cables?|sockets?)",
        r"(wiring|wires|electrics|cables?|sockets?)\b[^.!?]{0,25}\b(exposed|sparks?|sparking|faulty|"
        r"bare|smok\w+|frayed)", r"(toxic|chemical|gas) (fumes|leak\w*|spill\w*|smell)", r"fumes",
        r"asbestos", r"near[- ]miss\w*", r"\bicy\b", r"(broken|unstable|collaps\w*|wobbly) "
        r"(ladders?|steps|guards?|railings?|racking|shelving|scaffold\w*)",
        r"(ladders?|guards?|railings?|racking|shelving|scaffold\w*)\b[^.!?]{0,25}\b(broken|unstable|"
        r"collaps\w*|missing|wobbl\w*)", r"lone working", r"(work|working) alone at night",
        r"insegur\w*", r"peligr\w*", r"dangereu\w*", r"gef[äa]hr\w*", r"perigos\w*", r"pericol\w*",
    ],
}

#: A match that is not about something happening to a person: the topic named as training,
#: a policy, an app or a team; safety affirmed; the topic denied; figures of speech.
_TOPIC_WORD = (r"(harass\w*|bull\w*|discriminat\w*|diversity|equality|inclusion|safety|"
               r"safeguarding|violen\w*|suicide|self[- ]?harm|racism|sexual harassment|threat\w*|"
               r"hazard\w*|fire|manual handling|accident|injur\w*|abuse|wellbeing|mental health)")
NOT_ABOUT_A_PERSON = [
    _TOPIC_WORD + r"\W+(\w+\W+){0,2}?(training|course|policy|policies|module|workshop|session|"
    r"e-?learning|poster|campaign|awareness|prevention|officer|team|lead|champion|procedure|"
    r"process|briefing|assessment|check|audit|drill|walk|toolbox|talk|week|day|helpline|line|"
    r"hotline|first aid|app|reporting|report form|law|laws|legislation|guidance|rules|video|"
    r"survey|committee|network|group|book|log|record|sign|signs|signage|equipment|kit|gear|"
    r"boots|shoes|glasses|goggles|vest|rep|representative|inspection|certificate|statistics)",
    r"(training|course|module|workshop|session|law|policy|briefing) (on|about|against|for) "
    r"(the )?" + _TOPIC_WORD,
    r"(anti|zero[- ]tolerance)[- ](harassment|bullying|discrimination|racism|violence|abuse)",
    r"\b(no|never|not|nobody|no one|none|haven'?t|hasn'?t|have not|has not|didn'?t|did not|"
    r"without|free from|free of) ((been|felt|seen|any|ever|once|had|experienced|witnessed|"
    r"anyone|a|single|real|serious|reported)\W+){0,3}" + _TOPIC_WORD,
    r"\b(no|never|not|nobody|no one) \w+ed (anyone|anybody|me|us)\b",
    r"(feel|felt|is|was|are|were|be|kept|keep|stay|staying|keeps) (very |really |completely |"
    r"totally |so |always )?safe\b",
    r"(killing|kill) (it|for a|the game|time)", r"\w+ (is|was|are|were) killing (me|us)",
    r"dangerous(ly)? (good|delicious|close|low|high|busy|tight)",
    r"(real |big |the |a |biggest |main )*threats? (to|for) (our|the) (store|business|sales|market|"
    r"margins?|profits?|brand|targets?|plans?|budget|growth|bonus)",
    r"threats? (of|from) (competitors?|the competition|rain|weather|the market|automation|ai\b|"
    r"online|amazon|closure)", r"(security|cyber|phishing|malware|online) threats?",
    r"(violent|violence) (film|movie|game|storm|weather|winds?)", r"(gun|knife)[- ]?(crime|amnesty)",
    r"sexual (health|orientation)",
    r"unwanted (stock|deliveries|calls from|emails|paperwork|overtime)",
    r"(formaci[oó]n|curso|pol[ií]tica|protocolo|formation|politique|schulung|richtlinie|"
    r"forma[çc][ãa]o|corso) (sobre|contra|de|del|sur|contre|sobre o|zu|gegen|über|sul|contro) "
    r"(el |la |le |o |a |den |die |il )?(acoso|discriminaci[oó]n|violencia|harc[eè]lement|"
    r"discrimination|mobbing|bel[äa]stigung|ass[ée]dio|molestie)",
]

_TOPICS = {topic: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
           for topic, patterns in TOPICS.items()}
_NEAR_MISS = re.compile("|".join(f"(?:{p})" for p in NOT_ABOUT_A_PERSON), re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def sensitive_topic(text: str) -> str:
    """The topic of :data:`TOPICS` ``text`` is about ("" for none): by the phrase list first,
    else by meaning (see the module's text).

    Examples
    --------
    >>> sensitive_topic("My manager shouts at me in front of the team.")
    'bullying'
    >>> sensitive_topic("The harassment training was really useful"), sensitive_topic("I feel safe at work")
    ('', '')
    """
    return sensitive_topics(pd.Series([text])).iloc[0]


def by_phrases(sentence: str) -> tuple[str, bool]:
    """The first topic whose phrase is in ``sentence`` outside every near-miss ("" for
    none), and whether the sentence holds a near-miss.

    Examples
    --------
    >>> by_phrases("The bullying policy is fine"), by_phrases("My manager bullies me")
    (('', True), ('bullying', False))
    """
    spared = [m.span() for m in _NEAR_MISS.finditer(sentence)]
    for topic, pattern in _TOPICS.items():
        for match in pattern.finditer(sentence):
            if not any(a <= match.start() < b or a < match.end() <= b for a, b in spared):
                return topic, bool(spared)
    return "", bool(spared)


def sensitive_topics(texts: pd.Series) -> pd.Series:
    """The topic of each text ("" for none), identical texts and sentences read once.

    Examples
    --------
    >>> sensitive_topics(pd.Series(["Fire exits are blocked", "Good team", None])).tolist()
    ['unsafe conditions', '', '']
    """
    texts = texts.fillna("").astype(str)
    unique = pd.Series(texts.unique())
    sentences = unique.map(lambda t: [s.strip() for s in _SENTENCE.split(t) if s.strip()])
    flat = pd.Series(sorted({s for parts in sentences for s in parts}), dtype=object)
    phrase = {s: by_phrases(s) for s in flat}
    unsure = [s for s in flat if not phrase[s][0] and not phrase[s][1] and CUES.search(s)]
    meaning = {s: t for s, t in zip(unsure, by_meaning(unsure)) if t}
    if meaning:  # the lexicon read only where meaning found something
        tone = lexicon_sentiment(pd.Series(list(meaning)))["sentiment"].fillna(0.0).to_numpy()
        meaning = {s: t for (s, t), praise in zip(meaning.items(), tone > PRAISE) if not praise}
    topic_of = {s: phrase[s][0] or meaning.get(s, "") for s in flat}
    first = [next((topic_of[s] for s in parts if topic_of[s]), "") for parts in sentences]
    return texts.map(dict(zip(unique, first)))


def by_meaning(sentences: list[str]) -> list[str]:
    """Per sentence, the topic of its nearest sensitive example when its :data:`NEAREST`
    sensitive examples are nearer on average than its nearest ordinary ones by more than
    :data:`MARGIN`; "" otherwise (sentences without a word of :data:`CUES` are not passed
    here by :func:`sensitive_topics`).

    Examples
    --------
    >>> by_meaning(["Everyone would be better off if I was not around", "The parcel came late"])
    ['self-harm', '']
    """
    if not sentences:
        return []
    model, sensitive, topics, ordinary = _reference()
    vectors = model.embed(list(sentences), norm=True)
    near = vectors @ sensitive.T
    far = vectors @ ordinary.T
    k = min(NEAREST, near.shape[1], far.shape[1])
    score = (np.sort(near, axis=1)[:, -k:].mean(axis=1)
             - np.sort(far, axis=1)[:, -k:].mean(axis=1))
    nearest = np.asarray(topics)[near.argmax(axis=1)]
    return [str(t) if s > MARGIN else "" for t, s in zip(nearest, score)]


@functools.lru_cache(maxsize=1)
def _reference():
    """wordllama's model (from its wheel: no download) and the reviewed examples' vectors."""
    # its own files are in the wheel; the cache folder points at them (0.4 looks for the
    # tokenizer in the wrong folder of the package)
    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    examples = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))
    topics = [topic for topic, said in examples["sensitive"].items() for _ in said]
    sensitive = model.embed([s for said in examples["sensitive"].values() for s in said], norm=True)
    ordinary = model.embed(list(examples["not_sensitive"]), norm=True)
    return model, sensitive, topics, ordinary
