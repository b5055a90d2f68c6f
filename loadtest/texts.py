"""News-like request texts of realistic, varied length, generated from a few built-in sentences.

A load test should send what clients send: mostly a headline or a paragraph, sometimes a whole article,
on every kind of topic. The texts are assembled from short sentences in the style of news wires (no
corpus is shipped), with lengths drawn so that most requests are short and a few are long.
"""

from __future__ import annotations

import random

SENTENCES = (
    # business
    "The central bank raised interest rates by a quarter point to curb inflation.",
    "Shares in the carmaker fell 6% after it cut its profit forecast for the year.",
    "The retailer said sales over the holiday period were the strongest in a decade.",
    "Oil prices climbed as producers agreed to extend their output cuts into next year.",
    # sport
    "The striker scored twice as the home side came from behind to win the cup final.",
    "The champion needed five sets to reach the quarter-finals in front of a packed centre court.",
    "The coach named three uncapped players in the squad for the autumn internationals.",
    "A late penalty settled the derby and lifted the club to the top of the league.",
    # politics
    "The prime minister faced questions in parliament over the delayed housing bill.",
    "Opposition leaders called for an inquiry into the handling of the election campaign.",
    "The government announced new funding for schools in its spring budget statement.",
    "Ministers met union leaders in an attempt to avert next week's rail strike.",
    # technology and science
    "The company unveiled a faster chip that it says halves the power used by data centres.",
    "Researchers warned that a flaw in the widely used software could let attackers in.",
    "The space agency launched a probe to study the sun's outer atmosphere.",
    "A new version of the operating system adds encryption to every message by default.",
    # entertainment
    "The film topped the box office on its opening weekend, taking more than $40m.",
    "The band announced a world tour to mark twenty years since their debut album.",
    "The actress won best supporting role at the awards ceremony on Sunday night.",
    "The novel was adapted into a television series that starts filming next spring.",
    # health
    "Doctors said the trial showed the drug cut the risk of a second heart attack.",
    "Hospitals were asked to prepare for a rise in flu cases over the winter months.",
)

# (sentences per text, weight): mostly headlines and paragraphs, some articles, a few long reports.
LENGTHS = ((1, 30), (3, 35), (8, 20), (25, 10), (80, 5))


def news_text(rng: random.Random) -> str:
    """One text of a randomly drawn length (about 80 characters to 7 KB)."""
    (count,) = rng.choices([n for n, _ in LENGTHS], weights=[w for _, w in LENGTHS])
    return " ".join(rng.choice(SENTENCES) for _ in range(count))


def news_batch(rng: random.Random, size: int) -> list[str]:
    return [news_text(rng) for _ in range(size)]
