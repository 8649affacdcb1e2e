"""Generates the grouping corpus (events.jsonl.gz beside this file): events the real SDKs build, each
labelled with its true group (the scenario: one code path, one cause), its class and its split.

    .venv/bin/python bench/grouping_corpus/generate.py --node-modules DIR

DIR holds @sentry/node and @sentry/browser (e.g. `npm install @sentry/node@9 @sentry/browser@11.12.0`
in a temporary directory). Python events come from sentry-sdk (this venv), Node events from
@sentry/node, browser events from @sentry/browser's parsers and event builder over the stack text
each engine writes. Releases move line numbers (Python: 3 releases, JS: 2).

Splits: "dev" scenarios may be looked at while changing grouping rules; "heldout" scenarios are
other code paths, messages and call sites of the same classes, looked at only for the final figure
(bench/grouping_quality.py prints their totals, not their mistakes, unless asked).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import python_app  # noqa: E402

# scenario -> (class, split)
SCENARIOS = {
    # chained exceptions: one outer exception, different causes
    "py-sync-json": ("chain", "dev"), "py-sync-conn": ("chain", "dev"), "py-sync-key": ("chain", "heldout"),
    "py-import-key": ("chain", "dev"), "py-import-value": ("chain", "heldout"),
    "py-report-type": ("chain", "dev"), "py-report-zero": ("chain", "heldout"),
    "node-sync-json": ("chain", "dev"), "node-sync-conn": ("chain", "dev"),
    "node-sync-db": ("chain", "heldout"), "node-sync-lock": ("chain", "heldout"),
    # one message raised by different code paths
    "py-validate-cart": ("same-message", "dev"), "py-validate-address": ("same-message", "dev"),
    "py-validate-coupon": ("same-message", "heldout"), "py-validate-payment": ("same-message", "heldout"),
    "py-perm-refund": ("same-message", "dev"), "py-perm-export": ("same-message", "heldout"),
    "py-attr-ship": ("same-message", "dev"), "py-attr-invoice": ("same-message", "heldout"),
    "node-validate-cart": ("same-message", "dev"), "node-validate-address": ("same-message", "dev"),
    "node-validate-coupon": ("same-message", "heldout"), "node-validate-payment": ("same-message", "heldout"),
    # one browser error from Chrome, Safari and Firefox
    "br-coupon-onpay": ("browser", "dev"), "br-coupon-summary": ("browser", "dev"),
    "br-undefvar-gtag": ("browser", "dev"), "br-price-nostack": ("browser", "dev"),
    "br-items-map": ("browser", "heldout"), "br-notfn-track": ("browser", "heldout"),
    "br-json-config": ("browser", "heldout"), "br-fbq-nostack": ("browser", "heldout"),
    # one network failure in the three wordings
    "br-fetch-cart": ("network", "dev"), "br-fetch-nostack": ("network", "dev"),
    "br-fetch-save": ("network", "heldout"),
    # everything else grouping must keep doing
    "py-charge-zero": ("control", "dev"), "py-charge-key": ("control", "heldout"),
    "py-log-connect": ("control", "dev"), "py-log-disk": ("control", "heldout"),
    "py-msg-timeout": ("control", "dev"), "py-msg-webhook": ("control", "heldout"),
    "py-noframe-declined": ("control", "dev"), "py-noframe-funds": ("control", "heldout"),
    "node-undefined-total": ("control", "dev"), "node-undefined-items": ("control", "heldout"),
    "node-range": ("control", "dev"), "node-msg-cache": ("control", "heldout"),
}
PYTHON_RELEASES = (("shop@1.4.0", 0), ("shop@1.5.0", 7), ("shop@1.6.2", 23))
JS_RELEASES = (("shop-web@2.3.0", 0), ("shop-web@2.4.1", 5))


def python_events(work: Path) -> list[dict]:
    events = []
    for release, offset in PYTHON_RELEASES:
        root = work / f"py-{offset}"
        python_app.write_app(root, offset)
        out = subprocess.run([sys.executable, str(HERE / "python_events.py"), str(root), release], cwd=root,
                             check=True, capture_output=True, text=True).stdout
        events += [json.loads(line) | {"sdk": "python"} for line in out.splitlines()]
    return events


def js_events(work: Path, node_modules: str) -> list[dict]:
    events = []
    for release, offset in JS_RELEASES:
        root = work / f"js-{offset}"
        out = subprocess.run(["node", str(HERE / "js_events.cjs"), str(root), release, str(offset)], check=True,
                             capture_output=True, text=True, env=os.environ | {"NODE_PATH": node_modules}).stdout
        for line in out.splitlines():
            item = json.loads(line)
            events.append(item | {"sdk": "node" if item["event"].get("platform") == "node" else "browser"})
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", required=True, help="a node_modules with @sentry/node and @sentry/browser")
    parser.add_argument("--out", default=str(HERE / "events.jsonl.gz"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        events = python_events(Path(tmp)) + js_events(Path(tmp), args.node_modules)
    missing = {e["scenario"] for e in events} ^ set(SCENARIOS)
    if missing:
        raise SystemExit(f"scenarios without a label or without events: {sorted(missing)}")
    with gzip.open(args.out, "wt") as out:
        for item in events:
            kind, split = SCENARIOS[item["scenario"]]
            out.write(json.dumps({"group": item["scenario"], "class": kind, "split": split, "sdk": item["sdk"],
                                  "event": item["event"]}, sort_keys=True) + "\n")
    print(f"{len(events)} events, {len(SCENARIOS)} true groups -> {args.out}")


if __name__ == "__main__":
    main()
