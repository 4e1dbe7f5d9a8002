"""A real llama.cpp server (xllamacpp.Server) in its own process, for tests of the OpenAI-compatible path.

    python -m tests.llama_server MODEL.gguf PORT   -> serves http://127.0.0.1:PORT/v1 until killed
"""

from __future__ import annotations

import os
import sys
import time


def main(model: str, port: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = os.cpu_count() or 1
    params.warmup = False
    params.verbosity = -1
    params.port = port
    server = xllamacpp.Server(params)
    print(f"listening {server.listening_address}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
