"""Hold a store's writer lock from another process: `python hold_writer_lock.py STORE_DIR`.

Opens AskCelebs on the store, enters `bot.store.writing()`, prints "locked" and keeps the lock until its stdin
is closed (or SECONDS, the optional second argument, have passed); prints "released" on the way out.
"""

from __future__ import annotations

import sys
import threading

from askcelebs import AskCelebs


def main() -> None:
    store = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
    bot = AskCelebs(store=store)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    with bot.store.writing():
        print("locked", flush=True)
        done.wait(seconds)
    print("released", flush=True)


if __name__ == "__main__":
    main()
