"""The sensitive tag on comments written after it was frozen: how it reads phrasings it was
not built on.

``tests/test_sensitive.py`` holds the comments the tag was built and checked on (recall ≥
0.9, precision ≥ 0.8 there). These 24 were written afterwards, without looking at the tag's
lists or examples, and the tag was not changed for them after they were first read (once
before the lexicon veto of meaning, once after); real comments will read differently again.
Printed beside the phrase list alone (the tag's first version) and meaning alone.

    python benchmarks/sensitive.py
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from cxex_analysis.estimators import sensitive

NEEDS_A_PERSON = [
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
ORDINARY = [
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


def scores(tagged: np.ndarray, truth: np.ndarray) -> str:
    hits = (tagged & truth).sum()
    return (f"recall {hits / truth.sum():.2f} ({hits}/{truth.sum()}), "
            f"precision {hits / max(tagged.sum(), 1):.2f} ({hits}/{tagged.sum()})")


def main() -> int:
    texts = pd.Series(NEEDS_A_PERSON + ORDINARY)
    truth = np.r_[np.ones(len(NEEDS_A_PERSON), bool), np.zeros(len(ORDINARY), bool)]
    both = (sensitive.sensitive_topics(texts) != "").to_numpy()
    phrases = np.array([sensitive.by_phrases(t)[0] != "" for t in texts])
    meaning = np.array([t != "" for t in sensitive.by_meaning(list(texts))])
    print(f"{len(texts)} comments written after the tag was frozen (targets: recall ≥ 0.9, "
          "precision ≥ 0.8)")
    print(f"  the tag (phrases, then meaning)   {scores(both, truth)}")
    print(f"  phrase list alone                 {scores(phrases, truth)}")
    print(f"  meaning alone                     {scores(meaning, truth)}")
    for text, tag in zip(texts, both):
        if tag != (text in NEEDS_A_PERSON):
            print(f"    {'missed' if not tag else 'wrongly routed'}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
