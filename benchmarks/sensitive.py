"""The sensitive tag on comments written after it was built: how it reads phrasings it was
not built on.

``tests/test_sensitive.py`` holds the comments the tag was built and checked on (recall ≥
0.9, precision ≥ 0.8 there). Two sets of 24 were written afterwards without looking at the
tag's lists or examples: the first was read several times while the tag changed (the
lexicon veto, the harm-word gate, more reviewed examples — none written for its misses),
the second once, after the last change. Real comments will read differently again. Printed
beside the phrase list alone (the tag's first version) and meaning alone.

    python benchmarks/sensitive.py
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from cxex_analysis.estimators import sensitive

FIRST_NEEDS_A_PERSON = [
    'The assistant manager pinned me against the wall during an argument',
    'I get comments on my hijab from the shift lead almost daily',
    'Forklifts drive through the walkway where we stack shelves and someone will get killed',
    "I'm not coping and sometimes think everyone would be better without me",
    'The area manager told me to keep quiet about what happened or lose my job',
    "Younger staff get all the training and I'm told I'm past it",
    'Drunk customers regularly spit on staff at the door',
    'There is no lock on the cash office and we have been held up at knifepoint before',
    "My colleague sends me explicit photos and I don't know who to tell",
    'The heater in the kiosk gives off a burning smell and the socket is scorched',
    'He constantly puts me down and talks over me in front of the whole team',
    'I am disabled and my adjustments keep being refused while others get flexibility',

]
FIRST_ORDINARY = [
    "I'd like to feel more recognised for my work",
    'Our fire warden did a great job in the evacuation',
    'My manager never shouts, she is calm under pressure',
    'The wellbeing app is not very useful',
    'Customers complain about prices every day',
    'The car park gets dark early in winter',
    'I hate the new uniform',
    'We were threatened with rain all day at the outdoor event',
    'People are friendly and respectful here',
    'The team is stretched thin at Christmas',
    'It would be good to have a quiet room',
    'Equal pay review results were shared openly',

]

SECOND_NEEDS_A_PERSON = [
    "One of the chefs grabs people's waists when he walks past",
    'I overheard the manager say he would never give a team leader job to someone in a hijab',
    'The supervisor swears at the apprentices and calls them thick',
    'A customer told me he would find out where I live after I refused his return',
    'The back door alarm is disabled so smokers can use it and anyone could walk in at night',
    'Lately I have been thinking about taking my own life',
    'My manager shoved me out of the way in the kitchen when it was busy',
    'The racking in aisle four is leaning and nobody has inspected it',
    'A colleague keeps sending me messages about how sexy I look in uniform',
    'I have been left out of every team meeting since I came back from maternity leave',
    'I get told I am useless in front of customers nearly every day',
    'I do not think I can keep living like this',
]
SECOND_ORDINARY = [
    'The team leader is strict about breaks but fair',
    'I would like more hours over the summer',
    'The customers can be demanding at Christmas',
    'The kitchen gets very hot in summer, a fan would help',
    'Our health and safety induction was thorough',
    'My manager gave me honest feedback that helped me improve',
    'It is hard to get a day off at short notice',
    'I love the people I work with',
    'The night bus home is unreliable',
    'We need a better system for swapping shifts',
    'I was nervous on my first day but everyone was kind',
    'Head office does not understand what stores need',
]


def scores(tagged: np.ndarray, truth: np.ndarray) -> str:
    hits = (tagged & truth).sum()
    return (f"recall {hits / truth.sum():.2f} ({hits}/{truth.sum()}), "
            f"precision {hits / max(tagged.sum(), 1):.2f} ({hits}/{tagged.sum()})")


def read(name: str, needs: list[str], ordinary: list[str]) -> None:
    texts = pd.Series(needs + ordinary)
    truth = np.r_[np.ones(len(needs), bool), np.zeros(len(ordinary), bool)]
    both = (sensitive.sensitive_topics(texts) != "").to_numpy()
    phrases = np.array([sensitive.by_phrases(t)[0] != "" for t in texts])
    meaning = np.array([t != "" for t in sensitive.by_meaning(list(texts))])
    print(f"{name}: {len(texts)} comments (targets: recall ≥ 0.9, precision ≥ 0.8)")
    print(f"  the tag (phrases, then meaning)   {scores(both, truth)}")
    print(f"  phrase list alone                 {scores(phrases, truth)}")
    print(f"  meaning alone                     {scores(meaning, truth)}")
    for text, tag in zip(texts, both):
        if tag != (text in needs):
            print(f"    {'missed' if not tag else 'wrongly routed'}: {text}")


def main() -> int:
    read("First set (read while the tag changed)", FIRST_NEEDS_A_PERSON, FIRST_ORDINARY)
    read("Second set (read once)", SECOND_NEEDS_A_PERSON, SECOND_ORDINARY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
