"""The words of organisations this project did not design: names of regions, unit types and
units, and the comments their people write, as real exports carry them.

Written from what exports are like, not from what the demo needs: names come in several
scripts and with the punctuation people type (``/ & ( ) .``), sometimes with names that
differ only in punctuation ("A/1", "A-1", "A.1"); comments are often missing, sometimes all
the same ("N/A"), often a handful of phrases from a drop-down, in several languages, only
emoji, or pasted pages of text.
"""

from __future__ import annotations

import numpy as np

#: Region names, by how an organisation writes them.
REGIONS = {
    "plain": ["North", "South", "East", "West", "Central", "Coast", "Highlands", "Metro"],
    "scripts": ["Île-de-France", "東京", "Москва", "São Paulo", "Zürich", "القاهرة", "Ελλάδα",
                "서울"],
    "punctuation": ["North & East", "A/1", "A-1", "A.1", "West (Coast)", "St. Mary's",
                    "R&D / Lab", "Région Sud."],
    # names that differ only in punctuation or script: one file name each, all the same
    "colliding": ["A/1", "A-1", "A.1", "東京", "大阪", "Москва"],
}

#: Unit types: the organisation's own words.
UNIT_TYPES = {
    "plain": ["store", "branch", "call_centre", "team", "clinic"],
    "scripts": ["店舗", "Filiale", "Аптека", "Clínica", "Entrepôt"],
    "punctuation": ["Call Centre (UK)", "Branch / Agency", "Drive-thru", "Kiosk.", "R&D Lab"],
    "colliding": ["Call Centre (UK)", "Call Centre UK", "店舗", "Аптека"],
}

#: Units' own names: a place and what it is.
PLACES = ["Leeds", "Lyon", "Köln", "Sevilla", "大阪", "Kraków", "Århus", "Ōita", "N'Djamena",
          "Zaragoza / Centro", "Bath & Wells", "St. Ives (Harbour)"]

#: What customers write when they write about something, by topic; each with variations.
TOPICS = {
    "waiting": ["waited {n} minutes in the queue", "the queue at the {place} was far too long",
                "on hold for {n} minutes before anyone answered"],
    "staff": ["the staff at the {place} were rude", "nobody at the {place} could help me",
              "the assistant was friendly and knew the answer"],
    "price": ["prices went up again", "too expensive for what you get at the {place}",
              "the fees on my account were a surprise"],
    "digital": ["the app crashed at payment", "the website would not let me log in",
                "online booking kept failing"],
    "product": ["the {item} was out of stock", "my {item} arrived damaged",
                "the {item} stopped working after a week"],
    "clean": ["the {place} was dirty", "toilets at the {place} were not clean",
              "the {place} smelled and the floor was wet"],
}
PLACE_WORDS = ["store", "branch", "counter", "desk", "entrance", "car park", "waiting room"]
ITEM_WORDS = ["parcel", "order", "card", "prescription", "phone", "delivery", "refund"]

#: What employees write.
EMPLOYEE_TOPICS = {
    "tools": ["the {tool} is slow and crashes", "we still have no working {tool}"],
    "manager": ["my manager never listens", "my manager gives useful feedback"],
    "workload": ["we are always short of staff on {day}", "too much overtime on {day}"],
    "recognition": ["good work is never recognised", "nobody says thank you"],
}
TOOL_WORDS = ["till", "booking system", "knowledge base", "scanner", "laptop", "rota app"]
DAY_WORDS = ["Saturdays", "Mondays", "late shifts", "weekends", "bank holidays"]

#: Drop-down reasons and kiosk buttons: comments that repeat a few phrases.
PHRASES = ["Waiting time", "Staff friendliness", "Price", "Other"]
OTHER_LANGUAGES = ["Le personnel était très aimable mais l'attente était longue.",
                   "Die Wartezeit war viel zu lang und niemand hat geholfen.",
                   "El personal fue muy amable, volveré.",
                   "店員さんがとても親切でした。待ち時間が長かったです。",
                   "Очень долго ждал, персонал не помог.",
                   "O atendimento foi rápido e eficiente."]
EMOJI = ["👍", "😡😡😡", "🙂", "👎👎", "❤️", "😐", "⭐⭐⭐⭐⭐", "🤬"]

#: How an organisation's comments look (each a kind this module can write).
#: The characters of a pasted page.
PAGE = 5000

COMMENT_STYLES = ("none", "blank", "identical", "phrases", "varied", "languages", "emoji", "long",
                  "mixed")


def names(kind: str, count: int, pool: dict[str, list[str]], rng: np.random.Generator) -> list[str]:
    """``count`` distinct names of one kind; past the pool, numbered ("North 2"). Colliding
    names come in their order, so that even two of them collide."""
    chosen = list(pool[kind])
    if kind != "colliding":
        rng.shuffle(chosen)
    out = chosen[:count]
    for extra in range(count - len(out)):
        out.append(f"{chosen[extra % len(chosen)]} {extra // len(chosen) + 2}")
    return out


def _sentence(topics: dict[str, list[str]], rng: np.random.Generator) -> str:
    topic = topics[list(topics)[rng.integers(len(topics))]]
    text = topic[rng.integers(len(topic))]
    return text.format(n=int(rng.integers(5, 90)), place=rng.choice(PLACE_WORDS),
                       item=rng.choice(ITEM_WORDS), tool=rng.choice(TOOL_WORDS),
                       day=rng.choice(DAY_WORDS))


def comments(style: str, n: int, rng: np.random.Generator, employee: bool = False,
             share: float = 0.35) -> list[str]:
    """``n`` comment cells of one style; about ``share`` of them written, the rest blank."""
    topics = EMPLOYEE_TOPICS if employee else TOPICS
    written = rng.random(n) < share
    out = [""] * n
    if style == "long":  # pasted pages: sentences drawn from a pool (drawing each is slow)
        pool = np.array([_sentence(topics, rng).capitalize() + ". " for _ in range(400)])
        for i in np.flatnonzero(written):
            out[i] = "".join(pool[rng.integers(len(pool), size=PAGE // 20)])[:PAGE]
        return out
    for i in np.flatnonzero(written):
        out[i] = _one(style, topics, rng)
    return out


def _one(style: str, topics: dict[str, list[str]], rng: np.random.Generator) -> str:
    if style in ("none", "blank"):
        return ""
    if style == "identical":
        return "N/A"
    if style == "phrases":
        return PHRASES[rng.integers(3)]
    if style == "emoji":
        return str(rng.choice(EMOJI))
    if style == "languages":
        return str(rng.choice(OTHER_LANGUAGES))
    if style == "long":  # a pasted page
        text = ""
        while len(text) < PAGE:
            text += _sentence(topics, rng).capitalize() + ". "
        return text[:PAGE]
    if style == "mixed":
        return _one(str(rng.choice(["varied", "varied", "phrases", "emoji", "languages"])),
                    topics, rng)
    sentence = _sentence(topics, rng)  # varied
    if rng.random() < 0.4:
        sentence += " and " + _sentence(topics, rng)
    return sentence.capitalize() + rng.choice([".", "!", "", "..."])
