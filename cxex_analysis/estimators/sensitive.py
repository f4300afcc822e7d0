"""Comments that need a person: harassment, discrimination, bullying, threats, unsafe
conditions and self-harm.

An employee who writes "my manager shouts at me in front of the team" or "I can't go on"
in an engagement survey needs HR or a welfare lead, not a theme in a leader's report (Viva
Glint routes such comments; cxex does the same: :mod:`cxex_analysis.analyses.verbatims`
keeps them out of every report and writes them to a confidential file). A comment is
sensitive when one of its sentences matches a reviewed phrase list (:data:`TOPICS`: English,
with the plainest words in Spanish, French, German, Portuguese and Italian) and the match is
not a near-miss (:data:`NOT_ABOUT_A_PERSON`): the harassment *training*, the bullying
*policy*, "I feel safe", "never been bullied", "this deadline is killing me".

The lists were reviewed against a test set written for them (``tests/test_sensitive.py``:
recall and precision on comments that are and are not about these topics, near-misses
included). They err towards routing: a comment wrongly routed reaches a person who reads it;
one wrongly kept reaches a leader's slide.
"""

from __future__ import annotations

import re

import pandas as pd

#: Per topic, the phrases that make a sentence about it (regular expressions, any case).
TOPICS = {
    "harassment": [
        r"harass\w*", r"sexual(ly)? (comments?|remarks?|jokes?|advances?|harass\w*|assault\w*)",
        r"unwanted (touch\w*|advances?|attention|comments?|contact)", r"grop(ed|ing|es?)",
        r"touch(ed|es|ing) me", r"stalk(ed|s|ing)", r"inappropriate(ly)? (touch\w*|comments? about my|"
        r"messages?|behaviou?r towards me)", r"acoso", r"acosad[oa]", r"harc[eè]l\w*",
        r"bel[äa]stig\w*", r"ass[ée]dio", r"molestie",
    ],
    "discrimination": [
        r"discriminat\w*", r"racis[mt]\w*", r"sexis[mt]\w*", r"homophob\w*", r"transphob\w*",
        r"ageis[mt]\w*", r"\bslurs?\b", r"because (of )?(i'?m|i am|my|of my|she'?s|he'?s|they'?re) "
        r"(a )?(black|asian|gay|lesbian|trans|muslim|jewish|pregnant|disabled|a woman|female|old|"
        r"older|foreign|accent|religion|race|skin|age|gender|disability|pregnancy|ethnicity)",
        r"(treated|paid|spoken to) (differently|worse|less) (because|for being)",
        r"discriminaci[oó]n", r"diskriminier\w*", r"rassis\w*", r"discrimina[çc][ãa]o",
    ],
    "bullying": [
        r"bull(y|ies|ied|ying)", r"intimidat\w*", r"humiliat\w*", r"belittl\w*",
        r"(shout|scream|yell|swear)(s|ed|ing)? at (me|us|staff|people|colleagues|the team)",
        r"singled out", r"picked on", r"made (me|us) cry", r"mobb\w*", r"gemobbt", r"gaslight\w*",
        r"call(s|ed|ing)? (me|us|her|him|them) (names|stupid|useless|lazy|an idiot)",
        r"threat(en)?(s|ed|ening)? to (fire|sack|dismiss|sack)", r"name[- ]calling",
    ],
    "threats": [
        r"threat(s|en|ened|ening)?\b",
        r"(going|want\w*|tried) to (hurt|kill|hit|punch|stab) (me|us|him|her|you)",
        r"(hit|punched|slapped|kicked|pushed|shoved|attacked|assaulted|spat at) (me|us|a colleague|"
        r"my colleague|staff)", r"\bassault(ed)?\b", r"(spat|spit|spitting) (at|on)\b",
        r"(punched|slapped|kicked|pushed|shoved|attacked|hit|spat at)\b[^.!?]{0,20}\bby (a |the )?"
        r"(customers?|patients?|clients?|passengers?|members? of the public|relatives?|"
        r"colleagues?|manager)", r"violen(ce|t)", r"\bweapons?\b",
        r"\bknife\b", r"\bgun\b", r"amenaz\w*", r"menac\w*", r"bedroh\w*", r"drohung\w*",
        r"amea[çc]\w*", r"minacc\w*",
    ],
    "unsafe conditions": [
        r"unsafe", r"not safe", r"dangerous", r"hazard\w*",
        r"(fire (exit|door)s?|exits?)\b[^.!?]{0,40}\b(blocked|locked|chained|obstructed)",
        r"no (ppe|protective|safety) (equipment|gear|clothing)",
        r"without (ppe|protective equipment|safety gear)", r"(got|been|was|were|get) injured",
        r"injur(y|ies) (at work|on shift|on site)", r"near[- ]miss", r"asbestos",
        r"(faulty|exposed|live|bare) (wiring|wires|electrics|cables?)",
        r"(wiring|wires|electrics|cables?)\b[^.!?]{0,25}\b(exposed|sparks?|sparking|faulty|bare|"
        r"smok\w+)", r"(toxic|chemical) (fumes|leak|spill)",
        r"safety (issue|concern|risk|breach|violation)s?", r"lone working at night",
        r"inseguro", r"peligros[oa]", r"dangereu\w*", r"gef[äa]hrlich", r"perigos[oa]", r"pericolos[oa]",
    ],
    "self-harm": [
        r"suicid\w*", r"kill(ing)? myself", r"end(ing|ed)? (it all|my life|my own life|things)",
        r"take my (own )?life", r"self[- ]harm\w*",
        r"hurt(ing)? myself", r"(don'?t|do not) want to (live|be alive|be here anymore|wake up)",
        r"no (reason|point) (to|in) (live|living|going on)", r"can'?t go on", r"cannot go on",
        r"better off (dead|without me)", r"suic[ií]dio", r"selbstmord", r"freitod", r"suizid\w*",
    ],
}

#: A match that is not about something happening to a person: the topic named as training,
#: a policy or a team; safety affirmed; the topic denied; figures of speech.
NOT_ABOUT_A_PERSON = [
    r"(harassment|bullying|discrimination|diversity|safety|safeguarding|violence|suicide|"
    r"self[- ]harm|racism|inclusion|threat|hazard|fire|manual handling)[- ](awareness |prevention )?"
    r"(training|course|policy|policies|module|workshop|session|e-?learning|poster|campaign|"
    r"awareness|prevention|officer|team|lead|champion|procedure|process|briefing|assessment|"
    r"check|audit|drill|walk|toolbox|talk|week|day|helpline|line|hotline|first aid)",
    r"(anti|zero[- ]tolerance)[- ](harassment|bullying|discrimination|racism|violence)",
    r"\b(no|never|not|nobody has|no one has|have not|haven'?t|has not|hasn'?t) (been |felt |seen |"
    r"any |ever |once )*(bullied|harassed|discriminated|threatened|intimidated|unsafe|bullying|"
    r"harassment|discrimination|threats?|safety (issues?|concerns?|problems?|incidents?))",
    r"(feel|felt|is|was|are|were|be|kept|keep|stay|staying) (very |really |completely |totally )?safe",
    r"(killing|kill) (it|for a|the game|time)", r"(deadline|commute|traffic|queue|heat|workload|"
    r"job|rota|shift|weather) (is|was) killing (me|us)", r"(gun|knife)[- ]?(crime awareness|amnesty)",
    r"dangerous(ly)? (good|delicious|close|low|high|busy)",
    r"(real |big |the |a )*threats? to (our|the) (store|business|sales|market|margins?|profits?|brand|"
    r"targets?|plans?)",
    r"(formaci[oó]n|curso|pol[ií]tica|protocolo|formation|politique|schulung|richtlinie|"
    r"forma[çc][ãa]o|corso) (sobre|contra|de|del|sur|contre|sobre o|zu|gegen|über|sul|contro) "
    r"(el |la |le |o |a |den |die |il )?(acoso|discriminaci[oó]n|violencia|harc[eè]lement|"
    r"discrimination|mobbing|bel[äa]stigung|ass[ée]dio|molestie)",
    r"threat(s)? (of|from) (competitors?|the competition|rain|weather|the market|automation)",
    r"(violent|violence) (film|movie|game|storm|weather)", r"(security|cyber|phishing|malware) threats?",
]

_TOPICS = {topic: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
           for topic, patterns in TOPICS.items()}
_NEAR_MISS = re.compile("|".join(f"(?:{p})" for p in NOT_ABOUT_A_PERSON), re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def sensitive_topic(text: str) -> str:
    """The first topic of :data:`TOPICS` one of ``text``'s sentences is about, "" for none.

    A sentence counts when a topic's phrase is in it outside every near-miss
    (:data:`NOT_ABOUT_A_PERSON`) of the same sentence.

    Examples
    --------
    >>> sensitive_topic("My manager shouts at me in front of the team.")
    'bullying'
    >>> sensitive_topic("The harassment training was really useful"), sensitive_topic("I feel safe at work")
    ('', '')
    """
    for sentence in _SENTENCE.split(str(text or "")):
        spared = [m.span() for m in _NEAR_MISS.finditer(sentence)]
        for topic, pattern in _TOPICS.items():
            for match in pattern.finditer(sentence):
                if not any(a <= match.start() < b or a < match.end() <= b for a, b in spared):
                    return topic
    return ""


def sensitive_topics(texts: pd.Series) -> pd.Series:
    """:func:`sensitive_topic` of each text (identical texts read once).

    Examples
    --------
    >>> sensitive_topics(pd.Series(["Fire exits are blocked", "Good team", None])).tolist()
    ['unsafe conditions', '', '']
    """
    texts = texts.fillna("").astype(str)
    unique = pd.Series(texts.unique())
    return texts.map(dict(zip(unique, unique.map(sensitive_topic))))
