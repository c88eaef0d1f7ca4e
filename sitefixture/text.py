"""Deterministic article text for fixture pages."""

from __future__ import annotations

import random

ON_TOPIC = [
    "Officials in Caracas said the agreement with Moscow would deepen cooperation in energy and defence over the coming {n} years.",
    "Russian diplomats met Venezuelan ministers on {day} to review {n} joint projects, according to a statement from the Kremlin.",
    "President Maduro thanked Vladimir Putin for his support and described Russia as a strategic partner of Venezuela.",
    "Analysts in the region noted that {n} Russian aircraft had landed in Venezuela since the start of the year.",
    "The foreign ministry in Moscow rejected criticism from Washington and said its ties with Caracas were a sovereign matter.",
    "Venezuelan lawmakers approved the treaty in a first reading, with {n} votes in favour and few abstentions.",
    "Sergey Lavrov told reporters that Russia would continue to defend international law and the rights of Venezuela.",
    "Oil engineers from both countries are expected to meet again in {month} to discuss output targets and investment.",
]
OFF_TOPIC = [
    "The home team scored {n} goals in the second half and moved to the top of the league table on {day}.",
    "Fans filled the stadium despite the rain, and the coach praised the young players after the match.",
    "The city council approved a new cycling lane along the river, to be finished by {month}.",
    "Local bakeries reported record sales of bread during the festival, which drew {n} thousand visitors.",
    "The museum opened an exhibition of modern painting that will stay on display until {month}.",
    "Weather services expect mild temperatures for the rest of the week and light wind on {day}.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "March", "May", "July", "September", "November"]


def paragraphs(seed: str, on_topic: bool, count: int = 6) -> list[str]:
    """Return ``count`` paragraphs of three sentences each, the same for the same seed."""
    rng = random.Random(seed)
    pool = ON_TOPIC if on_topic else OFF_TOPIC
    result = []
    for index in range(count):
        sentences = [
            rng.choice(pool).format(
                n=rng.randint(2, 90), day=rng.choice(DAYS), month=rng.choice(MONTHS)
            )
            for _ in range(3)
        ]
        result.append(f"({seed}-{index}) " + " ".join(sentences))
    return result
