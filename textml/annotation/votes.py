"""Majority vote and agreement figures for annotated tasks.

Rules (the same for every project):

* Only annotations that choose at least one label count. Skipped (cancelled) annotations
  are ignored, and so are empty ones; if an annotator annotated a task twice, their most
  recently updated annotation counts.
* A vote is the set of labels an annotator chose (one label in a single-choice project).
  For multi-label projects the whole set is the vote: {a, b} and {a} are different votes.
* The label with the most votes wins. **A tie** (two or more labels share the most votes,
  e.g. 1-1 with two annotators) **is not broken**: the task is reported as a tie and gets
  no label. ``textml annotate pull`` leaves ties out of its output unless ``--keep-ties``
  (then they appear with an empty label and ``tie=true``, for a person to settle).
* A task's ``agreement`` is the share of its annotators who chose the most-voted label
  (1.0 when all agree or when one person annotated it).

Project figures (:func:`agreement_summary`): over tasks with two or more annotators, the
share that are unanimous, the mean per-task agreement, the pairwise agreement (share of
annotator pairs on the same task who chose the same), and Krippendorff's alpha for nominal
data (1 = perfect, 0 = chance level; it allows any number of annotators per task). Per
annotator: annotations counted and how often they agree with the majority on resolved
tasks that others annotated too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass
class Resolution:
    label: object  # the winning vote (str or tuple), None on a tie or without votes
    counts: dict  # vote -> number of annotators
    tie: bool
    agreement: float | None  # share of annotators behind the top vote
    n: int  # annotators counted


def resolve(votes: Sequence) -> Resolution:
    """The majority vote among ``votes`` (hashable: str, or tuple for label sets); ties unresolved."""
    counts = Counter(votes)
    if not counts:
        return Resolution(None, {}, False, None, 0)
    ranked = counts.most_common()
    top = ranked[0][1]
    winners = [vote for vote, count in ranked if count == top]
    tie = len(winners) > 1
    n = len(votes)
    return Resolution(None if tie else winners[0], dict(ranked), tie, round(top / n, 4), n)


def krippendorff_alpha(units: Iterable[Sequence]) -> float | None:
    """Krippendorff's alpha for nominal values; ``units`` holds each task's votes.

    Tasks with fewer than two votes carry no information and are left out. None when
    there is nothing to compare or every vote is the same value (alpha is undefined).
    """
    coincidences: dict = defaultdict(float)
    for votes in units:
        m = len(votes)
        if m < 2:
            continue
        counts = Counter(votes)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nc - 1) if c == k else nc * nk
                if pairs:
                    coincidences[(c, k)] += pairs / (m - 1)
    totals: dict = defaultdict(float)
    for (c, _), value in coincidences.items():
        totals[c] += value
    n = sum(totals.values())
    if n <= 1:
        return None
    observed = sum(v for (c, k), v in coincidences.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k) / (n - 1)
    if expected == 0:
        return None
    return round(1 - observed / expected, 4)


def agreement_summary(tasks: Sequence[tuple[Sequence[str], Sequence, Resolution]]) -> dict:
    """Project-level figures from ``(annotators, votes, resolution)`` per task."""
    multi = [(who, votes, res) for who, votes, res in tasks if len(votes) >= 2]
    pairs = same = 0
    for _, votes, _ in multi:
        for i in range(len(votes)):
            for j in range(i + 1, len(votes)):
                pairs += 1
                same += votes[i] == votes[j]
    per_annotator: dict = defaultdict(lambda: {"annotations": 0, "compared": 0, "with_majority": 0})
    for who, votes, res in tasks:
        for person, vote in zip(who, votes):
            stats = per_annotator[person]
            stats["annotations"] += 1
            if len(votes) >= 2 and res.label is not None:
                stats["compared"] += 1
                stats["with_majority"] += vote == res.label
    annotators = {}
    for person, stats in sorted(per_annotator.items()):
        share = round(stats["with_majority"] / stats["compared"], 4) if stats["compared"] else None
        annotators[person] = {"annotations": stats["annotations"], "compared": stats["compared"],
                              "agreement_with_majority": share}
    return {
        "tasks_with_2plus_annotators": len(multi),
        "unanimous": sum(1 for _, _, res in multi if res.agreement == 1.0),
        "unanimous_share": round(sum(1 for _, _, res in multi if res.agreement == 1.0) / len(multi), 4) if multi else None,
        "mean_agreement": round(sum(res.agreement for _, _, res in multi) / len(multi), 4) if multi else None,
        "pairwise_agreement": round(same / pairs, 4) if pairs else None,
        "krippendorff_alpha": krippendorff_alpha(votes for _, votes, _ in tasks),
        "annotators": annotators,
    }
