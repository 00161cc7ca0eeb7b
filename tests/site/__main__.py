"""Run the test site in the foreground (`make demo`): `python -m tests.site --port 8765 --step 1-initial`.

It prints its base URL and serves until Ctrl-C; drive it with POST /_site/step and POST /_site/faults.
"""

from __future__ import annotations

import argparse
import threading

from tests.site.platform import STEP_NAMES
from tests.site.server import TestSite


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.site", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--step", default=STEP_NAMES[0], choices=STEP_NAMES)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args()
    with TestSite(host=args.host, port=args.port, step=args.step, log_requests=not args.quiet) as site:
        try:
            print(site.base_url, flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass  # Ctrl-C is the way to stop it; leaving the block stops the server


if __name__ == "__main__":
    main()
