"""Grouping quality on a corpus of real SDK events with known true groups (bench/grouping_corpus):
each split is captured into a fresh project through the Sentry path (app.sentry_events_to_captures,
then app.capture_batch), and the groups pgwarden formed are scored against the true ones.

    .venv/bin/python bench/grouping_quality.py [--split dev|heldout|both] [--show-mistakes]

Prints B-cubed precision, recall and F1 (per event: the share of its group that truly belongs with
it, and the share of its true group found in its group), overall and per class, and how many true
groups were reproduced exactly. Mistakes (merged and split true groups) are printed for the dev
split only, unless --show-mistakes names heldout too: the held-out half is for the final figure.

Uses PGWARDEN_BENCH_DATABASE_URL when set (a database built by the migrations), else a throwaway
cluster. Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import bench_database  # noqa: E402

from workers import sql  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "grouping_corpus" / "events.jsonl.gz"
BATCH = 100



def capture(conn: psycopg.Connection, items: list[dict]) -> list[str]:
    """The group (id) each event went to, in order, captured into a new project."""
    organization_id = str(uuid.uuid4())
    conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'grouping quality')", [organization_id])
    conn.execute(sql.ORG_RATE_LIMIT_SET, [organization_id, 0])
    project_id = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'corpus') RETURNING id",
                              [organization_id]).fetchone()[0]
    groups = []
    for start in range(0, len(items), BATCH):
        payloads = [{"payload": item["event"], "event_id": None} for item in items[start:start + BATCH]]
        rows = conn.execute("SELECT result ->> 'id', error FROM app.capture_batch(%s, %s,"
                            " app.sentry_events_to_captures(%s)) ORDER BY ordinal",
                            [organization_id, project_id, Jsonb(payloads)]).fetchall()
        for group, error in rows:
            if error is not None:
                raise SystemExit(f"an event was refused: {error}")
            groups.append(group)
    return groups


def bcubed(truth: list[str], predicted: list[str]) -> tuple[float, float, float]:
    by_truth, by_predicted, both = Counter(truth), Counter(predicted), Counter(zip(truth, predicted, strict=True))
    precision = sum(both[t, p] / by_predicted[p] for t, p in zip(truth, predicted, strict=True)) / len(truth)
    recall = sum(both[t, p] / by_truth[t] for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return precision, recall, 2 * precision * recall / (precision + recall)


def exact_groups(truth: list[str], predicted: list[str]) -> int:
    members_true, members_predicted = defaultdict(set), defaultdict(set)
    for n, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        members_true[t].add(n)
        members_predicted[p].add(n)
    found = {frozenset(m) for m in members_predicted.values()}
    return sum(frozenset(m) in found for m in members_true.values())


def mistakes(items: list[dict], predicted: list[str]) -> list[str]:
    """Each predicted group holding several true groups, and each true group spread over several."""
    true_by_group, groups_by_true = defaultdict(Counter), defaultdict(Counter)
    for item, group in zip(items, predicted, strict=True):
        true_by_group[group][item["group"]] += 1
        groups_by_true[item["group"]][group] += 1
    lines = [f"  merged: {', '.join(f'{t} ({n})' for t, n in sorted(c.items()))}"
             for c in true_by_group.values() if len(c) > 1]
    lines += [f"  split:  {t} into {len(c)} groups of {', '.join(str(n) for n in sorted(c.values(), reverse=True))}"
              for t, c in sorted(groups_by_true.items()) if len(c) > 1]
    return lines


def report(name: str, items: list[dict], predicted: list[str], show: bool) -> None:
    truth = [item["group"] for item in items]
    precision, recall, f1 = bcubed(truth, predicted)
    print(f"{name}: {len(items)} events, {len(set(truth))} true groups, {len(set(predicted))} groups formed")
    print(f"  B-cubed precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f};"
          f"  exact groups {exact_groups(truth, predicted)} of {len(set(truth))}")
    for kind in sorted({item["class"] for item in items}):
        chosen = [n for n, item in enumerate(items) if item["class"] == kind]
        t, p = [truth[n] for n in chosen], [predicted[n] for n in chosen]
        precision, recall, f1 = bcubed(t, p)
        print(f"  {kind:<13} {len(chosen):>4} events  P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}"
              f"  exact {exact_groups(t, p)} of {len(set(t))}")
    if show:
        print("\n".join(mistakes(items, predicted)) or "  no mistakes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="dev")
    parser.add_argument("--show-mistakes", choices=("dev", "heldout", "both", "none"), default="dev")
    parser.add_argument("--corpus", default=str(CORPUS))
    args = parser.parse_args()
    with gzip.open(args.corpus, "rt") as f:
        corpus = [json.loads(line) for line in f]
    splits = ("dev", "heldout") if args.split == "both" else (args.split,)
    with bench_database() as url, psycopg.connect(url, autocommit=True) as conn:
        for split in splits:
            items = [item for item in corpus if item["split"] == split]
            report(split, items, capture(conn, items), args.show_mistakes in (split, "both"))


if __name__ == "__main__":
    main()
