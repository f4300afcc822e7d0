"""Comments that need a person (issue 38): the sensitive tag on a test set written for it,
and employee comments it tags kept out of leader reports.

The comments were written for this test while the tag was built (the last 24 of each kind
after a first list missed most of them), from the kinds of things employees write in
engagement surveys: half about harassment,
discrimination, bullying, threats, unsafe conditions or self-harm (several in other
languages), half not — including near-misses that name the same words ("the harassment
training was useful", "I have never been bullied here", "the deadline is killing me").
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.estimators.sensitive import sensitive_topic, sensitive_topics

SENSITIVE = [
    "My line manager shouts at me in front of customers almost every shift.",
    "A senior colleague keeps making sexual comments about what I wear.",
    "I was passed over for the promotion because I'm pregnant, everyone knows it.",
    "The supervisor calls me names and the others laugh. I dread coming in.",
    "Someone on nights touched me and when I reported it nothing happened",
    "There are racist jokes in the break room and managers join in",
    "A customer threatened to stab me last week and we still have no security guard",
    "The fire exit at the back has been blocked with pallets for months",
    "Honestly some days I think about ending my life, the pressure never stops",
    "We are asked to lift heavy loads with no protective equipment",
    "I have been bullied by my team leader since I raised a concern about rotas.",
    "The older staff are treated differently because of their age, we get the worst shifts.",
    "He told me he would get me sacked if I reported him. I feel intimidated.",
    "The wiring in the stockroom is exposed and sparks when it rains",
    "I'm being harassed by a driver who keeps messaging me after work",
    "Staff get pushed and spat at by customers and we are told to just carry on",
    "I can't go on like this much longer",
    "The way my manager belittles me in meetings is humiliating",
    "Gay colleagues get called slurs on the shop floor",
    "Working alone at night in the kiosk is dangerous, we have been robbed twice",
    "I was assaulted in the car park after my shift and no one followed up",
    "New starters are picked on until they leave",
    "Mi jefe me grita y me amenaza con despedirme",
    "Je subis du harcèlement de la part de mon responsable depuis des mois",
    "Ich werde von meinem Teamleiter gemobbt und niemand hilft",
    "The machine guard on line 3 is broken and someone is going to lose a hand, it's unsafe",
    "Women here are paid less for the same job, that is discrimination",
    "Sometimes I hurt myself after a bad shift and nobody notices",
    "My colleague made me cry again today by screaming at me",
    "There is a strong smell of chemical fumes in the warehouse and people get headaches",
    "A patient's relative threatened me and my manager said it's part of the job",
    "I'm scared of one of the managers, he gets violent when targets are missed",
    'My supervisor keeps touching my shoulder and making comments about my body',
    "I was told I'm too old to learn the new system and got moved off the tills",
    'The team leader mocks my accent in front of everyone',
    'A man followed me to my car after closing and security did nothing',
    'We have to climb the racking without a harness to reach stock',
    'I feel hopeless and have thought about not being here anymore',
    'My manager threatens to cut my hours if I complain',
    "Colleagues exclude me and make fun of me every day, it's relentless",
    'A customer grabbed me by the arm and shouted in my face',
    'The floor in the freezer is always icy and two people have slipped and been hurt',
    'Muslim staff are not allowed breaks to pray while others get smoke breaks',
    'Il mio responsabile mi umilia davanti ai clienti',
]

NOT_SENSITIVE = [
    "The harassment training was useful and well run.",
    "I have never been bullied here, people are kind.",
    "I feel safe at work and the security team is great.",
    "This deadline is killing me but we will get there.",
    "Health and safety training could be shorter.",
    "We need more staff on weekends, the queues are long.",
    "My manager is supportive and listens.",
    "The anti-bullying policy is on the intranet but hard to find.",
    "Rotas come out too late to plan childcare.",
    "Pay is below what other shops offer.",
    "The new till system crashes a lot.",
    "Competitors are a real threat to our store this year.",
    "I'd like more training on the new products.",
    "The canteen food is cold by the time we get a break.",
    "Our team lead is firm but fair.",
    "Customers shout when the queue is long, which is understandable.",
    "The diversity and inclusion workshop was a good start.",
    "There were no safety issues on my shift this month.",
    "The fire drill went smoothly.",
    "Management could communicate changes earlier.",
    "We are killing it on sales targets this quarter!",
    "The cyber security threats module was too long.",
    "Stock levels are dangerously low before Christmas.",
    "Parking is a nightmare in the mornings.",
    "I love my colleagues, they make the job.",
    "Communication between shifts is poor.",
    "Career progression is unclear.",
    "The heating in the office is broken again.",
    "The uniform is uncomfortable in summer.",
    "Nobody has discriminated against me in my eight years here.",
    "La formación sobre acoso fue muy útil",
    "We did a manual handling assessment and it was sensible.",
    "I'd like a clearer career path",
    'The safety briefing this morning was quick and clear',
    'Our manager made everyone feel welcome at the team day',
    'Nobody threatened anyone, it was a calm shift',
    'The new bullying reporting app is easy to use',
    'I was a bit hurt not to be thanked for covering',
    'The heat in summer is awful in the stockroom',
    'More notice for overtime please',
    'Customers can be rude but the team supports each other',
    'Training on discrimination law was interesting',
    'The lifts are slow in the morning',
    "I'm tired after double shifts",
]


def test_the_written_set_is_large_enough_and_half_sensitive():
    assert len(SENSITIVE) + len(NOT_SENSITIVE) >= 60
    assert abs(len(SENSITIVE) - len(NOT_SENSITIVE)) <= 2


def test_the_sensitive_tag_finds_nine_in_ten_and_four_in_five_it_finds_are_right():
    """Recall ≥ 0.9 on the sensitive comments, precision ≥ 0.8 on all that are tagged."""
    texts = pd.Series(SENSITIVE + NOT_SENSITIVE)
    truth = pd.Series([True] * len(SENSITIVE) + [False] * len(NOT_SENSITIVE))
    tagged = sensitive_topics(texts) != ""
    recall = (tagged & truth).sum() / truth.sum()
    precision = (tagged & truth).sum() / tagged.sum()
    missed = texts[truth & ~tagged].tolist()
    wrong = texts[tagged & ~truth].tolist()
    assert recall >= 0.9, missed
    assert precision >= 0.8, wrong


def test_each_topic_is_named_and_near_misses_are_spared():
    assert sensitive_topic("The supervisor threatened to sack me if I took my break") == "bullying"
    assert sensitive_topic("A customer threatened to hit me") == "threats"
    assert sensitive_topic("I keep thinking about suicide") == "self-harm"
    assert sensitive_topic("The bullying policy is fine. My manager bullies me though.") == "bullying"
    assert sensitive_topic("The bullying policy is fine.") == ""


def test_ordinary_comments_of_every_kind_are_not_routed():
    """Routing takes a comment out of every leader report: the ordinary comments the demo
    and the drawn organisations of ``make fuzz`` write (with order numbers, shifts, places)
    stay in. Averaged word vectors alone routed a quarter of the demo's ("we are always
    short on every shift" read as a threat) before meaning needed a word of harm."""
    import numpy as np

    from cxex_analysis.simulation import world_text
    from cxex_analysis.simulation.demo_comments import CUSTOMER_TEXT, EMPLOYEE_TEXT

    demo = [t for bank in (EMPLOYEE_TEXT, CUSTOMER_TEXT) for pair in bank.values()
            for said in pair for t in said]
    rng = np.random.default_rng(0)
    drawn = (world_text.comments("varied", 3000, rng, employee=True, share=1.0)
             + world_text.comments("varied", 3000, rng, share=1.0))
    texts = pd.Series(demo + [f"{t} (shift {i})" for i, t in enumerate(demo)] + drawn)
    routed = sensitive_topics(texts) != ""
    assert routed.sum() == 0, texts[routed].tolist()[:5]


def test_the_word_vectors_are_wordllamas_own():
    """The model the tag loads from wordllama's wheel (no download) ranks the README's
    example as wordllama 0.4 documents it: "Machine learning methods" against four course
    titles, 0.3414, 0.2115, 0.1067, 0.0045."""
    from cxex_analysis.estimators.sensitive import _reference

    model = _reference()[0]
    documented = {"Introduction to neural networks": 0.3414, "Foundations of neural science": 0.2115,
                  "Introduction to philosophy: logic": 0.1067, "Cooking delicious pasta at home": 0.0045}
    for title, score in documented.items():
        assert round(float(model.similarity("Machine learning methods", title)), 4) == score
