"""The heuristic provider (offline, rules as rows): on a labelled set of 52 errors from Python, browser
JavaScript and Node stacks it picks the expected fix class for most (accuracy printed), writes the
fix in the language of the frames, and scores severity by the documented matrix."""

from __future__ import annotations

import re

import pytest
from ai_support import automatic_analysis, capture, new_tenant
from heuristic_labelled import LABELLED

# The set holds 3 errors the rules are not meant to get (a file PermissionError reads as auth, a
# storage quota as a rate limit, a chunk-load failure wants a reload no rule suggests): 49 of 52 is
# 94 %. 85 % leaves room for two more such misreadings, while a change that breaks any class of five
# or more examples (null checks, imports, retries, database review, manual review) fails the test.
ACCURACY_FLOOR = 0.85


@pytest.fixture
def analysed(db):
    automatic_analysis(db, False)
    tenant = new_tenant(db)
    ids = capture(db, tenant, *({"error_type": labelled.error_type, "severity": "error", "message": labelled.message,
                                 "stack_trace": labelled.stack_trace()} for labelled in LABELLED))
    assert len(set(ids)) == len(LABELLED), "each labelled error is a group of its own"
    return [(labelled, db.execute("SELECT app.ai_heuristic_analysis(%s)", [error_id]).fetchone()[0])
            for labelled, error_id in zip(LABELLED, ids, strict=True)]


def test_the_heuristic_picks_the_expected_fix_class_for_most_of_a_labelled_set(analysed, capsys):
    misses = [(labelled, analysis["fixClass"]) for labelled, analysis in analysed
              if analysis["fixClass"] != labelled.expected]
    accuracy = 1 - len(misses) / len(analysed)
    with capsys.disabled():
        right = len(analysed) - len(misses)
        print(f"\nheuristic fix class: {right} of {len(analysed)} right ({accuracy:.0%}); misses:")
        for labelled, got in misses:
            print(f"  {labelled.platform:<10} {labelled.message[:70]:<70}  expected {labelled.expected}, got {got}")
    assert accuracy >= ACCURACY_FLOOR


def test_the_fix_is_written_for_the_language_of_the_frames(analysed):
    assert [labelled.message for labelled, analysis in analysed if analysis["language"] != labelled.language] == []
    python = next(analysis for labelled, analysis in analysed if labelled.message.startswith("KeyError"))
    javascript = next(analysis for labelled, analysis in analysed if "(reading 'map')" in labelled.message)
    assert 'data.get("user_id")' in python["suggestedFix"]
    assert "value?.map ?? fallback" in javascript["suggestedFix"]
    assert (javascript["autoFix"], python["autoFix"]) == ("automatic", "suggested")


def test_every_analysis_has_the_specs_shape(analysed):
    for _, analysis in analysed:
        assert {"rootCause", "impact", "suggestedFix", "prevention", "severity", "relatedErrors"} <= set(analysis)
        assert 1 <= analysis["severity"] <= 5 and all(analysis[key] for key in ("rootCause", "suggestedFix"))
        assert not re.search(r"\{[a-z_]+\}", analysis["rootCause"] + analysis["suggestedFix"]), "placeholders filled"
