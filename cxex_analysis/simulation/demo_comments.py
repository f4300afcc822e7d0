"""The demo's comments: what customers and employees write about each theme, positive or
negative, answers to "what could we do better?", and the awkward ones real files hold (PII,
other languages, HTML).
"""

from __future__ import annotations

import numpy as np

from cxex_analysis.simulation.demo_parameters import DemoParameters

# Each theme's comments share its word (wait, problem/resolved, staff, system, price; shift,
# recognition, manager, career), positive or negative, as people's comments about one topic do.
CUSTOMER_TEXT = {
    "wait_times": (
        ["I waited far too long to be served", "The wait on hold was forty minutes, ridiculous",
         "Waiting time was terrible again", "Nobody answered for ages, the wait is too long"],
        ["Quick service, hardly any wait", "I was seen straight away with no wait",
         "Short waiting time, fast and efficient"]),
    "resolution": (
        ["My problem is still not resolved after three calls", "Nobody could resolve my problem",
         "I had to call back because the problem was not resolved",
         "Three weeks and my problem is still not resolved"],
        ["They resolved my problem first time", "Problem resolved in one call, brilliant",
         "Resolved my problem quickly and completely"]),
    "staff_attitude": (
        ["The staff were rude and unhelpful", "The staff member was dismissive and did not listen",
         "Unfriendly staff, felt like a nuisance"],
        ["Friendly and helpful staff", "The staff member was lovely and really listened",
         "Staff were polite, warm and knowledgeable"]),
    "tools_systems": (
        ["Their system was down so nothing could be done", "The agent said the system was too slow",
         "The system kept crashing and they could not look up my account",
         "They could not find my details, the system is a mess"],
        ["The system worked smoothly", "They found my account instantly on the system",
         "The online system made it easy"]),
    "price": (
        ["The price is too high for what you get", "Prices keep going up",
         "Hidden fees on top of the price"],
        ["Good price, good value", "Fair price", "Reasonable price and fees"]),
}


#: What a few employees write that needs a person, not a leader's report: routed to HR
#: (:mod:`cxex_analysis.analyses.hr_routing`); none may appear in a published report.
SENSITIVE_EMPLOYEE_TEXT = [
    "My shift manager shouts at me in front of customers and I dread coming in",
    "A customer threatened to hit me last month and nothing was done",
    "The fire exit in the stockroom is blocked with boxes every weekend",
    "I have been bullied by two colleagues since I joined",
    "Some days I feel like I can't go on with this job",
    "There are sexist jokes in the staff room and the manager laughs along",
]

EMPLOYEE_TEXT = {
    "tools_systems": (
        ["Our systems are slow and crash during calls", "The system makes it hard to help customers",
         "The knowledge base system is out of date, we cannot find answers"],
        ["The new system makes my job easier", "Systems work well and help me serve customers"]),
    "staffing": (
        ["We are always short on every shift", "Too few people on shift, customers wait for ages",
         "Shift staffing levels are unsustainable"],
        ["Shifts are well planned and we have enough people", "Shift cover has improved a lot"]),
    "recognition": (
        ["Nobody gives recognition when we go the extra mile", "No recognition for good work",
         "I never get recognition or a thank you"],
        ["My work gets recognition and is appreciated", "Great recognition from my team"]),
    "manager": (
        ["My manager does not support me", "My manager never listens to us",
         "Poor communication from my manager"],
        ["My manager is supportive and fair", "Great manager who listens"]),
    "growth": (
        ["There is no career path or training here", "No training or career development",
         "I cannot see a career here"],
        ["Good training and career development", "Plenty of training and chances to grow my career"]),
}


ITEM_THEME = {"tools": "tools_systems", "recognition": "recognition", "manager": "manager",
               "growth": "growth", "voice": "manager", "purpose": "growth",
               "customer_focus": "staffing"}


NON_ENGLISH = ["El servicio fue muy lento y nadie me ayudó",
                "Le personnel était très aimable, merci beaucoup",
                "Die Wartezeit war viel zu lang"]


PII_SUFFIXES = [" Please email me at {name}@example.com", " Call me back on 07700 900{num:03d}",
                 " My card 4111 1111 1111 {num:04d} was charged twice",
                 " Reach me at +44 20 7946 0{num:03d}"]


HTML_COMMENT = "<script>alert('hello')</script> <b>Great</b> service & quick"


PHONE_NAMES = ["jane.doe", "j.smith", "sam_k", "alex.m"]


# Answers to "what could we do better?": suggestions by theme, and "nothing" from the happy.
SUGGESTIONS = {
    "wait_times": ["Have more people on at busy times so the wait is shorter",
                   "Answer the phone quicker"],
    "resolution": ["Call people back when you say you will", "Fix problems the first time"],
    "staff_attitude": ["Train the staff to listen", "Be a bit more polite to customers"],
    "tools_systems": ["Get a system that does not crash", "Make the online system easier to use"],
    "price": ["Lower the price", "Drop the hidden fees"],
}
NOTHING_ANSWERS = ["Nothing, keep it up", "Nothing really, all good", "Nothing at all",
                    "Can't think of anything"]


def prompts(params: DemoParameters, has_comment: np.ndarray, themes: np.ndarray,
             nps: np.ndarray, comments: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``comment_prompt`` per row; about one comment in six answers "what could we do better?"
    (a suggestion on its theme, or "nothing" from a promoter). ``keep`` rows stay as written."""
    rng = params.stream("comments")
    prompts = np.where(has_comment, "why_score", np.array(None, dtype=object)).astype(object)
    candidates = np.setdiff1d(np.flatnonzero(has_comment), keep)
    improve = candidates[rng.random(len(candidates)) < 1 / 6]
    for i in improve:
        prompts[i] = "improve"
        if (nps[i] >= 9 and rng.random() < 0.7) or themes[i] not in SUGGESTIONS:
            comments[i], themes[i] = rng.choice(NOTHING_ANSWERS), "nothing"
        else:
            comments[i] = rng.choice(SUGGESTIONS[themes[i]])
    return prompts


def compose(rng: np.random.Generator, bank: dict, theme: str, positive: bool) -> str:
    negative_list, positive_list = bank[theme]
    options = positive_list if positive else negative_list
    return options[rng.integers(len(options))]


def add_awkward(rng: np.random.Generator, has_comment: np.ndarray, comments: np.ndarray,
                themes: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Put what real files hold into customer comments: PII on 40, other languages on 12, HTML
    on one; returns those rows."""
    pii_rows = rng.choice(np.flatnonzero(has_comment), size=40, replace=False)
    for j, i in enumerate(pii_rows):
        template = PII_SUFFIXES[j % len(PII_SUFFIXES)]
        comments[i] += template.format(name=PHONE_NAMES[j % len(PHONE_NAMES)], num=j)
    foreign = rng.choice(np.setdiff1d(np.flatnonzero(has_comment), pii_rows), size=12, replace=False)
    for j, i in enumerate(foreign):
        comments[i] = NON_ENGLISH[j % len(NON_ENGLISH)]
        themes[i] = "non_english"
    html_row = int(np.setdiff1d(np.flatnonzero(has_comment), np.r_[pii_rows, foreign])[0])
    comments[html_row] = HTML_COMMENT
    themes[html_row] = "staff_attitude"
    return pii_rows, foreign, html_row
