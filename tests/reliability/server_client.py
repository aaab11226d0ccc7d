"""One of many client processes hammering one groove server (see test_server_load):
add a learning, rate the shared one `n` times, search now and then; print a summary."""

import json
import sys

from groove.client import ensure_server
from groove.client.transport import call
from groove.domain import Outcome
from groove.runtime import runtime_paths

if __name__ == "__main__":
    shared, n, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    paths = runtime_paths()
    status = ensure_server(paths, wait=120)
    added = call(paths.socket, "add", {}, f"client {name} prefers tabs", timeout=120)
    for i in range(n):
        call(paths.socket, "record_outcome", {}, shared, Outcome.HELPFUL, timeout=60)
        if i % 20 == 0:
            call(paths.socket, "search", {}, "tabs or spaces", limit=5, timeout=60)
    print(json.dumps({"pid": status["pid"], "added": str(added.learning.id), "rated": n}))
