"""A groove server process for crash trials: the production `serve`, the hash embedder
(the trials are about the store and the socket, and 50 starts must not load a model
50 times). Config, runtime and log directories come from the environment."""

import asyncio

from groove.config import GrooveConfig
from groove.runtime import runtime_paths
from groove.server import serve
from groove.testing import HashEmbedder

if __name__ == "__main__":
    asyncio.run(serve(GrooveConfig.load(), paths=runtime_paths(), embedder=HashEmbedder()))
