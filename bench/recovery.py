"""Time to recovery: how long after a SIGKILL each supervised process of a real `make up` stack (the
web process, the worker, PostgREST) serves again: web answers /health with the database reachable,
PostgREST its OpenAPI document, the worker has run a job queued right after the kill. Goal < 3 s.

    .venv/bin/python bench/recovery.py [--rounds 5]

It starts its own stack (temp data dir, free ports) and stops it afterwards. No assertions.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchlib import REPO_ROOT  # noqa: F401  (puts the repository on sys.path)

from tests.py.stack_support import SERVED, Instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="kills per process")
    args = parser.parse_args()

    stack = Instance()
    try:
        started = stack.pgwarden("stack", "up")
        if started.returncode != 0:
            raise SystemExit(f"make up failed:\n{started.stdout}{started.stderr}")
        print(f"recovery: seconds from SIGKILL until the process serves again, {args.rounds} kills each")
        for name in SERVED:
            seconds = []
            for _ in range(args.rounds):
                # a process killed before it counts as started would be restarted after a backoff
                while stack.supervisor.state(name) != "RUNNING":
                    time.sleep(0.05)
                seconds.append(stack.kill_and_wait_for_recovery(name))
            print(f"{name:<10} min {min(seconds):.2f}  median {statistics.median(seconds):.2f}  "
                  f"max {max(seconds):.2f}   ({', '.join(f'{value:.2f}' for value in seconds)})")
    finally:
        stack.remove()


if __name__ == "__main__":
    main()
